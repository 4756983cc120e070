package dev.lightrun.server.http;

import dev.lightrun.server.model.ApiException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.runner.NetworkSpec;
import dev.lightrun.server.networks.NetworkService;
import io.javalin.http.Context;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** POST/GET/DELETE /networks and POST /networks/cleanup: networks light-run created, and only those. */
final class NetworkRoutes {
    private static final Set<String> CREATE_FIELDS = Set.of("name", "iccEnabled", "internal", "labels", "ipam");
    private static final Set<String> IPAM_FIELDS = Set.of("subnet", "gateway", "ipRange");
    private static final Set<String> CLEANUP_FIELDS = Set.of("prefix", "maxAgeMs");

    private final NetworkService networks;

    NetworkRoutes(NetworkService networks) {
        this.networks = networks;
    }

    void create(Context ctx) {
        JsonNode body = JsonBodies.object(ctx.bodyAsBytes(), CREATE_FIELDS, false);
        JsonNode ipam = body.path("ipam");
        if (!ipam.isMissingNode() && !ipam.isNull()) {
            JsonBodies.requireFields(ipam, "ipam", IPAM_FIELDS);
        }
        Map<String, String> labels = new HashMap<>();
        JsonNode labelNode = body.path("labels");
        if (labelNode.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = labelNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> label = it.next();
                if (!label.getValue().isTextual() || label.getKey().startsWith("dev.lightrun.")) {
                    throw ApiException.badRequest("labels[" + label.getKey() + "]",
                            "must be a string, and dev.lightrun.* labels are reserved");
                }
                labels.put(label.getKey(), label.getValue().asText());
            }
        } else if (!labelNode.isMissingNode() && !labelNode.isNull()) {
            throw ApiException.badRequest("labels", "must be an object of strings");
        }
        NetworkSpec spec;
        try {
            spec = new NetworkSpec(JsonBodies.requiredText(body, "name"), JsonBodies.bool(body, "iccEnabled", true),
                    JsonBodies.bool(body, "internal", false), labels, JsonBodies.text(ipam, "ipam.subnet"),
                    JsonBodies.text(ipam, "ipam.gateway"), JsonBodies.text(ipam, "ipam.ipRange"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("name", e.getMessage());
        }
        ctx.status(201).json(networks.create(spec));
    }

    void list(Context ctx) {
        ctx.json(networks.list());
    }

    void get(Context ctx) {
        ctx.json(networks.get(ctx.pathParam("name")));
    }

    void delete(Context ctx) {
        networks.remove(ctx.pathParam("name"));
        ctx.status(204);
    }

    void cleanup(Context ctx) {
        JsonNode body = JsonBodies.object(ctx.bodyAsBytes(), CLEANUP_FIELDS, true);
        String prefix = JsonBodies.text(body, "prefix");
        // An integer node only: canConvertToLong() alone took 1.5 as 1.
        Long maxAge = JsonBodies.integer(body, "maxAgeMs");
        if (maxAge != null && maxAge < 0) {
            throw ApiException.badRequest("maxAgeMs", "must be a non-negative integer");
        }
        Duration age = maxAge == null ? null : Duration.ofMillis(maxAge);
        ctx.json(Map.of("removed", networks.cleanup(prefix, age)));
    }
}
