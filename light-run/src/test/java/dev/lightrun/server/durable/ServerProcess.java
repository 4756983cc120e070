package dev.lightrun.server.durable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * A light-run server as a separate process on the shaded jar: its own data and artifacts folders, its output (stdout
 * and stderr) in a log file next to them. {@link #kill9()} is SIGKILL ({@link Process#destroyForcibly()} on Linux),
 * {@link #sigterm()} is SIGTERM ({@link Process#destroy()}).
 *
 * <p>The JVM is started as {@code java -cp light-run.jar dev.lightrun.server.cli.LightRunCli serve ...}: the same jar
 * and the same main class its manifest names, but a command line that a {@code pkill -f 'light-run.jar serve'} run by
 * another session on this machine does not match.
 */
final class ServerProcess implements AutoCloseable {
    static final Path JAR = Path.of("target", "light-run.jar").toAbsolutePath();
    private static final String MAIN = "dev.lightrun.server.cli.LightRunCli";
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)");
    private static final AtomicInteger STARTS = new AtomicInteger();
    /** Everything this test JVM started, killed if the JVM goes away before the tests close them. */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly)));
    }

    private final Setup setup;
    private final Process process;
    private final Path logFile;
    private final Api api;

    /**
     * How to start a server: folders, JVM options, {@code serve} flags and {@code LIGHT_RUN_*} variables. Starting the
     * same setup again is a restart on the same data. {@link #toString()} leaves the variables out (a store URL holds
     * a password).
     */
    record Setup(Path root, Path dataDir, Path artifactsDir, List<String> jvmOptions, List<String> flags,
                 Map<String, String> env) {
        static Setup in(Path root, String... flags) {
            return new Setup(root, root.resolve("data"), root.resolve("artifacts"), List.of(), List.of(flags), Map.of());
        }

        Setup jvm(String... options) {
            return new Setup(root, dataDir, artifactsDir, List.of(options), flags, env);
        }

        /** The same setup with one more environment variable for the server, e.g. {@code LIGHT_RUN_STORE_URL}. */
        Setup withEnv(String name, String value) {
            Map<String, String> all = new java.util.HashMap<>(env);
            all.put(name, value);
            return new Setup(root, dataDir, artifactsDir, jvmOptions, flags, Map.copyOf(all));
        }

        @Override
        public String toString() {
            return "Setup[root=" + root + ", flags=" + flags + ", env=" + env.keySet() + "]";
        }

        /** The same folders with more {@code serve} flags (a restart with another configuration). */
        Setup withFlags(String... more) {
            List<String> all = new ArrayList<>(flags);
            all.addAll(List.of(more));
            return new Setup(root, dataDir, artifactsDir, jvmOptions, List.copyOf(all), env);
        }

        ServerProcess start() {
            return ServerProcess.start(this);
        }

        /** The command line of {@code serve} for this setup (port 0: the server picks a free one and logs it). */
        List<String> command(String... extraFlags) {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("--enable-native-access=ALL-UNNAMED");
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", JAR.toString(), MAIN, "serve", "--port", "0",
                    "--data-dir", dataDir.toString(), "--artifacts-dir", artifactsDir.toString(),
                    // Receivers listen on loopback (refused by default).
                    "--callback-allow", "127.0.0.0/8"));
            // Bursts of runs must not queue or 429, unless the setup gives its own cap (an option given twice is
            // refused).
            for (List<String> cap : List.of(List.of("--max-concurrent", "16"), List.of("--max-queue", "1000"))) {
                if (!flags.contains(cap.getFirst())) {
                    command.addAll(cap);
                }
            }
            command.addAll(flags);
            command.addAll(List.of(extraFlags));
            return command;
        }

        /** Safety net after a test: removes the containers of this setup's instance, if a server ever started. */
        void removeLeftoverContainers() {
            if (Files.exists(dataDir.resolve("instance-id"))) {
                DockerCli.removeInstanceContainers(instance());
            }
        }

        /** The instance name the server keeps in its data folder (written at its first start). */
        String instance() {
            try {
                return Files.readString(dataDir.resolve("instance-id")).trim();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private ServerProcess(Setup setup, Process process, Path logFile, int port) {
        this.setup = setup;
        this.process = process;
        this.logFile = logFile;
        this.api = new Api(URI.create("http://127.0.0.1:" + port));
    }

    private static ServerProcess start(Setup setup) {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " is missing: build it first (./mvnw -o -pl light-run -am package -DskipTests)");
        }
        SdkCheck.verifyOnce();
        long began = System.nanoTime();
        Path logFile = setup.root().resolve("server-" + STARTS.incrementAndGet() + ".log");
        Process process;
        try {
            Files.createDirectories(setup.root());
            ProcessBuilder builder = new ProcessBuilder(setup.command());
            // The test JVM may have the store of scripts/dev-services.sh in its environment: a server uses it only when
            // its setup says so, or every server of every IT would share one database.
            builder.environment().remove("LIGHT_RUN_STORE_URL");
            builder.environment().putAll(setup.env());
            process = builder
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + setup.command(), e);
        }
        LIVE.add(process);
        int[] port = {0};
        await("server up (log " + logFile + ")").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("the server exited with " + process.exitValue()
                                + " before it was up:\n" + Files.readString(logFile));
                    }
                    Matcher matcher = LISTENING.matcher(Files.readString(logFile));
                    if (!matcher.find()) {
                        return false;
                    }
                    port[0] = Integer.parseInt(matcher.group(1));
                    return true;
                });
        ServerProcess server = new ServerProcess(setup, process, logFile, port[0]);
        await("GET /health answers 200").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptionsInstanceOf(UncheckedIOException.class)
                .until(() -> server.api.get("/health").statusCode() == 200);
        System.out.printf("[server] pid %d up in %d ms (%s)%n", process.pid(), (System.nanoTime() - began) / 1_000_000,
                String.join(" ", setup.flags()));
        return server;
    }

    Api api() {
        return api;
    }

    Setup setup() {
        return setup;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** What the server printed so far (its log lines, one per event). */
    String log() {
        try {
            return Files.readString(logFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed or closed. */
    void kill9() {
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(10));
    }

    /** SIGTERM: the graceful shutdown. Returns at once; see {@link #awaitExit}. */
    void sigterm() {
        process.destroy();
    }

    /** Waits for the process to end; returns its exit code. */
    int awaitExit(Duration atMost) {
        try {
            if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the server (pid " + process.pid() + ") did not exit within " + atMost);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        LIVE.remove(process);
        return process.exitValue();
    }

    /** Resident memory of the server process in KiB, from /proc. */
    long rssKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/" + process.pid() + "/status");
    }

    /** Graceful stop if still running (SIGTERM, then SIGKILL after 30 s). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LIVE.remove(process);
    }

    /**
     * The jar must bundle the SDK of this checkout: {@code -pl light-run verify} shades whatever light-runner the local
     * Maven repository holds, and when that repository is shared (several worktrees on one machine), it may be
     * another checkout's build. Compares every SDK class in the jar with {@code ../light-runner/target/classes}.
     */
    static final class SdkCheck {
        private static volatile boolean verified;

        static synchronized void verifyOnce() {
            if (verified) {
                return;
            }
            Path classes = Path.of("..", "light-runner", "target", "classes").toAbsolutePath().normalize();
            if (!Files.isDirectory(classes)) {
                verified = true;
                return;
            }
            List<String> differing = new ArrayList<>();
            try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(JAR.toFile());
                 java.util.stream.Stream<Path> files = Files.walk(classes)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                    String entry = classes.relativize(file).toString().replace('\\', '/');
                    java.util.zip.ZipEntry inJar = jar.getEntry(entry);
                    if (inJar == null || !java.util.Arrays.equals(Files.readAllBytes(file),
                            jar.getInputStream(inJar).readAllBytes())) {
                        differing.add(entry);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!differing.isEmpty()) {
                throw new IllegalStateException(JAR + " bundles a light-runner other than " + classes + " ("
                        + differing.size() + " class(es) differ, e.g. " + differing.getFirst() + "): the local Maven"
                        + " repository holds another build of the SDK. Build both in one reactor: ./mvnw -o -pl"
                        + " light-run -am verify ...");
            }
            verified = true;
        }
    }

    /** One HTTP answer as the test reads it. */
    static HttpResponse<String> send(HttpClient client, HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
