package dev.lightrun.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static dev.lightrun.server.TestServer.busybox;
import static dev.lightrun.server.TestServer.texts;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-run resources, user, read-only root and runtime, read back from inside the run (cgroup v1 files, {@code id},
 * {@code uname}); values above the operator's maxima and unlisted runtimes are 400 naming the field, and never start.
 */
class ResourceLimitsIT {
    static final String CGROUP_LIMITS = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max"
            + " /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us";

    @TempDir
    static Path artifacts;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(artifacts, c -> c.policy(p -> p.maxMemoryMiB(128).maxCpus(1.0).maxPids(200)
                .runtimes(Set.of("runsc"))));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A sync run that must succeed: its stdout lines. */
    static List<String> stdoutLines(ObjectNode body) {
        JsonNode state = server.runSync(body);
        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertNoContainersLeftFor(state.path("id").asText());
        return state.path("logs").path("stdout").asText().lines().toList();
    }

    /** Posts the body, asserts a 400 whose details name each field; returns the details' messages by field. */
    static java.util.Map<String, String> refused(ObjectNode body, String... fields) {
        int recordedBefore = server.get("/runs?limit=1000").json().size();
        TestServer.Response response = server.submit(body);
        assertThat(response.status()).as("answer %s", response).isEqualTo(400);
        assertThat(response.json().path("error").asText()).isEqualTo("bad_request");
        assertThat(texts(response.json().path("details"), "path")).as("details of %s", response).contains(fields);
        assertThat(server.get("/runs?limit=1000").json()).as("runs recorded after a refusal").hasSize(recordedBefore);
        java.util.Map<String, String> messages = new java.util.HashMap<>();
        response.json().path("details").forEach(d -> messages.put(d.path("path").asText(), d.path("message").asText()));
        return messages;
    }

    @Test
    void memoryPidsAndCpusAskedForAreTheRunsCgroupLimits() {
        ObjectNode body = busybox(CGROUP_LIMITS).put("memory", 64).put("pids", 50).put("cpus", 0.5);

        assertThat(stdoutLines(body)).containsExactly("67108864", "50", "50000", "100000");
    }

    @Test
    void aRunThatAsksForNothingGetsTheDefaultsCappedByTheMaxima() {
        // The default memory (512 MiB) is above this server's maximum (128): a run that does not ask gets the maximum.
        assertThat(stdoutLines(busybox(CGROUP_LIMITS))).containsExactly("134217728", "100", "100000", "100000");
    }

    @Test
    void valuesAboveTheMaximaAreRefusedNamingFieldAndMaximum() {
        java.util.Map<String, String> messages = refused(
                busybox("true").put("memory", 129).put("cpus", 1.5).put("pids", 201), "memory", "cpus", "pids");

        assertThat(messages.get("memory")).contains("128");
        assertThat(messages.get("cpus")).contains("1.0");
        assertThat(messages.get("pids")).contains("200");
        assertThat(refused(busybox("true").put("memory", 4096), "memory").get("memory")).contains("128");
        // At the maxima exactly, it runs.
        assertThat(stdoutLines(busybox(CGROUP_LIMITS).put("memory", 128).put("cpus", 1.0).put("pids", 200)))
                .containsExactly("134217728", "200", "100000", "100000");
    }

    @Test
    void aNumericUserRunsAsThatUid() {
        assertThat(stdoutLines(busybox("id -u; cat marker.txt; echo").put("user", "65534")))
                .containsExactly("65534", "light-run test");
        assertThat(stdoutLines(busybox("id -u; id -g").put("user", "65534:65534"))).containsExactly("65534", "65534");
    }

    @Test
    void aReadOnlyRootLeavesTheWorkdirAndTmpWritable() {
        ObjectNode body = busybox("""
                if touch /etc/x 2>/dev/null; then echo etc-writable; else echo etc-read-only; fi
                echo in-workdir > /app/written && cat /app/written
                echo in-tmp > /tmp/written && cat /tmp/written
                id -u
                """).put("readOnlyRootfs", true);

        assertThat(stdoutLines(body)).containsExactly("etc-read-only", "in-workdir", "in-tmp", "0");
        // Without it, the same root is writable: the refusal above is the option's doing.
        assertThat(stdoutLines(busybox("touch /etc/x && echo etc-writable"))).containsExactly("etc-writable");
    }

    @Test
    void anAllowedRuntimeRunsTheWorkload(@TempDir Path gvisorArtifacts) {
        // gVisor's own threads count against pids, so it needs more than this class's maximum of 200.
        ObjectNode body = busybox("uname -r").put("runtime", "runsc").put("pids", 300).put("network", "none");
        assertThat(refused(body.deepCopy(), "pids").get("pids")).contains("200");

        try (TestServer gvisor = TestServer.start(gvisorArtifacts,
                c -> c.policy(p -> p.runtimes(Set.of("runsc"))))) {
            JsonNode state = gvisor.runSync(body);

            assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
            assertThat(state.path("logs").path("stdout").asText()).as("gVisor's kernel version").isEqualTo("4.4.0\n");
            assertNoContainersLeftFor(state.path("id").asText());
            // The host kernel, for contrast: the same request without the runtime does not report gVisor's.
            JsonNode plain = gvisor.runSync(busybox("uname -r").put("network", "none"));
            assertThat(plain.path("logs").path("stdout").asText()).isNotEqualTo("4.4.0\n");
            assertNoContainersLeftFor(plain.path("id").asText());
        }
    }

    @Test
    void anUnlistedRuntimeIsRefused() {
        String message = refused(busybox("true").put("runtime", "runc"), "runtime").get("runtime");

        assertThat(message).contains("runc").contains("runsc");
    }
}
