package io.gridwire.api;

import io.gridwire.message.Text;

import io.gridwire.api.ApiException;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads typed fields out of a parsed JSON object, refusing with a 400 that names the field. */
public final class JsonFields {

    private final Map<String, Object> json;

    public JsonFields(Map<String, Object> json, Set<String> allowed) {
        this.json = json;
        for (String k : json.keySet()) {
            if (!allowed.contains(k)) {
                throw ApiException.badRequest("unknown field '" + Text.printable(k) + "'; allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        }
    }

    public boolean has(String field) {
        return json.containsKey(field) && json.get(field) != null;
    }

    public String text(String field, int maxLength, boolean required) {
        Object v = json.get(field);
        if (v == null) {
            if (required) {
                throw ApiException.badRequest("field '" + field + "' is required");
            }
            return null;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw ApiException.badRequest("field '" + field + "' must be a non-empty string");
        }
        if (s.length() > maxLength) {
            throw ApiException.badRequest("field '" + field + "' must be at most " + maxLength + " characters");
        }
        return s.strip();
    }

    public Double number(String field, double min, double max, boolean required) {
        Object v = json.get(field);
        if (v == null) {
            if (required) {
                throw ApiException.badRequest("field '" + field + "' is required");
            }
            return null;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < min || n.doubleValue() > max) {
            throw ApiException.badRequest("field '" + field + "' must be a number from " + min + " to " + max);
        }
        return n.doubleValue();
    }

    public Boolean bool(String field) {
        Object v = json.get(field);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Boolean b)) {
            throw ApiException.badRequest("field '" + field + "' must be true or false");
        }
        return b;
    }

    public String id(String field, boolean required) {
        String v = text(field, 64, required);
        if (v != null && !Text.ID.matcher(v).matches()) {
            throw ApiException.badRequest("field '" + field + "' must be 1-64 letters, digits, '.', '_' or '-', "
                                          + "starting with a letter or digit");
        }
        return v;
    }
}
