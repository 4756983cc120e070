package dev.lightrun.runner;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoolProfileTest {
    private static final PoolProfile BASE = PoolProfile.of("base", 1);

    private static RunSpec.Builder spec(String image) {
        return RunSpec.builder(image).entrypoint("echo hi");
    }

    @Test
    void parsesImagesWithTagsAndPerPoolSettings() {
        List<PoolProfile> pools = PoolProfile.parseList(" local/busybox:test=2 ,python:3.12-slim=4;network=none;"
                + "runtime=runsc;memory=256;cpus=0.5;pids=300;user=65534:65534;readonly=true;workdir=/work", BASE);

        assertThat(pools).hasSize(2);
        assertThat(pools.get(0)).isEqualTo(PoolProfile.of("local/busybox:test", 2));
        PoolProfile python = pools.get(1);
        assertThat(python.image()).isEqualTo("python:3.12-slim");
        assertThat(python.size()).isEqualTo(4);
        assertThat(python.network()).isEqualTo(NetworkChoice.none());
        assertThat(python.runtime()).isEqualTo("runsc");
        assertThat(python.limits()).isEqualTo(new Limits(256 * Limits.MIB, 0.5, 300, "65534:65534", true));
        assertThat(python.workdir()).isEqualTo("/work");
        assertThat(PoolProfile.parseList("", BASE)).isEmpty();
    }

    @Test
    void rejectsBadEntriesNamingThem() {
        assertThatThrownBy(() -> PoolProfile.parseList("busybox", BASE)).hasMessageContaining("'busybox' must be image=size");
        assertThatThrownBy(() -> PoolProfile.parseList("busybox=x", BASE)).hasMessageContaining("size must be a number");
        assertThatThrownBy(() -> PoolProfile.parseList("busybox=0", BASE)).hasMessageContaining("must be 1..64");
        assertThatThrownBy(() -> PoolProfile.parseList("busybox=1;color=red", BASE)).hasMessageContaining("unknown setting 'color'");
        assertThatThrownBy(() -> PoolProfile.parseList("busybox=1;user=nobody", BASE)).hasMessageContaining("numeric");
        assertThatThrownBy(() -> PoolProfile.parseList("busybox=1;memory=lots", BASE)).hasMessageContaining("memory must be a number");
        assertThatThrownBy(() -> PoolProfile.parseList("busybox=1,busybox=2", BASE)).hasMessageContaining("one pool");
        assertThatThrownBy(() -> PoolProfile.parseList("busybox=1;workdir=/proc/x", BASE)).hasMessageContaining("/proc");
    }

    @Test
    void aPlainRunOfThePoolsImageMatches() {
        assertThat(PoolProfile.of("busybox", 2).mismatch(spec("busybox").file("a", "b").env("K", "v").stdin("in").build()))
                .isNull();
        // allowHostNetworks only decides what a spec may ask for: it is not part of the container.
        assertThat(PoolProfile.of("busybox", 2).mismatch(spec("busybox")
                .hardening(Hardening.DEFAULTS.withAllowHostNetworks(true)).build())).isNull();
    }

    @Test
    void aRunAskingForWhatThePoolLacksDoesNotMatch() {
        PoolProfile pool = PoolProfile.of("busybox", 2);
        assertThat(pool.mismatch(spec("busybox:latest").build())).isEqualTo("another image");
        assertThat(pool.mismatch(spec("busybox").buildStep("true").build())).isEqualTo("build steps");
        assertThat(pool.mismatch(RunSpec.builder("busybox").build())).contains("no entrypoint");
        assertThat(pool.mismatch(spec("busybox").network(NetworkChoice.none()).build())).isEqualTo("another network");
        assertThat(pool.mismatch(spec("busybox").runtime("runsc").build())).isEqualTo("another runtime");
        assertThat(pool.mismatch(spec("busybox").limits(Limits.DEFAULTS.withPids(5)).build())).isEqualTo("other limits");
        assertThat(pool.mismatch(spec("busybox").hardening(Hardening.DEFAULTS.withNoNewPrivileges(false)).build()))
                .isEqualTo("other hardening");
        assertThat(pool.mismatch(spec("busybox").workdir("/w").build())).isEqualTo("another workdir");
        assertThat(pool.mismatch(spec("busybox").label("a", "b").build())).contains("labels");
    }
}
