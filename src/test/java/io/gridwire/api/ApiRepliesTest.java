package io.gridwire.api;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Reply writer on a plain exchange (status, JSON body, request headers dropped, extra headers, bodies that are
 * no Reply left alone), and in the packaged REST route configuration (error-handling.camel.yaml) around a route that
 * returns a Reply or throws, as a REST operation does.
 */
class ApiRepliesTest {

    private CamelContext context;
    private final ApiReplies replies = new ApiReplies(new ApiErrors());

    /** Stands in for a REST bean: answers whatever the test put in {@code next}, or throws it. */
    public static class Operation {
        Object next;

        public Object call() {
            if (next instanceof RuntimeException e) {
                throw e;
            }
            return next;
        }
    }

    private final Operation operation = new Operation();

    @BeforeEach
    void start() throws Exception {
        context = new DefaultCamelContext();
        context.getPropertiesComponent().setLocation("classpath:application.properties");
        context.getRegistry().bind("apiAuth", new ApiAuth("secret"));
        context.getRegistry().bind("apiErrors", new ApiErrors());
        context.getRegistry().bind("apiReplies", replies);
        context.getRegistry().bind("operation", operation);
        ((ModelCamelContext) context).setRouteFilterPattern("api-operation", null);
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveMandatoryResource(context,
                "classpath:routes/error-handling.camel.yaml"));
        // a lambda, not a RouteBuilder class: gridwire's package scan (tests run it with test classes) would find one
        RouteBuilder.addRoutes(context, rb -> rb.from("direct:operation").routeId("api-operation")
                .to("bean:operation?method=call"));
        context.start();
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    private Exchange request(Object body) {
        Exchange e = new DefaultExchange(context);
        e.getMessage().setHeader("Authorization", "Bearer secret");
        e.getMessage().setHeader("id", "7");
        e.getMessage().setBody(body);
        return e;
    }

    @Test
    void aReplyBecomesStatusJsonBodyAndNoRequestHeader() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", 7);
        body.put("name", "a");
        Exchange e = request(Reply.created(body));
        replies.write(e);
        assertEquals(201, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        assertEquals("application/json", e.getMessage().getHeader(Exchange.CONTENT_TYPE));
        assertEquals("{\"id\":7,\"name\":\"a\"}", e.getMessage().getBody());
        assertNull(e.getMessage().getHeader("Authorization"), "request headers are not echoed");
        assertNull(e.getMessage().getHeader("id"));
    }

    @Test
    void noContentHasNoBodyAndNoContentType() {
        Exchange e = request(Reply.noContent());
        replies.write(e);
        assertEquals(204, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        assertNull(e.getMessage().getHeader(Exchange.CONTENT_TYPE));
        assertNull(e.getMessage().getBody());
    }

    @Test
    void extraHeadersAreWrittenAfterTheRequestHeadersAreDropped() {
        Exchange e = request(Reply.health(false, Map.of("status", "unhealthy")).withHeader("Retry-After", "5"));
        replies.write(e);
        assertEquals(503, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        assertEquals("5", e.getMessage().getHeader("Retry-After"));
        assertEquals("{\"status\":\"unhealthy\"}", e.getMessage().getBody());
    }

    @Test
    void aBodyThatIsNoReplyIsLeftAlone() {
        Exchange e = request("{\"openapi\":\"3.1.0\"}");
        replies.write(e);
        assertEquals("{\"openapi\":\"3.1.0\"}", e.getMessage().getBody());
        assertEquals("Bearer secret", e.getMessage().getHeader("Authorization"));
        assertNull(e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
    }

    @Test
    void aBodyJacksonCannotWriteBecomesTheErrorAnswerOfApiErrors() {
        Exchange e = request(Reply.ok(new Object()));
        replies.write(e);
        // as before Reply: ApiErrors answers the failure (Jackson's exception is an IOException, so 503)
        int status = e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        assertTrue(status >= 500, "a server error: " + status);
        assertTrue(e.getMessage().getBody(String.class).matches("\\{\"error\":\".+\",\"status\":" + status + "}"),
                e.getMessage().getBody(String.class));
        assertNull(e.getMessage().getHeader("Authorization"));
    }

    @Test
    void theRouteConfigurationWritesTheReplyAnOperationReturns() {
        operation.next = Reply.accepted(Map.of("status", "replayed"));
        Exchange out = context.createProducerTemplate().send("direct:operation", request(null));
        assertEquals(202, out.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        assertEquals("application/json", out.getMessage().getHeader(Exchange.CONTENT_TYPE));
        assertEquals("{\"status\":\"replayed\"}", out.getMessage().getBody());
        assertNull(out.getMessage().getHeader("Authorization"));
    }

    @Test
    void theRouteConfigurationAnswersARefusalWithItsErrorBody() {
        operation.next = ApiException.notFound("unknown dead letter 7");
        Exchange out = context.createProducerTemplate().send("direct:operation", request(null));
        assertEquals(404, out.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        assertEquals("{\"error\":\"unknown dead letter 7\",\"status\":404}", out.getMessage().getBody());
        assertNull(out.getException());
    }

    @Test
    void aRequestBodyIsParsedAsAnObjectWithTodaysRules() {
        assertEquals(Map.of("a", 1), Http.object("{\"a\": 1}"));
        assertEquals(400, assertThrows(ApiException.class, () -> Http.object(null)).status());
        assertEquals(400, assertThrows(ApiException.class, () -> Http.object("  ")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> Http.object("[1]")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> Http.object("null")).status());
        assertEquals(413, assertThrows(ApiException.class, () -> Http.object("\"" + "x".repeat(64 * 1024) + "\"")).status());
    }
}
