package dev.lightrun.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real light-run server process ({@code java -Xmx128m -jar light-run.jar serve --port P}) with its own temporary
 * artifacts folder and log file: started, waited for, measured (RSS from /proc), stopped.
 */
final class ServerProcess implements AutoCloseable {
    private static final Duration START_DEADLINE = Duration.ofSeconds(90);

    private final Process process;
    private final int port;
    private final Path log;
    private final long launchedNanos;
    private double startupMs = Double.NaN;
    private volatile boolean closing;
    private volatile String unexpectedExit;

    private ServerProcess(Process process, int port, Path log, long launchedNanos) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.launchedNanos = launchedNanos;
        // A server that dies under the benchmark must say so at once, not as hundreds of refused connections.
        process.onExit().thenAccept(p -> {
            if (!closing) {
                unexpectedExit = "light-run server pid " + p.pid() + " exited on its own with code " + p.exitValue()
                        + (p.exitValue() > 128 ? " (signal " + (p.exitValue() - 128) + ")" : "") + "; log tail:\n"
                        + tail();
                System.err.println("light-run-bench: " + unexpectedExit);
            }
        });
    }

    /** Why the server ended without being asked to, or null while it lives or after a normal close. */
    String unexpectedExit() {
        return unexpectedExit;
    }

    /**
     * The server's JVM options as bin/light-run reads them from {@code optionsFile}: one per line, blank lines and
     * lines starting with '#' skipped, {@code {jar}} replaced by the jar's path without ".jar".
     */
    static List<String> jvmOptions(Path optionsFile, Path jar) throws IOException {
        String jarBase = jar.toString().replaceFirst("\\.jar$", "");
        return Files.readAllLines(optionsFile, StandardCharsets.UTF_8).stream()
                .map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .map(line -> line.replace("{jar}", jarBase))
                .toList();
    }

    /** The class archive the options name ({@code -XX:SharedArchiveFile=}), if any. */
    static java.util.Optional<Path> classArchive(List<String> jvmOptions) {
        return jvmOptions.stream().filter(o -> o.startsWith("-XX:SharedArchiveFile="))
                .map(o -> Path.of(o.substring("-XX:SharedArchiveFile=".length()))).reduce((first, last) -> last);
    }

    /** Launches the server; {@link #awaitHealthy} then measures process start to the first 200 from /health. */
    static ServerProcess launch(Path java, Path jar, Path workDir, List<String> jvmOptions) throws IOException {
        return launch(java, jar, workDir, jvmOptions, Map.of());
    }

    /** Like {@link #launch(Path, Path, Path, List)}, with extra {@code LIGHT_RUN_*} settings in its environment. */
    static ServerProcess launch(Path java, Path jar, Path workDir, List<String> jvmOptions,
                                Map<String, String> settings) throws IOException {
        int port = freePort();
        Path artifacts = Files.createDirectories(workDir.resolve("artifacts-" + port));
        Path log = workDir.resolve("server-" + port + ".log");
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "serve", "--port", Integer.toString(port)));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("LIGHT_RUN_ARTIFACTS_DIR", artifacts.toString());
        // Its own run store, and enough slots that the server's queue never throttles the concurrency we measure.
        builder.environment().put("LIGHT_RUN_DATA_DIR", workDir.resolve("data-" + port).toString());
        builder.environment().put("LIGHT_RUN_MAX_CONCURRENT", "64");
        builder.environment().put("LIGHT_RUN_MAX_QUEUE", "1000");
        builder.environment().remove("LIGHT_RUN_TOKEN");
        builder.environment().remove("LIGHT_RUN_PORT");
        // Its own store and artifacts, whatever the shell exported (`eval "$(scripts/dev-services.sh env)"` exports a
        // PostgreSQL LIGHT_RUN_STORE_URL): servers of the benchmark sharing one database would be replicas of each
        // other. The replicas scenario gives its servers a store of their own through `settings`.
        builder.environment().remove("LIGHT_RUN_STORE_URL");
        builder.environment().remove("LIGHT_RUN_ARTIFACTS_URL");
        builder.environment().keySet().removeIf(name -> name.startsWith("LIGHT_RUN_REPLICA_"));
        builder.environment().putAll(settings);
        long launched = System.nanoTime();
        return new ServerProcess(builder.start(), port, log, launched);
    }

    /** Polls /health every 10 ms until it answers 200; returns the milliseconds since launch. */
    double awaitHealthy(HttpClient http) throws IOException, InterruptedException {
        HttpRequest health = HttpRequest.newBuilder(URI.create(baseUrl() + "/health"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = launchedNanos + START_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("light-run exited with " + process.exitValue() + " before /health answered; log:\n"
                        + tail());
            }
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    startupMs = (System.nanoTime() - launchedNanos) / 1e6;
                    return startupMs;
                }
            } catch (IOException notYet) {
                // connection refused until Jetty listens
            }
            Thread.sleep(10);
        }
        throw new IOException("light-run did not answer 200 on /health within " + START_DEADLINE + "; log:\n" + tail());
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    double startupMs() {
        return startupMs;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Resident set size in KiB (VmRSS), or -1 when the process is gone. */
    long rssKib() {
        return procStatusKib("VmRSS:");
    }

    /** Peak resident set size in KiB since start (VmHWM, kept by the kernel), or -1. */
    long hwmKib() {
        return procStatusKib("VmHWM:");
    }

    private long procStatusKib(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | UncheckedIOException | NumberFormatException gone) {
            return -1;
        }
        return -1;
    }

    /** The last lines of the server's log, for error messages. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e + ")";
        }
    }

    Path log() {
        return log;
    }

    /** SIGTERM (the server's shutdown hook closes it), then SIGKILL after 15 s. */
    @Override
    public void close() {
        closing = true;
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
