package dev.lightrun.runner;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunSpecTest {

    private static RunSpec.Builder spec() {
        return RunSpec.builder("busybox").entrypoint("true");
    }

    @Test
    void defaultsAreTheHardenedOnes() {
        RunSpec spec = spec().build();

        assertThat(spec.runId()).isNotBlank();
        assertThat(spec.workdir()).isEqualTo("/app");
        assertThat(spec.network()).isEqualTo(NetworkChoice.isolated());
        assertThat(spec.limits()).isEqualTo(Limits.DEFAULTS);
        assertThat(spec.hardening()).isEqualTo(Hardening.DEFAULTS);
        assertThat(spec.hardening().noNewPrivileges()).isTrue();
        assertThat(spec.timeout()).isEqualTo(RunSpec.DEFAULT_TIMEOUT);
        assertThat(spec.logCapBytes()).isEqualTo(RunSpec.DEFAULT_LOG_CAP_BYTES);
    }

    @ParameterizedTest
    @ValueSource(strings = {"main.py", "a/b/c.txt", "dir/.hidden", "with space.txt", "ü.txt", "a..b/c"})
    void relativeFilePathsAreAccepted(String path) {
        assertThatCode(() -> spec().file(path, "x").build()).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc/passwd", "/abs.txt"})
    void absoluteFilePathsAreRefused(String path) {
        assertThatThrownBy(() -> spec().file(path, "x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("relative");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../escape.txt", "a/../../b", "a/..", "..", "./a", "a/./b", "a//b", "a/", ""})
    void filePathsWithDotDotDotOrEmptySegmentsAreRefused(String path) {
        assertThatThrownBy(() -> spec().file(path, "x").build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void filePathsWithBackslashOrNulAreRefused() {
        assertThatThrownBy(() -> spec().file("a\\b", "x").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spec().file("a\0b", "x").build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void overlongFilePathIsRefused() {
        assertThatThrownBy(() -> spec().file("a".repeat(1025), "x").build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"A", "_", "PATH", "my_var2", "_x9"})
    void validEnvNamesAreAccepted(String name) {
        assertThatCode(() -> spec().env(name, "v").build()).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1ABC", "A-B", "A B", "A=B", "Ä", "$X"})
    void invalidEnvNamesAreRefused(String name) {
        assertThatThrownBy(() -> spec().env(name, "v").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("env name");
    }

    @Test
    void envValueWithNulIsRefused() {
        assertThatThrownBy(() -> spec().env("A", "x\0y").build()).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/app", "/work/sub", "/tmp", "/a-b_c.d"})
    void absoluteNormalizedWorkdirsAreAccepted(String workdir) {
        assertThat(spec().workdir(workdir).build().workdir()).isEqualTo(workdir);
    }

    @ParameterizedTest
    @ValueSource(strings = {"app", "/", "/app/", "/a/../b", "/..", "/a//b", ""})
    void otherWorkdirsAreRefused(String workdir) {
        assertThatThrownBy(() -> spec().workdir(workdir).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("workdir");
    }

    @Test
    void overlongWorkdirIsRefused() {
        assertThatThrownBy(() -> spec().workdir("/" + "a".repeat(200)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"host", "container:abc123"})
    void networksEscapingIsolationAreRefusedUnlessAllowed(String network) {
        assertThatThrownBy(() -> spec().network(NetworkChoice.named(network)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("allowHostNetworks");
        assertThatThrownBy(() -> spec().network(NetworkChoice.named("mine", network)).build())
                .isInstanceOf(IllegalArgumentException.class);

        RunSpec allowed = spec().network(NetworkChoice.named(network))
                .hardening(Hardening.DEFAULTS.withAllowHostNetworks(true)).build();
        assertThat(allowed.network()).isEqualTo(NetworkChoice.named(network));
    }

    @Test
    void ordinaryNamedNetworksNeedNoPermission() {
        assertThatCode(() -> spec().network(NetworkChoice.named("my-net", "other")).build())
                .doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-starts-with-dash", "has space", "slash/no", "x\0"})
    void invalidRunIdsAreRefused(String runId) {
        assertThatThrownBy(() -> spec().runId(runId).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runId");
    }

    @Test
    void runIdOver128CharactersIsRefused() {
        assertThatCode(() -> spec().runId("a".repeat(128)).build()).doesNotThrowAnyException();
        assertThatThrownBy(() -> spec().runId("a".repeat(129)).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void imageIsRequiredAndHasNoSpaces() {
        assertThatThrownBy(() -> RunSpec.builder(null).build()).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> RunSpec.builder(" ").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RunSpec.builder("busy box").build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void timeoutsMustBePositive() {
        assertThatThrownBy(() -> spec().timeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
        assertThatThrownBy(() -> spec().timeout(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spec().buildTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("buildTimeout");
    }

    @Test
    void emptyEntrypointBlankBuildStepAndNegativeLogCapAreRefused() {
        assertThatThrownBy(() -> spec().entrypoint("").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spec().buildStep("  ").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spec().logCapBytes(-1).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void runtimeMustBeARuntimeName() {
        assertThatCode(() -> spec().runtime("runsc").build()).doesNotThrowAnyException();
        assertThatThrownBy(() -> spec().runtime("run sc").build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringMasksEnvValuesStdinAndFileContents() {
        String text = spec().env("TOKEN", "s3cr3t-value").stdin("stdin-secret").file("f.txt", "file-secret")
                .build().toString();

        assertThat(text).contains("TOKEN", "f.txt").doesNotContain("s3cr3t-value", "stdin-secret", "file-secret");
    }

    @Test
    void limitsAreValidated() {
        assertThatThrownBy(() -> Limits.DEFAULTS.withMemoryBytes(Limits.MIB)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Limits.DEFAULTS.withCpus(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Limits.DEFAULTS.withPids(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Limits.DEFAULTS.withUser("root; rm")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Limits.DEFAULTS.withUser("65534:65534").user()).isEqualTo("65534:65534");
        assertThat(Limits.DEFAULTS.withCpus(0.5).nanoCpus()).isEqualTo(500_000_000L);
    }
}
