package dev.lightrun.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.model.ApiException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/** Small, strict readers for the JSON bodies of the control routes (unknown fields refused, types checked). */
final class JsonBodies {
    private JsonBodies() {
    }

    /** The body as an object; an empty body is {} when {@code emptyAllowed}. */
    static JsonNode object(byte[] body, Set<String> allowed, boolean emptyAllowed) {
        if (body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
            if (emptyAllowed) {
                return Json.MAPPER.createObjectNode();
            }
            throw ApiException.badRequest("$", "body is empty; send a JSON object");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw ApiException.badRequest("$", "malformed JSON");
        }
        if (!(node instanceof ObjectNode)) {
            throw ApiException.badRequest("$", "body must be a JSON object");
        }
        requireFields(node, null, allowed);
        return node;
    }

    static void requireFields(JsonNode node, String parent, Set<String> allowed) {
        if (!node.isObject()) {
            throw ApiException.badRequest(parent == null ? "$" : parent, "must be an object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw ApiException.badRequest(parent == null ? name : parent + "." + name, "unknown field");
            }
        }
    }

    static String requiredText(JsonNode node, String field) {
        String value = text(node, field);
        if (value == null) {
            throw ApiException.badRequest(field, "is required");
        }
        return value;
    }

    /** {@code path} may be dotted ("ipam.subnet"): only its last part is looked up in {@code node}. */
    static String text(JsonNode node, String path) {
        String field = path.substring(path.lastIndexOf('.') + 1);
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw ApiException.badRequest(path, "must be a string");
        }
        return value.asText();
    }

    static boolean bool(JsonNode node, String field, boolean fallback) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw ApiException.badRequest(field, "must be true or false");
        }
        return value.asBoolean();
    }

    static Long integer(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (!value.canConvertToLong() || !value.isIntegralNumber()) {
            throw ApiException.badRequest(field, "must be an integer");
        }
        return value.asLong();
    }
}
