package dev.lightrun.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.model.ApiException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Set;

/**
 * Small, strict readers for JSON bodies: one parse for every route ({@link #tree}: duplicate keys and anything after
 * the document refused, with the path of the duplicate), and type-checked field readers for the control routes
 * (unknown fields refused; a tree is never coerced, so each reader checks the node's type itself).
 */
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
        JsonNode node = tree(body);
        if (!(node instanceof ObjectNode)) {
            throw ApiException.badRequest("$", "body must be a JSON object");
        }
        requireFields(node, null, allowed);
        return node;
    }

    /**
     * The body as a JSON tree, or a 400 naming where it fails: {@code $} for malformed JSON and for content after the
     * document, the field ({@code image}, {@code env[A]}) for a duplicate key.
     */
    static JsonNode tree(byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (StreamReadException e) {
            String message = e.getOriginalMessage();
            if (message != null && message.startsWith("Duplicate field") && e.getProcessor() != null) {
                throw ApiException.badRequest(pathOf(e.getProcessor().getParsingContext()), "duplicate key");
            }
            throw ApiException.badRequest("$", "malformed JSON: " + firstLine(message));
        } catch (JsonProcessingException e) {
            // FAIL_ON_TRAILING_TOKENS: a second value after the document ({...} {...}, {...} 1).
            throw ApiException.badRequest("$", "malformed JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw ApiException.badRequest("$", "malformed JSON: " + e.getMessage());
        }
    }

    /** {@code image}, {@code env[A]}, {@code run[2]}: the way the run routes name a field (see RunRequestParser). */
    private static String pathOf(JsonStreamContext context) {
        Deque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inObject() && c.getCurrentName() != null) {
                parts.addFirst(c.getCurrentName());
            } else if (c.inArray()) {
                parts.addFirst(Integer.toString(Math.max(c.getCurrentIndex(), 0)));
            }
        }
        StringBuilder path = new StringBuilder();
        for (String part : parts) {
            path.append(path.isEmpty() ? part : "[" + part + "]");
        }
        return path.isEmpty() ? "$" : path.toString();
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.split("\n")[0];
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
