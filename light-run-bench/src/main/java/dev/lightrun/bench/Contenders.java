package dev.lightrun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.runner.Hardening;
import dev.lightrun.runner.Limits;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What is measured: one run done by light-run over HTTP, by the Engine API directly (the floor) or by the docker CLI.
 * Every contender checks its run's result (exit code, output, file size), so a broken run is never a fast sample.
 */
final class Contenders {
    static final String BENCH_LABEL = "light-run-bench";
    static final ObjectMapper JSON = new ObjectMapper();

    /** One measured run: client-side total and named phases (ms); the light-run run id when there is one. */
    record Sample(double totalMs, Map<String, Double> phases, String runId) {
    }

    @FunctionalInterface
    interface Contender {
        Sample run() throws Exception;
    }

    private final HttpClient http;
    private final String lightRunUrl;
    private final EngineClient engine;
    private final String image;
    private final Path workDir;
    /** Every light-run run id we caused, to check none of their containers is left. */
    final Set<String> lightRunIds = ConcurrentHashMap.newKeySet();
    /** The docker CLI contenders. */
    final DockerCliRuns dockerCli;

    Contenders(HttpClient http, String lightRunUrl, EngineClient engine, String image, Path workDir) {
        this.http = http;
        this.lightRunUrl = lightRunUrl;
        this.engine = engine;
        this.image = image;
        this.workDir = workDir;
        this.dockerCli = new DockerCliRuns(image, workDir);
    }

    // ---------------------------------------------------------------- the workloads

    /** Scenario 1: {@code echo hi}, network none, one small file, no extraction. */
    static final String TRIVIAL_COMMAND = "echo hi";
    static final Map<String, String> TRIVIAL_FILES = Map.of("hello.txt", "hello\n");

    /** Scenario 3: 100 files of 10 KiB in, one big file written inside the container. */
    static Map<String, String> hundredFiles() {
        Map<String, String> files = new LinkedHashMap<>();
        long seed = 42;
        for (int i = 0; i < 100; i++) {
            StringBuilder text = new StringBuilder(10 * 1024);
            while (text.length() < 10 * 1024) {
                seed = seed * 6364136223846793005L + 1442695040888963407L;
                text.append((char) ('a' + (int) ((seed >>> 33) % 26)));
                if (text.length() % 80 == 79) {
                    text.append('\n');
                }
            }
            files.put(String.format("file-%03d.txt", i), text.substring(0, 10 * 1024));
        }
        return files;
    }

    static String bigFileCommand(int mib) {
        return "test -f file-099.txt && mkdir -p /app/out && dd if=/dev/zero of=/app/out/big bs=1M count=" + mib;
    }

    // ---------------------------------------------------------------- light-run over HTTP

    /**
     * POST /run (sync) of the trivial workload to a server started with a warm pool of the image (network none);
     * the sample's phases carry {@code start:cold} = 1 when the pool had nothing for it (it then ran cold).
     */
    Sample lightRunWarm(String warmUrl) throws IOException, InterruptedException {
        return lightRunTrivial(warmUrl);
    }

    /** POST /run (sync) of the trivial workload. */
    Sample lightRunTrivial() throws IOException, InterruptedException {
        return lightRunTrivial(lightRunUrl);
    }

    private Sample lightRunTrivial(String url) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        JsonNode state = postRun(url, trivialBody(false), 200);
        double total = ms(t0);
        requireTrivialSucceeded(state);
        Map<String, Double> phases = timings(state);
        phases.put("start:cold", state.path("start").asText().equals("warm") ? 0.0 : 1.0);
        return new Sample(total, phases, state.path("id").asText());
    }

    /**
     * POST /run (sync) of the trivial workload to {@code url}; the sample's one phase, {@code claim}, is the run's
     * {@code startedAt - queuedAt} (the shared queue's round trip on a replica).
     */
    Sample lightRunClaim(String url) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        JsonNode state = postRun(url, trivialBody(false), 200);
        double total = ms(t0);
        requireTrivialSucceeded(state);
        return new Sample(total, Map.of("claim", ReplicaFigures.claimMs(state)), state.path("id").asText());
    }

    /** POST /run (detached) of the trivial workload to {@code url}: the id of the run, accepted (202). */
    String lightRunDetached(String url) throws IOException, InterruptedException {
        return postRun(url, trivialBody(true), 202).path("id").asText();
    }

    /** GET /runs/{id} from {@code url}. */
    JsonNode runState(String url, String id) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(url + "/runs/" + id))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("GET /runs/" + id + " answered " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        return JSON.readTree(response.body());
    }

    private Map<String, Object> trivialBody(boolean detached) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("image", image);
        body.put("files", TRIVIAL_FILES);
        body.put("entrypoint", TRIVIAL_COMMAND);
        body.put("network", "none");
        body.put("timeout", 60_000);
        if (detached) {
            body.put("detached", true);
        }
        return body;
    }

    /** Throws unless the trivial run succeeded and printed what it should. */
    static void requireTrivialSucceeded(JsonNode state) throws IOException {
        requireSucceeded(state);
        String stdout = state.path("logs").path("stdout").asText();
        if (!stdout.equals("hi\n")) {
            throw new IOException("light-run run " + state.path("id").asText() + " printed '" + stdout + "'");
        }
    }

    /** POST /run with 100 files and extraction of /app/out, then GET of the big artifact to a file. */
    Sample lightRunFiles(Map<String, String> files, int mib) throws IOException, InterruptedException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("image", image);
        body.put("files", files);
        body.put("entrypoint", bigFileCommand(mib));
        body.put("network", "none");
        body.put("extract", List.of("/app/out"));
        body.put("timeout", 1_800_000);
        Path dest = workDir.resolve("lr-big-" + System.nanoTime());
        long t0 = System.nanoTime();
        JsonNode state = postRun(body);
        double post = ms(t0);
        requireSucceeded(state);
        String id = state.path("id").asText();
        long t1 = System.nanoTime();
        EngineClient.Response download;
        // Written to a file as the floor writes its archive (same reader, same unbuffered 64 KiB writes).
        try (OutputStream out = Files.newOutputStream(dest)) {
            download = EngineClient.download(URI.create(lightRunUrl + "/runs/" + id + "/artifacts/out/big"), out);
        }
        double get = ms(t1);
        double total = ms(t0);
        try {
            if (download.status() != 200) {
                throw new IOException("GET artifact of run " + id + " answered " + download.status());
            }
            requireSize(dest, (long) mib << 20, "light-run artifact out/big");
        } finally {
            Files.deleteIfExists(dest);
            // Frees the server's copy; not timed.
            http.send(HttpRequest.newBuilder(URI.create(lightRunUrl + "/runs/" + id)).DELETE().build(),
                    HttpResponse.BodyHandlers.discarding());
        }
        Map<String, Double> phases = timings(state);
        phases.put("client:post", post);
        phases.put("client:download", get);
        return new Sample(total, phases, id);
    }

    private JsonNode postRun(Map<String, Object> body) throws IOException, InterruptedException {
        return postRun(lightRunUrl, body, 200);
    }

    /** POST /run; its answer, which must have the status {@code expected} (200 sync, 202 detached). */
    private JsonNode postRun(String url, Map<String, Object> body, int expected) throws IOException,
            InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/run"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofMinutes(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        JsonNode state = JSON.readTree(response.body());
        if (state.hasNonNull("id")) {
            lightRunIds.add(state.get("id").asText());
        }
        if (response.statusCode() != expected) {
            throw new IOException("POST /run answered " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        return state;
    }

    private static void requireSucceeded(JsonNode state) throws IOException {
        if (!state.path("status").asText().equals("succeeded")) {
            throw new IOException("light-run run " + state.path("id").asText() + " ended " + state.path("status")
                    .asText() + ": " + state.path("error").asText());
        }
    }

    private static Map<String, Double> timings(JsonNode state) {
        Map<String, Double> phases = new LinkedHashMap<>();
        state.path("timings").properties().forEach(e -> phases.put(e.getKey(), e.getValue().asDouble()));
        return phases;
    }

    // ---------------------------------------------------------------- the floor: the Engine API directly

    /** The create request, made as light-run makes it: same limits, capabilities, security option, log config. */
    Map<String, Object> containerConfig(String command) {
        Limits limits = Limits.DEFAULTS;
        Map<String, Object> hostConfig = new LinkedHashMap<>();
        hostConfig.put("NetworkMode", "none");
        hostConfig.put("Memory", limits.memoryBytes());
        hostConfig.put("MemorySwap", limits.memoryBytes());
        hostConfig.put("NanoCpus", limits.nanoCpus());
        hostConfig.put("PidsLimit", limits.pids());
        hostConfig.put("Privileged", false);
        hostConfig.put("ReadonlyRootfs", limits.readOnlyRootfs());
        hostConfig.put("CapDrop", new ArrayList<>(new TreeSet<>(Hardening.DEFAULTS.capDrop())));
        hostConfig.put("SecurityOpt", List.of("no-new-privileges"));
        hostConfig.put("LogConfig", Map.of("Type", "json-file", "Config", Map.of("max-size", "20m", "max-file", "2")));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("Image", image);
        config.put("Entrypoint", List.of("sh", "-c", command));
        config.put("WorkingDir", "/app");
        config.put("Labels", Map.of(BENCH_LABEL, "true"));
        config.put("AttachStdin", false);
        config.put("AttachStdout", false);
        config.put("AttachStderr", false);
        config.put("Tty", false);
        config.put("HostConfig", hostConfig);
        return config;
    }

    /** create -> [PUT archive] -> start -> wait -> logs -> remove. */
    Sample floorTrivial(byte[] tarOrNull) throws IOException {
        Map<String, Double> phases = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        String id = null;
        try {
            long t = System.nanoTime();
            id = engine.create(containerConfig(TRIVIAL_COMMAND));
            phases.put("create", ms(t));
            if (tarOrNull != null) {
                t = System.nanoTime();
                engine.putArchive(id, "/app", tarOrNull);
                phases.put("upload", ms(t));
            }
            t = System.nanoTime();
            engine.start(id);
            phases.put("start", ms(t));
            t = System.nanoTime();
            int exit = engine.await(id);
            phases.put("wait", ms(t));
            t = System.nanoTime();
            String[] logs = engine.logs(id);
            phases.put("logs", ms(t));
            if (exit != 0 || !logs[0].equals("hi\n")) {
                throw new IOException("floor container exited " + exit + " printing '" + logs[0] + "' / '" + logs[1] + "'");
            }
        } finally {
            if (id != null) {
                long t = System.nanoTime();
                engine.remove(id);
                phases.put("remove", ms(t));
            }
        }
        return new Sample(ms(t0), phases, null);
    }

    /** create -> PUT archive (100 files) -> start -> wait -> GET archive of /app/out streamed to a file -> remove. */
    Sample floorFiles(byte[] tar, int mib) throws IOException {
        Map<String, Double> phases = new LinkedHashMap<>();
        Path dest = workDir.resolve("floor-out-" + System.nanoTime() + ".tar");
        long t0 = System.nanoTime();
        String id = null;
        try {
            long t = System.nanoTime();
            id = engine.create(containerConfig(bigFileCommand(mib)));
            phases.put("create", ms(t));
            t = System.nanoTime();
            engine.putArchive(id, "/app", tar);
            phases.put("upload", ms(t));
            t = System.nanoTime();
            engine.start(id);
            phases.put("start", ms(t));
            t = System.nanoTime();
            int exit = engine.await(id);
            phases.put("wait", ms(t));
            if (exit != 0) {
                throw new IOException("floor container exited " + exit + ": " + String.join(" / ", engine.logs(id)));
            }
            t = System.nanoTime();
            long bytes;
            try (OutputStream out = Files.newOutputStream(dest)) {
                bytes = engine.getArchive(id, "/app/out", out);
            }
            phases.put("extract", ms(t));
            if (bytes < (long) mib << 20) {
                throw new IOException("floor archive of /app/out is " + bytes + " bytes, expected > " + mib + " MiB");
            }
        } finally {
            if (id != null) {
                long t = System.nanoTime();
                engine.remove(id);
                phases.put("remove", ms(t));
            }
            Files.deleteIfExists(dest);
        }
        return new Sample(ms(t0), phases, null);
    }

    // ---------------------------------------------------------------- the docker CLI

    // ---------------------------------------------------------------- helpers

    static double ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    static void requireSize(Path file, long expected, String what) throws IOException {
        long size = Files.exists(file) ? Files.size(file) : -1;
        if (size != expected) {
            throw new IOException(what + " is " + size + " bytes, expected " + expected);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path p : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("warning: could not delete " + root + ": " + e);
        }
    }
}
