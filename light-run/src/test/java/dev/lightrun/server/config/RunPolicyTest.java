package dev.lightrun.server.config;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunPolicyTest {

    @Test
    void defaultsLeftUnsetAreLoweredToSmallerMaxima() {
        RunPolicy policy = RunPolicy.builder().maxMemoryMiB(128).maxCpus(0.5).maxPids(50).build();

        assertThat(policy.defaultMemoryMiB()).isEqualTo(128);
        assertThat(policy.defaultCpus()).isEqualTo(0.5);
        assertThat(policy.defaultPids()).isEqualTo(50);
    }

    @Test
    void defaultSetAboveItsMaximumFails() {
        assertThatThrownBy(() -> RunPolicy.builder().maxPids(50).defaultPids(60).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid defaultPids: must be 1..50 (the maximum), was 60");
    }

    @Test
    void toBuilderKeepsExplicitDefaults() {
        RunPolicy policy = RunPolicy.builder().maxMemoryMiB(1024).defaultMemoryMiB(256).build();

        assertThat(policy.toBuilder().build()).isEqualTo(policy);
        assertThat(policy.toBuilder().maxMemoryMiB(2048).build().defaultMemoryMiB()).isEqualTo(256);
    }

    @Test
    void namesAreTrimmedAndBlankOnesDropped() {
        RunPolicy policy = RunPolicy.builder().runtimes(Arrays.asList(" runc", "runsc ", "", null))
                .allowedImages(List.of("python:3.*", " local/* ", " ")).defaultRuntime("  ").build();

        assertThat(policy.runtimes()).containsExactlyInAnyOrder("runc", "runsc");
        assertThat(policy.allowedImages()).containsExactly("python:3.*", "local/*");
        assertThat(policy.defaultRuntime()).isNull();
    }

    @Test
    void imageGlobsMatchWithAnImplicitLatestTag() {
        RunPolicy policy = RunPolicy.builder().allowedImages(List.of("python:3.*", "local/*:latest")).build();

        assertThat(policy.imageAllowed("python:3.12-slim")).isTrue();
        assertThat(policy.imageAllowed("local/tool")).isTrue();
        assertThat(policy.imageAllowed("python:2.7")).isFalse();
        assertThat(RunPolicy.builder().build().imageAllowed("anything/at:all")).isTrue();
    }
}
