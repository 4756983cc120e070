package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.CallbackReceiver;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.lightrun.server.durable.Api.script;
import static dev.lightrun.server.durable.RestartRecoveryIT.GATED;
import static dev.lightrun.server.durable.RestartRecoveryIT.openGate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Replicas as an operator runs them (issue 15): two or three server processes on this machine, each with its own data
 * folder (so its own Docker instance label), name and slot cap, sharing one PostgreSQL schema and one S3 prefix. The
 * shared queue starts each run once, on a replica with a free slot, within every replica's cap; a run is watched and
 * controlled through any replica; a replica killed mid-run takes its run back when it restarts, and one declared gone
 * ends its runs {@code REPLICA_LOST} and puts its unstarted claims back in the queue.
 */
class ReplicasIT {
    private static final String TOKEN = "a-token-the-replicas-share-32-chars";
    /** Prints a line every 0.2 s until its gate opens ({@link RestartRecoveryIT#openGate}). */
    private static final String TICKING = "echo start; i=0; while [ ! -f go ]; do i=$((i+1)); echo tick $i; sleep 0.2;"
            + " done; echo end";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    @RegisterExtension
    @Order(1)
    final SharedStorage storage = new SharedStorage();
    @RegisterExtension
    @Order(2)
    final ServerProcesses servers = new ServerProcesses();

    /** A replica with its own folders and {@code slots} runs at once, on the shared store and bucket. */
    private ServerProcess.Setup replica(String name, int slots) {
        return storage.replica(ServerProcess.Setup.in(root.resolve(name)), name)
                .withFlags("--max-concurrent", Integer.toString(slots));
    }

    /** A replica that counts as gone 3 s after its last heartbeat (the default is 10 s). */
    private ServerProcess.Setup soonGone(String name, int slots) {
        return replica(name, slots).withEnv("LIGHT_RUN_REPLICA_HEARTBEAT_MS", "500")
                .withEnv("LIGHT_RUN_REPLICA_SILENCE_MS", "3000");
    }

    @Test
    void fiftyRunsSubmittedRoundRobinToThreeReplicasEachStartOnceWithinEveryReplicasSlots() throws Exception {
        Map<String, Integer> slots = new LinkedHashMap<>();
        slots.put("r1", 1);
        slots.put("r2", 2);
        slots.put("r3", 3);
        // Started together, as an operator would: their migrations of the one schema meet.
        List<ServerProcess> started = servers.startTogether(slots.entrySet().stream()
                .map(slot -> replica(slot.getKey(), slot.getValue()).withEnv("LIGHT_RUN_TOKEN", TOKEN)).toList());
        List<String> names = List.copyOf(slots.keySet());
        Map<String, ServerProcess> replicas = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            replicas.put(names.get(i), started.get(i));
        }
        List<Api> apis = replicas.values().stream().map(server -> server.api().withToken(TOKEN)).toList();

        Map<String, String> replicaOfInstance = new HashMap<>();
        replicas.forEach((name, server) -> replicaOfInstance.put(server.setup().instance(), name));

        Map<String, Integer> jobOf = new LinkedHashMap<>();
        List<DockerEvents.Event> events;
        Instant began = Instant.now();
        try (DockerEvents docker = DockerEvents.watch(List.copyOf(replicaOfInstance.keySet()))) {
            for (int job = 0; job < 50; job++) {
                String id = apis.get(job % apis.size()).submitDetached(script("echo job-" + job + " on $(hostname)"),
                        "queued");
                jobOf.put(id, job);
            }
            await("the 50 runs ended").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250))
                    .until(() -> storedRuns().stream().filter(run -> !run.status().equals("queued")
                            && !run.status().equals("running")).count() == jobOf.size());
            await("Docker told the end of every run's container").atMost(Duration.ofSeconds(10))
                    .until(() -> docker.events().stream().filter(event -> event.action().equals("die"))
                            .map(DockerEvents.Event::runId).collect(Collectors.toSet()).containsAll(jobOf.keySet()));
            events = docker.events();
        }
        Instant ended = Instant.now();

        // The store: one row per run, each succeeded on one of the replicas.
        List<StoredRun> stored = storedRuns();
        assertThat(stored).extracting(StoredRun::id).containsExactlyInAnyOrderElementsOf(jobOf.keySet());
        assertThat(stored).allSatisfy(run -> {
            assertThat(run.status()).as(run.id()).isEqualTo("succeeded");
            assertThat(run.replica()).as(run.id()).isIn(slots.keySet());
            assertThat(run.startedAt()).as(run.id()).isNotNull();
        });

        // Docker: each run had one container, created by the replica the store names, and printed its job once.
        Map<String, List<String>> containersOfRun = new HashMap<>();
        events.stream().filter(event -> event.action().equals("create")).forEach(event ->
                containersOfRun.computeIfAbsent(event.runId(), id -> new ArrayList<>())
                        .add(replicaOfInstance.get(event.instance()) + "/" + event.containerId()));
        Map<String, Integer> mostAtOnce = new LinkedHashMap<>();
        replicas.forEach((name, server) -> mostAtOnce.put(name, mostAtOnce(events.stream()
                .filter(event -> event.instance().equals(server.setup().instance())).toList())));
        for (StoredRun run : stored) {
            List<String> containers = containersOfRun.get(run.id());
            assertThat(containers).as("containers created for run %s", run.id()).hasSize(1);
            assertThat(containers.getFirst()).startsWith(run.replica() + "/");
            String container = containers.getFirst().substring(run.replica().length() + 1);
            JsonNode state = apis.get(jobOf.get(run.id()) % apis.size()).run(run.id());
            assertThat(state.path("replica").asText()).isEqualTo(run.replica());
            assertThat(state.path("logs").path("stdout").asText())
                    .isEqualTo("job-" + jobOf.get(run.id()) + " on " + container.substring(0, 12) + "\n");
        }
        slots.forEach((name, cap) -> assertThat(mostAtOnce.get(name))
                .as("containers of %s running at once", name).isBetween(1, cap));
        Map<String, Long> served = stored.stream().collect(Collectors.groupingBy(StoredRun::replica,
                LinkedHashMap::new, Collectors.counting()));
        assertThat(served.keySet()).as("every replica served runs").containsExactlyInAnyOrderElementsOf(slots.keySet());
        assertThat(stored).extracting(StoredRun::id).allSatisfy(id ->
                assertThat(DockerCli.containersOfRun(id)).as("containers of %s left", id).isEmpty());

        // Every replica lists the three (admin, so with the token), and /health shows them to anyone.
        replicas.forEach((name, server) -> {
            Api api = server.api().withToken(TOKEN);
            HttpResponse<String> answer = api.get("/replicas");
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            JsonNode listed = Api.json(answer);
            assertThat(listed.path("self").asText()).isEqualTo(name);
            assertThat(listed.path("replicas")).hasSize(3);
            for (JsonNode replica : listed.path("replicas")) {
                String listedName = replica.path("name").asText();
                assertThat(slots).containsKey(listedName);
                assertThat(replica.path("alive").asBoolean()).as(listedName).isTrue();
                assertThat(replica.path("running").asInt()).as(listedName).isZero();
                assertThat(replica.path("slots").asInt()).as(listedName).isEqualTo(slots.get(listedName));
                assertThat(replica.path("url").asText() + "/").as(listedName)
                        .isEqualTo(replicas.get(listedName).api().uri("/").toString());
                assertThat(replica.path("heartbeatAt").isTextual()).isTrue();
            }
            JsonNode health = Api.json(server.api().get("/health"));
            assertThat(health.path("replica").asText()).isEqualTo(name);
            assertThat(health.path("replicas")).hasSize(3).allSatisfy(replica -> {
                assertThat(replica.path("alive").asBoolean()).isTrue();
                assertThat(replica.path("running").asInt()).isZero();
                assertThat(replica.path("slots").asInt()).isEqualTo(slots.get(replica.path("name").asText()));
                assertThat(replica.has("url")).as("/health does not say where replicas are").isFalse();
            });
            assertThat(server.api().get("/replicas").statusCode()).as("GET /replicas without the token").isEqualTo(401);
        });
        System.out.printf("[replicas] 50 runs in %d ms; runs per replica %s; most containers at once %s (slots %s)%n",
                Duration.between(began, ended).toMillis(), served, mostAtOnce, slots);
    }

    @Test
    void aRunSubmittedToAReplicaWithoutAFreeSlotIsStartedAtOnceByAnIdleOne() {
        ServerProcess a = servers.start(replica("a", 1));
        // Alone, a takes its own run: it is then busy when b joins.
        String busy = a.api().submitDetached(script(GATED), "queued");
        awaitExecuting(a.api(), busy, "a");
        ServerProcess b = servers.start(replica("b", 1));

        String quick = a.api().submitDetached(script("echo quick"), "queued");

        JsonNode done = a.api().awaitFinished(quick, Duration.ofSeconds(30));
        assertThat(done.path("status").asText()).isEqualTo("succeeded");
        assertThat(done.path("replica").asText()).isEqualTo("b");
        assertThat(done.path("logs").path("stdout").asText()).isEqualTo("quick\n");
        Duration waited = Duration.between(Instant.parse(done.path("queuedAt").asText()),
                Instant.parse(done.path("startedAt").asText()));
        assertThat(waited).as("time in the queue").isLessThan(Duration.ofSeconds(3));
        JsonNode listed = Api.json(b.api().get("/replicas"));
        assertThat(listed.path("replicas")).extracting(r -> r.path("name").asText() + " " + r.path("running").asInt()
                + "/" + r.path("slots").asInt()).containsExactly("a 1/1", "b 0/1");

        JsonNode stillBusy = b.api().run(busy);
        assertThat(stillBusy.path("status").asText()).isEqualTo("running");
        assertThat(stillBusy.path("replica").asText()).isEqualTo("a");
        openGate(busy);
        JsonNode busyDone = b.api().awaitFinished(busy, Duration.ofSeconds(30));
        assertThat(busyDone.path("status").asText()).isEqualTo("succeeded");
        assertThat(busyDone.path("replica").asText()).isEqualTo("a");
        assertThat(DockerCli.containersOfRun(busy)).isEmpty();
        assertThat(DockerCli.containersOfRun(quick)).isEmpty();
        System.out.printf("[replicas] a run submitted to a busy replica waited %d ms, started on the idle one%n",
                waited.toMillis());
    }

    @Test
    void aRunExecutingOnOneReplicaIsFollowedControlledAndDownloadedThroughAnother() throws Exception {
        ServerProcess a = servers.start(replica("a", 3));
        // Alone, a executes all three; b joins after.
        String withFiles = a.api().submitDetached(script("mkdir -p o && seq 1 100000 > o/numbers && echo made",
                "extract", List.of("/app/o")), "queued");
        assertThat(a.api().awaitFinished(withFiles, Duration.ofSeconds(30)).path("status").asText())
                .isEqualTo("succeeded");
        String ticking = a.api().submitDetached(script(TICKING, "timeout", 120_000), "queued");
        String gated = a.api().submitDetached(script(GATED, "timeout", 120_000), "queued");
        awaitExecuting(a.api(), ticking, "a");
        awaitExecuting(a.api(), gated, "a");
        Api b = servers.start(replica("b", 1)).api();

        JsonNode seen = b.run(ticking);
        assertThat(seen.path("status").asText()).isEqualTo("running");
        assertThat(seen.path("replica").asText()).isEqualTo("a");

        Follow follow = Follow.of(b, ticking);
        await("the first lines through b, live").atMost(Duration.ofSeconds(15))
                .until(() -> follow.lines().size() >= 3);
        assertThat(follow.ended()).as("the follow is open while the run goes on").isNotDone();
        assertThat(follow.lines()).startsWith("start", "tick 1");

        assertThat(b.post("/runs/" + ticking + "/pause", Map.of()).statusCode()).isEqualTo(204);
        assertThat(paused(ticking)).as("the container is paused on a's side").isTrue();
        assertThat(b.run(ticking).path("status").asText()).isEqualTo("running");
        assertThat(b.post("/runs/" + ticking + "/resume", Map.of()).statusCode()).isEqualTo(204);
        assertThat(paused(ticking)).isFalse();
        int linesBefore = follow.lines().size();
        await("ticks again after the resume").atMost(Duration.ofSeconds(10))
                .until(() -> follow.lines().size() > linesBefore);

        HttpResponse<String> stopped = b.post("/runs/" + ticking + "/stop", Map.of("signal", "SIGTERM", "grace", 1000));
        assertThat(stopped.statusCode()).as(stopped.body()).isEqualTo(204);
        JsonNode stopState = b.awaitFinished(ticking, Duration.ofSeconds(20));
        assertThat(stopState.path("status").asText()).isEqualTo("cancelled");
        assertThat(stopState.path("errorCode").asText()).isEqualTo("STOPPED");
        assertThat(follow.ended().get(10, TimeUnit.SECONDS)).as("the follow's status")
                .isEqualTo(200);
        assertThat(String.join("\n", follow.lines()) + "\n").as("the followed lines are the run's log")
                .isEqualTo(b.logs(ticking, ""));

        HttpResponse<String> cancelled = b.post("/runs/" + gated + "/cancel", Map.of());
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(204);
        JsonNode cancelState = b.awaitFinished(gated, Duration.ofSeconds(20));
        assertThat(cancelState.path("status").asText()).isEqualTo("cancelled");
        assertThat(cancelState.path("errorCode").asText()).isEqualTo("CANCELLED");
        assertThat(b.post("/runs/" + gated + "/cancel", Map.of()).statusCode()).as("cancel of an ended run")
                .isEqualTo(404);

        // a's finished run: its files and log come from the bucket.
        String numbers = IntStream.rangeClosed(1, 100_000).mapToObj(Integer::toString)
                .collect(Collectors.joining("\n", "", "\n"));
        JsonNode listedFiles = Api.json(b.get("/runs/" + withFiles + "/artifacts"));
        assertThat(listedFiles.findValuesAsText("path")).contains("o/numbers");
        HttpResponse<String> whole = b.get("/runs/" + withFiles + "/artifacts/o/numbers");
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(sha256(whole.body())).isEqualTo(sha256(numbers));
        HttpResponse<String> range = ServerProcess.send(HttpClient.newHttpClient(), b.request("/runs/" + withFiles
                + "/artifacts/o/numbers").header("Range", "bytes=100000-100999").GET().build());
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.headers().firstValue("Content-Range"))
                .hasValue("bytes 100000-100999/" + numbers.length());
        assertThat(range.body()).isEqualTo(numbers.substring(100_000, 101_000));
        assertThat(b.logs(withFiles, "")).isEqualTo("made\n");

        for (String id : List.of(withFiles, ticking, gated)) {
            assertThat(DockerCli.containersOfRun(id)).as("containers of %s left", id).isEmpty();
        }
    }

    @Test
    void aReplicaKilledMidRunKeepsItsRunWhileTheOtherServesTheQueueAndReattachesItWhenBack() {
        ServerProcess.Setup aSetup = soonGone("a", 1);
        ServerProcess a = servers.start(aSetup);
        String survivor = a.api().submitDetached(script(GATED, "timeout", 120_000), "queued");
        awaitExecuting(a.api(), survivor, "a");
        Api b = servers.start(soonGone("b", 1)).api();
        // b busy too, so that what a is given waits in the queue.
        String blocker = b.submitDetached(script(GATED), "queued");
        awaitExecuting(b, blocker, "b");
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            queued.add(a.api().submitDetached(script("echo queued-" + i), "queued"));
        }
        assertThat(queued).allSatisfy(id -> assertThat(b.status(id)).isEqualTo("queued"));

        a.kill9();

        for (int i = 3; i < 5; i++) {
            queued.add(b.submitDetached(script("echo queued-" + i), "queued"));
        }
        openGate(blocker);
        for (int i = 0; i < queued.size(); i++) {
            JsonNode done = b.awaitFinished(queued.get(i), Duration.ofSeconds(30));
            assertThat(done.path("status").asText()).isEqualTo("succeeded");
            assertThat(done.path("replica").asText()).isEqualTo("b");
            assertThat(done.path("logs").path("stdout").asText()).isEqualTo("queued-" + i + "\n");
        }
        await("a counts as gone").atMost(Duration.ofSeconds(15)).until(() -> !alive(b, "a"));
        JsonNode meanwhile = b.run(survivor);
        assertThat(meanwhile.path("status").asText()).as("a's run while a is down").isEqualTo("running");
        assertThat(meanwhile.path("replica").asText()).isEqualTo("a");
        assertThat(DockerCli.isRunning(DockerCli.containerOf(survivor))).isTrue();
        HttpResponse<String> logsMeanwhile = b.get("/runs/" + survivor + "/logs");
        assertThat(logsMeanwhile.statusCode()).as("its live log is on a: %s", logsMeanwhile.body()).isEqualTo(503);
        assertThat(Api.json(logsMeanwhile).path("message").asText()).contains("'a'");

        servers.start(aSetup);

        await("a is back").atMost(Duration.ofSeconds(10)).until(() -> alive(b, "a"));
        assertThat(b.status(survivor)).isEqualTo("running");
        openGate(survivor);
        JsonNode done = b.awaitFinished(survivor, Duration.ofSeconds(30));
        assertThat(done.path("status").asText()).isEqualTo("succeeded");
        assertThat(done.path("replica").asText()).isEqualTo("a");
        assertThat(done.path("logs").path("stdout").asText()).isEqualTo("start\nend\n");
        assertThat(b.logs(survivor, "")).as("its whole log, through b").isEqualTo("start\nend\n");
        List<String> all = new ArrayList<>(queued);
        all.addAll(List.of(survivor, blocker));
        assertThat(all).allSatisfy(id -> assertThat(DockerCli.containersOfRun(id)).as("containers of %s", id).isEmpty());
    }

    @Test
    void aSilentReplicaForgottenEndsItsRunReplicaLostWithItsCallbackAndItsUnstartedClaimRunsElsewhere()
            throws Exception {
        // A build step unique to this test (never cached), so that the run it is in takes a while to launch.
        String step = "sleep 5 # " + UUID.randomUUID();
        String builtImage = buildTag(step);
        try (CallbackReceiver receiver = CallbackReceiver.answering()) {
            // b first, alone, and busy: a then takes what it is given.
            Api b = servers.start(soonGone("b", 1)).api();
            String blocker = b.submitDetached(script(GATED), "queued");
            awaitExecuting(b, blocker, "b");
            ServerProcess a = servers.start(soonGone("a", 2));
            String lost = a.api().submitDetached(script(GATED, "callbackUrl", receiver.url("/hook"),
                    "timeout", 120_000), "queued");
            awaitExecuting(a.api(), lost, "a");
            assertThat(b.delete("/replicas/nobody").statusCode()).as("unknown").isEqualTo(404);
            assertThat(b.delete("/replicas/b").statusCode()).as("itself").isEqualTo(409);
            assertThat(b.delete("/replicas/a").statusCode()).as("alive").isEqualTo(409);
            // Claimed by a, whose build step keeps it from being launched until a is gone.
            String unstarted = a.api().submitDetached(script("echo built", "run", List.of(step)), "queued");
            await("a claimed the run with a build step").atMost(Duration.ofSeconds(5))
                    .until(() -> a.api().run(unstarted).path("replica").asText().equals("a"));
            assertThat(DockerCli.containersOfRun(unstarted)).as("still building").isEmpty();

            a.kill9();
            openGate(blocker);

            JsonNode builtElsewhere = b.awaitFinished(unstarted, Duration.ofSeconds(60));
            assertThat(builtElsewhere.path("status").asText()).isEqualTo("succeeded");
            assertThat(builtElsewhere.path("replica").asText()).isEqualTo("b");
            assertThat(builtElsewhere.path("logs").path("stdout").asText()).isEqualTo("built\n");
            assertThat(b.status(lost)).isEqualTo("running");
            await("a counts as gone").atMost(Duration.ofSeconds(15)).until(() -> !alive(b, "a"));

            HttpResponse<String> forgotten = b.delete("/replicas/a");
            assertThat(forgotten.statusCode()).as(forgotten.body()).isEqualTo(200);
            assertThat(Api.json(forgotten).path("replica").asText()).isEqualTo("a");
            assertThat(Api.json(forgotten).path("runsEnded").asInt()).isEqualTo(1);

            JsonNode ended = b.run(lost);
            assertThat(ended.path("status").asText()).isEqualTo("failed");
            assertThat(ended.path("errorCode").asText()).isEqualTo("REPLICA_LOST");
            assertThat(ended.path("error").asText()).contains("'a'");
            assertThat(ended.path("replica").asText()).as("where it was lost").isEqualTo("a");
            await("the callback").atMost(Duration.ofSeconds(15)).until(() -> !receiver.received().isEmpty());
            await("no second delivery").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                    .until(() -> receiver.received().size() == 1);
            JsonNode delivered = Api.JSON.readTree(receiver.received().getFirst().body());
            assertThat(delivered.path("id").asText()).isEqualTo(lost);
            assertThat(delivered.path("status").asText()).isEqualTo("failed");
            assertThat(delivered.path("errorCode").asText()).isEqualTo("REPLICA_LOST");

            assertThat(Api.json(b.get("/replicas")).path("replicas")).extracting(r -> r.path("name").asText())
                    .containsExactly("b");
            assertThat(b.delete("/replicas/a").statusCode()).as("forgotten already").isEqualTo(404);
            assertThat(b.status(blocker)).isEqualTo("succeeded");
            assertThat(DockerCli.exists("image", builtImage)).as("the image b built").isTrue();
        } finally {
            DockerCli.tryRun("image", "rm", "-f", builtImage);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Waits until {@code replica} executes the run: recorded so, its container up, its first line written. */
    private static void awaitExecuting(Api api, String id, String replica) {
        await("run " + id + " executing on " + replica).atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode state = api.run(id);
            return state.path("status").asText().equals("running") && state.path("replica").asText().equals(replica)
                    && DockerCli.isRunning(DockerCli.containerOf(id)) && api.logs(id, "").startsWith("start");
        });
    }

    /** Whether {@code name} is alive in the list of replicas {@code api} shows. */
    private static boolean alive(Api api, String name) {
        for (JsonNode replica : Api.json(api.get("/replicas")).path("replicas")) {
            if (replica.path("name").asText().equals(name)) {
                return replica.path("alive").asBoolean();
            }
        }
        return false;
    }

    private static boolean paused(String runId) {
        return DockerCli.run("inspect", "-f", "{{.State.Paused}}", DockerCli.containerOf(runId)).equals("true");
    }

    /** The most of a replica's containers running at once, from their {@code start} and {@code die} events. */
    private static int mostAtOnce(List<DockerEvents.Event> events) {
        int running = 0;
        int most = 0;
        for (DockerEvents.Event event : events) {
            if (event.action().equals("start")) {
                most = Math.max(most, ++running);
            } else if (event.action().equals("die")) {
                running--;
            }
        }
        return most;
    }

    /** A row of the {@code runs} table, as the replicas left it. */
    private record StoredRun(String id, String status, String replica, String startedAt) {
    }

    private List<StoredRun> storedRuns() throws Exception {
        List<StoredRun> runs = new ArrayList<>();
        try (Connection db = storage.database().connect(); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, status, replica, state FROM runs")) {
            while (rs.next()) {
                JsonNode state = Api.JSON.readTree(rs.getString(4));
                runs.add(new StoredRun(rs.getString(1), rs.getString(2), rs.getString(3),
                        state.path("startedAt").isNull() ? null : state.path("startedAt").asText(null)));
            }
        }
        return runs;
    }

    /** The tag light-runner gives the image it builds for one step on busybox (see ImageResolver.cacheKey). */
    private static String buildTag(String step) throws Exception {
        String dockerfile = "FROM " + Api.BUSYBOX + "\nRUN [\"sh\", \"-c\", " + Api.write(step) + "]\n";
        return "light-run-build:" + sha256(dockerfile);
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code GET /runs/{id}/logs?follow=true} read line by line as the lines come, on a thread of its own. */
    private record Follow(List<String> lines, CompletableFuture<Integer> ended) {
        static Follow of(Api api, String id) {
            List<String> lines = new CopyOnWriteArrayList<>();
            CompletableFuture<Integer> ended = new CompletableFuture<>();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Thread.ofVirtual().name("follow-" + id).start(() -> {
                try {
                    HttpResponse<InputStream> response = client.send(api.request("/runs/" + id + "/logs?follow=true")
                            .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                    try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                            StandardCharsets.UTF_8))) {
                        for (String line; (line = reader.readLine()) != null; ) {
                            lines.add(line);
                        }
                    }
                    ended.complete(response.statusCode());
                } catch (Exception e) {
                    ended.completeExceptionally(e);
                }
            });
            return new Follow(lines, ended);
        }
    }
}
