package dev.lightrun.server.http;

import dev.lightrun.server.runs.RunService;
import dev.lightrun.server.store.Cluster;
import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GET /replicas (admin): every replica sharing the store, alive or not, with its host, address and load; DELETE
 * /replicas/{name} (admin): declares a silent replica gone for good (see {@link dev.lightrun.server.runs.Replicas#forget}). On a single
 * server the list is empty and there is nothing to forget.
 */
final class ReplicaRoutes {
    private final RunService runs;

    ReplicaRoutes(RunService runs) {
        this.runs = runs;
    }

    void list(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("self", runs.replicas().self().orElse(null));
        body.put("replicas", runs.replicas().list().stream().map(ReplicaRoutes::full).toList());
        ctx.json(body);
    }

    void forget(Context ctx) {
        String name = ctx.pathParam("name");
        int ended = runs.replicas().forget(name);
        ctx.json(Map.of("replica", name, "runsEnded", ended));
    }

    private static Map<String, Object> full(Cluster.Replica replica) {
        Map<String, Object> body = brief(replica);
        body.put("url", replica.url());
        body.put("startedAt", replica.startedAt());
        body.put("heartbeatAt", replica.heartbeatAt());
        return body;
    }

    /**
     * What the public /health shows of a replica: its name, its host, whether it is alive, its load; not the address
     * of its API (that is for admins: {@code GET /replicas}).
     */
    static Map<String, Object> brief(Cluster.Replica replica) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", replica.name());
        body.put("host", replica.host());
        body.put("alive", replica.alive());
        body.put("running", replica.running());
        body.put("slots", replica.slots());
        return body;
    }

    /** /health's view of the replicas: empty on a single server. */
    static List<Map<String, Object>> forHealth(RunService runs) {
        try {
            return runs.replicas().list().stream().map(ReplicaRoutes::brief).toList();
        } catch (RuntimeException e) {
            // The database is away: /health still says how Docker is; the store's trouble shows in the run calls.
            return List.of();
        }
    }
}
