package io.gridwire.api;

import java.util.LinkedHashMap;
import java.util.Map;

import io.gridwire.message.SinkFailures;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns the exception that ended a REST call into its HTTP answer: {"error": ..., "status": ...}. */
public class ApiErrors {

    private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

    public void respond(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        int status;
        String message;
        if (e instanceof ApiException a) {
            status = a.status();
            message = a.getMessage();
        } else if (SinkFailures.isTransient(e)) {
            status = 503;
            message = "a service gridwire needs is unavailable (" + SinkFailures.describe(e) + "); try again";
            LOG.warn("REST call {} {}: {}", exchange.getMessage().getHeader(Exchange.HTTP_METHOD),
                    exchange.getMessage().getHeader(Exchange.HTTP_PATH), message);
        } else {
            status = 500;
            message = "internal error; see the gridwire log";
            LOG.error("REST call {} {} failed", exchange.getMessage().getHeader(Exchange.HTTP_METHOD),
                    exchange.getMessage().getHeader(Exchange.HTTP_PATH), e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("status", status);
        Http.respond(exchange, status, body);
        if (status == 401) {
            exchange.getMessage().setHeader("WWW-Authenticate", "Bearer");
        }
    }
}
