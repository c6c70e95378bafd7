package io.gridwire.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** gridwire's REST API over real HTTP, with or without the bearer token. */
public final class Api {

    public static final String TOKEN = Sinks.env("API_TOKEN", "gridwire-dev-token");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** An answer: status and the JSON body (null if empty). */
    public record Response(int status, JsonNode json, String text) {
        @Override
        public String toString() {
            return status + " " + text;
        }
    }

    private final String base;
    private final String token;

    public Api(int port) {
        this(port, TOKEN);
    }

    private Api(int port, String token) {
        this.base = "http://localhost:" + port;
        this.token = token;
    }

    /** The same API without credentials (token null) or with other ones. */
    public Api withToken(String token) {
        return new Api(Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)), token);
    }

    /** One check of /observe/health in full detail (name, status, message), or null if gridwire has no such check. */
    public JsonNode healthCheck(String name) {
        for (JsonNode c : get("/observe/health?exposureLevel=full&data=true").json().path("checks")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        return null;
    }

    public Response get(String path) {
        return send("GET", path, null);
    }

    public Response post(String path, String json) {
        return send("POST", path, json);
    }

    public Response put(String path, String json) {
        return send("PUT", path, json);
    }

    public Response delete(String path) {
        return send("DELETE", path, null);
    }

    public Response send(String method, String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            String text = r.body();
            String t = text == null ? "" : text.strip();
            JsonNode node = t.startsWith("{") || t.startsWith("[") ? JSON.readTree(t) : null;
            return new Response(r.statusCode(), node, text);
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
