package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.LogStream;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Shared fixture of the Docker end-to-end tests. Register it as a static field:
 * <pre>{@code @RegisterExtension static final DockerTestSupport docker = new DockerTestSupport();}</pre>
 * It creates one {@link DockerRunner} per test class, hands out unique run ids (remembered per test), and after each
 * test asserts that no container and no volume labelled with those run ids is left on the daemon, then removes
 * whatever was left (and the networks and build images the test registered) so one failure cannot leak into the next.
 * Only objects carrying this test's run ids are ever looked at or removed: the daemon is shared.
 */
public final class DockerTestSupport implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {
    public static final String BUSYBOX = "light-run-test/busybox";
    public static final String PYNODE = "light-run-test/pynode";
    /** Timeout of the specs made here: long enough for any test workload, short enough that a hang fails fast. */
    public static final Duration SPEC_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration LEFTOVER_WAIT = Duration.ofSeconds(5);

    private final Set<String> runIds = ConcurrentHashMap.newKeySet();
    private final Set<String> networks = ConcurrentHashMap.newKeySet();
    private final Set<String> images = ConcurrentHashMap.newKeySet();
    private volatile DockerRunner runner;
    private volatile DockerClient client;
    private volatile String testName = "test";

    /** Names in a folder, sorted. */
    public static List<String> children(java.nio.file.Path folder) throws IOException {
        try (java.util.stream.Stream<java.nio.file.Path> listed = java.nio.file.Files.list(folder)) {
            return listed.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Hex SHA-256 of some bytes, as {@code sha256sum} prints it. */
    public static String sha256(byte[] bytes) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    public DockerRunner runner() {
        return runner;
    }

    /** A plain docker-java client on the same daemon, for looking behind the SDK's back. */
    public DockerClient client() {
        return client;
    }

    /** A new run id, unique on the daemon, checked for leftovers after the test. */
    public String runId() {
        String id = "it-" + testName + "-" + UUID.randomUUID().toString().substring(0, 8);
        runIds.add(id);
        return id;
    }

    /** Registers a run id created outside the SDK (e.g. a planted container) for the leftover check. */
    public String trackRunId(String id) {
        runIds.add(id);
        return id;
    }

    /** A network name unique to this test; removed after the test if the test left it behind. */
    public String networkName(String prefix) {
        String name = prefix + UUID.randomUUID().toString().substring(0, 8);
        networks.add(name);
        return name;
    }

    /** An image (tag) this test creates; removed after the test. */
    public void trackImage(String tag) {
        images.add(tag);
    }

    /** A spec on the busybox image with a fresh run id and a short timeout. */
    public RunSpec.Builder busybox(String entrypoint) {
        return RunSpec.builder(BUSYBOX).runId(runId()).entrypoint(entrypoint).timeout(SPEC_TIMEOUT);
    }

    /** A spec on the python3 + node image with a fresh run id and a short timeout. */
    public RunSpec.Builder pynode(String entrypoint) {
        return RunSpec.builder(PYNODE).runId(runId()).entrypoint(entrypoint).timeout(SPEC_TIMEOUT);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        runner = DockerRunner.fromEnvironment();
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        client = DockerClientImpl.getInstance(config, new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost()).sslConfig(config.getSSLConfig()).build());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        String method = context.getRequiredTestMethod().getName();
        testName = method.length() > 40 ? method.substring(0, 40) : method;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Set<String> ids = Set.copyOf(runIds);
        runIds.clear();
        try {
            await("containers and volumes of runs " + ids + " removed").atMost(LEFTOVER_WAIT)
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> {
                        assertThat(containersOf(ids)).as("containers left by the test's runs").isEmpty();
                        assertThat(volumesOf(ids)).as("volumes left by the test's runs").isEmpty();
                    });
        } finally {
            cleanUp(ids);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            runner.close();
        } finally {
            client.close();
        }
    }

    /** Names of the containers labelled with (or named after) one of {@code ids}, running or not. */
    public List<String> containersOf(Set<String> ids) {
        List<String> found = new ArrayList<>();
        for (Container c : client.listContainersCmd().withShowAll(true).exec()) {
            String label = c.getLabels() == null ? null : c.getLabels().get(Labels.RUN_ID);
            boolean named = c.getNames() != null && List.of(c.getNames()).stream()
                    .anyMatch(n -> ids.stream().anyMatch(id -> n.equals("/lightrun-" + id)));
            if ((label != null && ids.contains(label)) || named) {
                found.add(c.getId().substring(0, 12) + " " + String.join(",", c.getNames()) + " " + c.getState());
            }
        }
        return found;
    }

    /** Names of the volumes labelled with one of {@code ids}. */
    public List<String> volumesOf(Set<String> ids) {
        List<InspectVolumeResponse> volumes = client.listVolumesCmd().withFilter("label", List.of(Labels.RUN_ID))
                .exec().getVolumes();
        return volumes == null ? List.of() : volumes.stream()
                .filter(v -> v.getLabels() != null && v.getLabels().get(Labels.RUN_ID) != null
                        && ids.contains(v.getLabels().get(Labels.RUN_ID)))
                .map(InspectVolumeResponse::getName)
                .toList();
    }

    private void cleanUp(Set<String> ids) {
        for (Container c : client.listContainersCmd().withShowAll(true).exec()) {
            String label = c.getLabels() == null ? null : c.getLabels().get(Labels.RUN_ID);
            if (label != null && ids.contains(label)) {
                ignoreMissing(() -> client.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec());
            }
        }
        for (String volume : volumesOf(ids)) {
            ignoreMissing(() -> client.removeVolumeCmd(volume).exec());
        }
        for (String network : Set.copyOf(networks)) {
            ignoreMissing(() -> client.removeNetworkCmd(network).exec());
        }
        networks.clear();
        for (String image : Set.copyOf(images)) {
            ignoreMissing(() -> client.removeImageCmd(image).withForce(true).exec());
        }
        images.clear();
    }

    private static void ignoreMissing(Runnable removal) {
        try {
            removal.run();
        } catch (NotFoundException gone) {
            // already removed: what we wanted
        }
    }

    /** A short description of a result for assertion messages: status, exit code, error and the end of the output. */
    public static String describe(RunResult result) {
        return "run " + result.runId() + ": status=" + result.status() + " exitCode=" + result.exitCode()
                + " error=" + result.error() + " stdout=..." + tail(result.stdout()) + " stderr=..."
                + tail(result.stderr());
    }

    private static String tail(String text) {
        return "[" + (text.length() > 600 ? text.substring(text.length() - 600) : text) + "]";
    }

    /** Runs the docker CLI and returns its stdout; fails the test when it exits non-zero. */
    public static String dockerCli(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish within 30 s");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError(command + " exited with " + process.exitValue() + ": " + output);
            }
            return output.strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }

    /** A {@link LogSink} that keeps everything it is given, for tests to watch output arrive live. */
    public static class CapturingSink implements LogSink {
        private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        private volatile boolean closed;

        @Override
        public synchronized void accept(LogStream stream, byte[] chunk) {
            (stream == LogStream.STDERR ? stderr : stdout).writeBytes(chunk);
        }

        @Override
        public void close() {
            closed = true;
        }

        public synchronized byte[] stdoutBytes() {
            return stdout.toByteArray();
        }

        public synchronized String stdout() {
            return stdout.toString(StandardCharsets.UTF_8);
        }

        public synchronized String stderr() {
            return stderr.toString(StandardCharsets.UTF_8);
        }

        public boolean closed() {
            return closed;
        }
    }
}
