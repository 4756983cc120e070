package dev.lightrun.runner.docker;

import dev.lightrun.runner.Limits;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static org.assertj.core.api.Assertions.assertThat;

/** Resource limits and the user/rootfs settings, as the workload sees them from inside (cgroup v1 on this host). */
class LimitsIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    @Test
    void memoryPidsAndCpuLimitsAreVisibleInTheContainersCgroup() throws Exception {
        Limits limits = Limits.DEFAULTS.withMemoryBytes(96 * Limits.MIB).withPids(77).withCpus(0.5);

        RunResult result = docker.runner().run(docker.busybox("cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
                        + " /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes;"
                        + " cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us"
                        + " /sys/fs/cgroup/cpu/cpu.cfs_period_us")
                .limits(limits).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        long memory = 96 * Limits.MIB;
        // memory + swap equals memory: no extra swap.
        assertThat(result.stdout()).isEqualTo(memory + "\n" + memory + "\n77\n50000\n100000\n");
    }

    @Test
    void defaultLimitsAreTheHardenedOnes() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
                + " /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us; id -u").build());

        assertThat(result.stdout()).isEqualTo((512 * Limits.MIB) + "\n100\n100000\n0\n");
    }

    @Test
    void numericUserRunsAsThatUserAndCanWriteItsWorkdir() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("id -u; id -g; echo written > out.txt && cat out.txt")
                .limits(Limits.DEFAULTS.withUser("65534:65534")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("65534\n65534\nwritten\n");
    }

    @Test
    void numericUserOwnsTheUploadedFiles() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("id -u; cat in.txt; echo more >> in.txt && mkdir sub/new"
                        + " && echo ok")
                .file("in.txt", "uploaded\n").file("sub/x.txt", "x")
                .limits(Limits.DEFAULTS.withUser("65534:65534")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("65534\nuploaded\nok\n");
    }

    @Test
    void readOnlyRootfsRefusesWritesOutsideTheWorkdirAndTmp() throws Exception {
        RunResult result = docker.runner().run(docker.busybox(
                        "echo x > /etc/evil 2>/dev/null && echo etc-writable || echo etc-refused;"
                                + " echo w > work.txt && cat work.txt; echo t > /tmp/t.txt && cat /tmp/t.txt")
                .limits(Limits.DEFAULTS.withReadOnlyRootfs(true)).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("etc-refused\nw\nt\n");
    }

    @Test
    void readOnlyRootfsStillReceivesTheUploadedFilesAndStdin() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("cat in.txt; cat; touch /etc/x 2>/dev/null || echo ro")
                .file("in.txt", "uploaded\n").stdin("from stdin\n")
                .limits(Limits.DEFAULTS.withReadOnlyRootfs(true)).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("uploaded\nfrom stdin\nro\n");
    }

    @Test
    void namedUserRunsAsThatUserAndCanWriteItsWorkdir() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("id -un; echo w > out.txt && cat out.txt in.txt")
                .file("in.txt", "uploaded\n").limits(Limits.DEFAULTS.withUser("nobody")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("nobody\nw\nuploaded\n");
    }

    @Test
    void stdinReachesANonRootUser() throws Exception {
        RunResult numeric = docker.runner().run(docker.busybox("cat").stdin("to 65534\n")
                .limits(Limits.DEFAULTS.withUser("65534:65534")).build());
        RunResult named = docker.runner().run(docker.busybox("cat").stdin("to nobody\n")
                .limits(Limits.DEFAULTS.withUser("nobody")).build());

        assertThat(numeric.status()).as(describe(numeric)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(numeric.stdout()).isEqualTo("to 65534\n");
        assertThat(named.status()).as(describe(named)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(named.stdout()).isEqualTo("to nobody\n");
    }
}
