package dev.lightrun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.bench.Contenders.Contender;
import dev.lightrun.bench.Contenders.Sample;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.lightrun.bench.Figures.map;

/**
 * Scenario 7, replicas sharing one PostgreSQL store (LIGHT_RUN_STORE_URL), run only when a PostgreSQL URL is given;
 * otherwise its section says it was skipped and why. Each measurement has a schema of its own ({@link PgSchema}) and
 * servers of its own, each with its own data folder and {@code slots} slots:
 * <ul>
 *   <li>claim latency: trivial sync runs one at a time on 1 replica, interleaved with a SQLite server (whose queue
 *       is in memory: a run that finds a free slot starts in the instant it is accepted); the run state's
 *       {@code startedAt - queuedAt} and the client's round trip, p50 and p99, and the differences;</li>
 *   <li>throughput: detached trivial runs submitted by {@value #CLIENT_THREADS} client threads round-robin across
 *       1 replica, then across 2 (interleaved rounds), each batch timed from its first submission to the last
 *       {@code finishedAt} its states show; runs/s, the 2-replica / 1-replica ratio, and the floor's runs/s at the
 *       same total concurrency when the throughput scenario measured it in this run.</li>
 * </ul>
 * Every run's final state is checked (succeeded, printed "hi"); its id goes to the leftover check.
 */
final class ReplicasScenario {
    static final String SECTION = "replicas";
    static final String REPLICA = "1 replica";
    static final String SQLITE = "SQLite server";
    private static final int CLIENT_THREADS = 4;
    private static final Duration DRAIN_DEADLINE = Duration.ofMinutes(5);
    /** How often a pending detached run's state is read: its lag does not count, the batch ends at finishedAt. */
    private static final Duration POLL = Duration.ofMillis(50);

    private final BenchContext ctx;
    private final String pgUrl;
    private final int slots;
    private final int warmup;
    private final int claimRuns;
    private final int throughputRuns;

    /**
     * @param pgUrl          the PostgreSQL URL (jdbc:postgresql:..., with its credentials), or null to skip
     * @param slots          LIGHT_RUN_MAX_CONCURRENT of every server of the scenario
     * @param warmup         unmeasured runs first, per server
     * @param claimRuns      measured sync runs per contender of the claim latency part
     * @param throughputRuns detached runs per configuration (1 and 2 replicas) of the throughput part
     */
    ReplicasScenario(BenchContext ctx, String pgUrl, int slots, int warmup, int claimRuns, int throughputRuns) {
        this.ctx = ctx;
        this.pgUrl = pgUrl == null || pgUrl.isBlank() ? null : pgUrl;
        this.slots = slots;
        this.warmup = warmup;
        this.claimRuns = claimRuns;
        this.throughputRuns = throughputRuns;
    }

    void run() throws IOException, InterruptedException, SQLException {
        if (pgUrl == null) {
            String reason = "no PostgreSQL URL (give --pg-url or set LIGHT_RUN_TEST_PG_URL)";
            ctx.results().put(SECTION, map("skipped", reason));
            ctx.out().printf("7. replicas: skipped, %s%n", reason);
            return;
        }
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("store", PgSchema.redacted(pgUrl));
        section.put("slotsPerReplica", slots);
        section.put("claim", claimLatency());
        section.put("throughput", throughput());
        ctx.results().put(SECTION, section);
    }

    // ---------------------------------------------------------------- claim latency

    private Map<String, Object> claimLatency() throws IOException, InterruptedException, SQLException {
        ctx.out().printf("7. replicas: claim latency, sync trivial runs one at a time, %s vs a %s (both c=%d):"
                + " %d warm-up + %d measured each, interleaved%n", REPLICA, SQLITE, slots, warmup, claimRuns);
        Contenders contenders = ctx.contenders();
        Map<String, List<Sample>> samples;
        // Closed in reverse: both servers stop before their schema is dropped.
        try (PgSchema schema = PgSchema.create(pgUrl);
             ServerProcess replica = start(replicaSettings(schema, 1));
             ServerProcess sqlite = start(Map.of("LIGHT_RUN_MAX_CONCURRENT", Integer.toString(slots)))) {
            Map<String, Contender> all = new LinkedHashMap<>();
            all.put(REPLICA, () -> contenders.lightRunClaim(replica.baseUrl()));
            all.put(SQLITE, () -> contenders.lightRunClaim(sqlite.baseUrl()));
            samples = ctx.interleave(all, warmup, claimRuns, "replicas claim");
            requireAlive(List.of(replica, sqlite));
        }
        Map<String, Object> byName = new LinkedHashMap<>();
        Map<String, Stats> claim = new LinkedHashMap<>();
        Map<String, Stats> total = new LinkedHashMap<>();
        samples.forEach((name, list) -> {
            claim.put(name, Stats.of(list.stream().map(s -> s.phases().get("claim")).toList()));
            total.put(name, Stats.of(list.stream().map(Sample::totalMs).toList()));
            byName.put(name, map("claimMs", claim.get(name).toMap(), "syncRunMs", total.get(name).toMap(),
                    "claimSamplesMs", Figures.roundAll(list.stream().map(s -> s.phases().get("claim")).toList())));
        });
        Map<String, Object> part = new LinkedHashMap<>();
        part.put("contenders", byName);
        part.put("difference " + REPLICA + " - " + SQLITE + " (ms)", map(
                "claim p50", Stats.round(claim.get(REPLICA).p50() - claim.get(SQLITE).p50()),
                "claim p99", Stats.round(claim.get(REPLICA).p99() - claim.get(SQLITE).p99()),
                "sync run p50", Stats.round(total.get(REPLICA).p50() - total.get(SQLITE).p50()),
                "sync run p99", Stats.round(total.get(REPLICA).p99() - total.get(SQLITE).p99())));
        ctx.out().printf("  claim p50/p99: %s %.1f/%.1f ms, %s %.1f/%.1f ms; sync run p50: %.1f vs %.1f ms%n", REPLICA,
                claim.get(REPLICA).p50(), claim.get(REPLICA).p99(), SQLITE, claim.get(SQLITE).p50(),
                claim.get(SQLITE).p99(), total.get(REPLICA).p50(), total.get(SQLITE).p50());
        return part;
    }

    // ---------------------------------------------------------------- throughput

    /** One drained batch, or several summed. */
    record Batch(int submitted, int succeeded, double wallMs, Map<String, Integer> executedBy) {
        Batch plus(Batch other) {
            Map<String, Integer> spread = new TreeMap<>(executedBy);
            other.executedBy.forEach((k, v) -> spread.merge(k, v, Integer::sum));
            return new Batch(submitted + other.submitted, succeeded + other.succeeded, wallMs + other.wallMs, spread);
        }
    }

    private Map<String, Object> throughput() throws IOException, InterruptedException, SQLException {
        int rounds = ctx.rounds();
        List<Integer> configurations = List.of(1, 2);
        ctx.out().printf("7. replicas: throughput, %d detached runs per configuration (1 and 2 replicas of %d slots),"
                + " %d client threads round-robin, %d interleaved rounds%n", throughputRuns, slots, CLIENT_THREADS,
                rounds);
        Map<Integer, Batch> totals = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            int share = throughputRuns / rounds + (r < throughputRuns % rounds ? 1 : 0);
            List<Integer> order = new ArrayList<>(configurations);
            Collections.rotate(order, -(r % order.size()));
            for (int replicas : order) {
                Batch batch = drain(replicas, share);
                totals.merge(replicas, batch, Batch::plus);
            }
        }
        JsonNode floorLevels = Contenders.JSON.valueToTree(ctx.results().getOrDefault("throughput", List.of()));
        Map<String, Object> part = new LinkedHashMap<>();
        part.put("clientThreads", CLIENT_THREADS);
        Map<Integer, Double> perSecond = new LinkedHashMap<>();
        Map<Integer, Double> floor = new LinkedHashMap<>();
        for (int replicas : configurations) {
            Batch b = totals.get(replicas);
            double rps = ReplicaFigures.runsPerSecond(b.succeeded(), b.wallMs());
            perSecond.put(replicas, rps);
            floor.put(replicas, ReplicaFigures.floorRunsPerSecond(floorLevels, replicas * slots));
            part.put(label(replicas), map("replicas", replicas, "totalSlots", replicas * slots,
                    "submitted", b.submitted(), "succeeded", b.succeeded(), "wallMs", Stats.round(b.wallMs()),
                    "runsPerSecond", Stats.round3(rps), "executedBy", b.executedBy(),
                    "floorRunsPerSecondAtSameConcurrency", Stats.round3(floor.get(replicas))));
        }
        part.put("ratio 2 replicas / 1 replica", Stats.round3(Stats.ratio(perSecond.get(2), perSecond.get(1))));
        part.put("ratio 1 replica / floor", Stats.round3(Stats.ratio(perSecond.get(1), floor.get(1))));
        part.put("ratio 2 replicas / floor", Stats.round3(Stats.ratio(perSecond.get(2), floor.get(2))));
        ctx.out().printf("  1 replica %.2f/s, 2 replicas %.2f/s (2/1: %.2fx); floor at c=%d: %s/s, at c=%d: %s/s%n",
                perSecond.get(1), perSecond.get(2), Stats.ratio(perSecond.get(2), perSecond.get(1)), slots,
                orDash(floor.get(1)), 2 * slots, orDash(floor.get(2)));
        return part;
    }

    /** A rate for the progress line; "-" when not measured in this run. */
    private static String orDash(double perSecond) {
        return Double.isNaN(perSecond) ? "-" : String.format(Locale.ROOT, "%.2f", perSecond);
    }

    static String label(int replicas) {
        return replicas == 1 ? REPLICA : replicas + " replicas";
    }

    /** {@code runs} detached runs over {@code replicas} fresh replicas on a fresh schema, drained. */
    private Batch drain(int replicas, int runs) throws IOException, InterruptedException, SQLException {
        String scenario = "replicas throughput " + label(replicas);
        List<ServerProcess> servers = new ArrayList<>();
        try (PgSchema schema = PgSchema.create(pgUrl)) {
            try {
                // One after another: the first one migrates the empty schema.
                for (int i = 1; i <= replicas; i++) {
                    servers.add(start(replicaSettings(schema, i)));
                }
                List<String> urls = servers.stream().map(ServerProcess::baseUrl).toList();
                for (String url : urls) {
                    for (int i = 0; i < warmup; i++) {
                        ctx.attempt(scenario + " warm-up", label(replicas), () -> ctx.contenders().lightRunClaim(url));
                    }
                }
                Instant firstSubmitted = Instant.now();
                String[] ids = submit(urls, runs, scenario);
                List<JsonNode> ended = awaitEnded(urls, ids, scenario);
                requireAlive(servers);
                List<JsonNode> succeeded = new ArrayList<>();
                for (JsonNode state : ended) {
                    try {
                        Contenders.requireTrivialSucceeded(state);
                        succeeded.add(state);
                    } catch (IOException e) {
                        ctx.failures().run(scenario, label(replicas), e);
                    }
                }
                double wallMs = ReplicaFigures.wallMs(firstSubmitted, ReplicaFigures.lastFinished(succeeded));
                ctx.out().printf("  %s: %d/%d succeeded in %.0f ms, executed by %s%n", label(replicas),
                        succeeded.size(), runs, wallMs, ReplicaFigures.executedBy(succeeded));
                return new Batch(runs, succeeded.size(), Double.isNaN(wallMs) ? 0 : wallMs,
                        ReplicaFigures.executedBy(succeeded));
            } finally {
                for (ServerProcess server : servers.reversed()) {
                    server.close();
                }
            }
        }
    }

    /** Submits {@code runs} detached runs from the client threads, run i to replica i mod n; null for a refused one. */
    private String[] submit(List<String> urls, int runs, String scenario) throws InterruptedException {
        String[] ids = new String[runs];
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < CLIENT_THREADS; t++) {
            threads.add(Thread.ofPlatform().name("bench-replicas-submit-" + t).start(() -> {
                for (int i = next.getAndIncrement(); i < runs; i = next.getAndIncrement()) {
                    try {
                        ids[i] = ctx.contenders().lightRunDetached(urls.get(i % urls.size()));
                    } catch (IOException | InterruptedException e) {
                        ctx.failures().run(scenario, "submit", e);
                        if (e instanceof InterruptedException) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return ids;
    }

    /**
     * Reads each submitted run's state (from the replica it was submitted to) until it has ended, in submission
     * order: runs end roughly in that order, so most reads after the first find their run already ended.
     */
    private List<JsonNode> awaitEnded(List<String> urls, String[] ids, String scenario) throws InterruptedException {
        List<JsonNode> ended = new ArrayList<>();
        long deadline = System.nanoTime() + DRAIN_DEADLINE.toNanos();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == null) {
                continue;
            }
            try {
                JsonNode state = ctx.contenders().runState(urls.get(i % urls.size()), ids[i]);
                while (!ReplicaFigures.isTerminal(state)) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("run " + ids[i] + " still " + state.path("status").asText() + " "
                                + DRAIN_DEADLINE.toMinutes() + " min after the batch was submitted");
                    }
                    Thread.sleep(POLL);
                    state = ctx.contenders().runState(urls.get(i % urls.size()), ids[i]);
                }
                ended.add(state);
            } catch (IOException e) {
                ctx.failures().run(scenario, "state", e);
            }
        }
        return ended;
    }

    // ---------------------------------------------------------------- servers

    /** Replica {@code index}'s settings: the schema's store, its name, its slots (its data folder is its own). */
    private Map<String, String> replicaSettings(PgSchema schema, int index) {
        return Map.of("LIGHT_RUN_STORE_URL", schema.url(), "LIGHT_RUN_REPLICA_NAME", "bench-" + index,
                "LIGHT_RUN_MAX_CONCURRENT", Integer.toString(slots));
    }

    /** A server with {@code settings}, healthy; stopped again when it does not become so. */
    private ServerProcess start(Map<String, String> settings) throws IOException, InterruptedException {
        ServerProcess server = ctx.servers().launch(settings);
        try {
            server.awaitHealthy(ctx.http());
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static void requireAlive(List<ServerProcess> servers) {
        for (ServerProcess server : servers) {
            if (server.unexpectedExit() != null) {
                throw new IllegalStateException(server.unexpectedExit());
            }
        }
    }
}
