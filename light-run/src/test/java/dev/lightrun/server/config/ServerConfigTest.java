package dev.lightrun.server.config;

import dev.lightrun.runner.docker.FilesMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ServerConfigTest {

    @Test
    void builderStartsFromTheDefaults() {
        ServerConfig config = ServerConfig.builder().build();

        assertThat(config.host()).isEqualTo("127.0.0.1").isEqualTo(Defaults.HOST);
        assertThat(config.port()).isEqualTo(3000);
        assertThat(config.token()).isNull();
        assertThat(config.bodyLimitBytes()).isEqualTo(10L * 1024 * 1024);
        assertThat(config.dataDir()).isEqualTo(Path.of(System.getProperty("user.home"), ".light-run"));
        assertThat(config.artifactsDir()).isEqualTo(config.dataDir().resolve("artifacts"));
        assertThat(config.maxArtifactsBytes()).isEqualTo(20L * 1024 * 1024 * 1024);
        assertThat(config.defaultTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.stateLogBytes()).isEqualTo(64L * 1024);
        assertThat(config.allowHostNetworks()).isFalse();
        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.maxLogBytes()).isEqualTo(10L * 1024 * 1024);
        assertThat(config.sweepInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.buildCacheMaxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(config.filesMode()).isEqualTo(FilesMode.AUTO);
        assertThat(config.callbacks()).isEqualTo(new CallbackSettings(Duration.ofSeconds(10), 8, Duration.ofSeconds(5),
                List.of()));
        RunPolicy policy = config.policy();
        int cpus = Runtime.getRuntime().availableProcessors();
        assertThat(policy.defaultMemoryMiB()).isEqualTo(512);
        assertThat(policy.maxMemoryMiB()).isEqualTo(4096);
        assertThat(policy.defaultCpus()).isEqualTo(1.0);
        assertThat(policy.maxCpus()).isEqualTo(cpus);
        assertThat(policy.defaultPids()).isEqualTo(100);
        assertThat(policy.maxPids()).isEqualTo(4096);
        assertThat(policy.defaultRuntime()).isNull();
        assertThat(policy.runtimes()).isEmpty();
        assertThat(policy.allowedImages()).isEmpty();
        assertThat(policy.allowBuild()).isTrue();
        assertThat(policy.buildTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(policy.maxRunArtifactBytes()).isEqualTo(1024L * 1024 * 1024);
        assertThat(policy.maxConcurrent()).isEqualTo(cpus);
        assertThat(policy.maxQueue()).isEqualTo(100);
    }

    @Test
    void artifactsFollowTheDataFolderUnlessSetApart(@org.junit.jupiter.api.io.TempDir Path root) {
        assertThat(ServerConfig.builder().dataDir(root.resolve("data")).build().artifactsDir())
                .isEqualTo(root.resolve("data/artifacts"));
        assertThat(ServerConfig.builder().dataDir(root.resolve("data")).artifactsDir(root.resolve("files")).build()
                .artifactsDir()).isEqualTo(root.resolve("files"));
    }

    @Test
    void toBuilderKeepsEverythingButWhatIsChanged() {
        ServerConfig original = ServerConfig.builder().port(0).token("secret").filesMode(FilesMode.ARCHIVE)
                .policy(p -> p.maxMemoryMiB(128).allowedImages(List.of("local/*")))
                .callbacks(c -> c.allow(List.of("10.0.0.0/8")))
                .build();

        assertThat(original.toBuilder().build()).isEqualTo(original);
        ServerConfig changed = original.toBuilder().maxArtifactsBytes(5000).policy(p -> p.maxQueue(3)).build();
        assertThat(changed.maxArtifactsBytes()).isEqualTo(5000);
        assertThat(changed.policy().maxQueue()).isEqualTo(3);
        assertThat(changed.policy().maxMemoryMiB()).isEqualTo(128);
        assertThat(changed.policy().allowedImages()).containsExactly("local/*");
        assertThat(changed.toBuilder().maxArtifactsBytes(original.maxArtifactsBytes())
                .policy(p -> p.maxQueue(original.policy().maxQueue())).build()).isEqualTo(original);
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                bad(c -> c.maxArtifactsBytes(-5),
                        "invalid --max-artifacts-bytes / LIGHT_RUN_MAX_ARTIFACTS_BYTES: must be positive, was -5"),
                bad(c -> c.port(70000), "invalid --port / LIGHT_RUN_PORT: must be 0..65535, was 70000"),
                bad(c -> c.host(" "), "invalid --host / LIGHT_RUN_HOST: must not be blank"),
                bad(c -> c.bodyLimitBytes(100), "invalid --body-limit / LIGHT_RUN_BODY_LIMIT: must be >= 1024 (bytes),"
                        + " was 100"),
                bad(c -> c.defaultTimeout(Duration.ZERO), "invalid --default-timeout-ms / LIGHT_RUN_DEFAULT_TIMEOUT_MS:"
                        + " must be 1..3600000 (ms), was 0"),
                bad(c -> c.defaultTimeout(Duration.ofHours(2)), "invalid --default-timeout-ms"
                        + " / LIGHT_RUN_DEFAULT_TIMEOUT_MS: must be 1..3600000 (ms), was 7200000"),
                bad(c -> c.shutdownGrace(Duration.ofMillis(-1)), "invalid --shutdown-grace-ms"
                        + " / LIGHT_RUN_SHUTDOWN_GRACE_MS: must be >= 0, was -1"),
                bad(c -> c.maxLogBytes(100), "invalid --max-log-bytes / LIGHT_RUN_MAX_LOG_BYTES: must be >= 4096"
                        + " (bytes), was 100"),
                bad(c -> c.sweepInterval(Duration.ofMillis(-1)), "invalid --sweep-interval-ms"
                        + " / LIGHT_RUN_SWEEP_INTERVAL_MS: must be >= 0, was -1"),
                bad(c -> c.buildCacheMaxAge(Duration.ofMillis(-1)), "invalid --build-cache-max-age-ms"
                        + " / LIGHT_RUN_BUILD_CACHE_MAX_AGE_MS: must be >= 0, was -1"),
                bad(c -> c.stateLogBytes(0), "invalid stateLogBytes: must be positive, was 0"),
                bad(c -> c.policy(p -> p.maxMemoryMiB(5)), "invalid --max-memory / LIGHT_RUN_MAX_MEMORY: must be >= 6"
                        + " (MiB), was 5"),
                bad(c -> c.policy(p -> p.maxCpus(0)), "invalid --max-cpus / LIGHT_RUN_MAX_CPUS: must be > 0, was 0.0"),
                bad(c -> c.policy(p -> p.maxPids(0)), "invalid --max-pids / LIGHT_RUN_MAX_PIDS: must be >= 1, was 0"),
                bad(c -> c.policy(p -> p.buildTimeout(Duration.ZERO)), "invalid --build-timeout-ms"
                        + " / LIGHT_RUN_BUILD_TIMEOUT_MS: must be positive, was 0"),
                bad(c -> c.policy(p -> p.maxRunArtifactBytes(-1)), "invalid --max-run-artifact-bytes"
                        + " / LIGHT_RUN_MAX_RUN_ARTIFACT_BYTES: must be >= 0, was -1"),
                bad(c -> c.policy(p -> p.maxConcurrent(0)), "invalid --max-concurrent / LIGHT_RUN_MAX_CONCURRENT:"
                        + " must be >= 1, was 0"),
                bad(c -> c.policy(p -> p.maxQueue(-1)), "invalid --max-queue / LIGHT_RUN_MAX_QUEUE: must be >= 0,"
                        + " was -1"),
                bad(c -> c.policy(p -> p.defaultMemoryMiB(1024).maxMemoryMiB(512)), "invalid defaultMemoryMiB: must"
                        + " be 6..512 (the maximum), was 1024"),
                bad(c -> c.callbacks(cb -> cb.maxAttempts(0)), "invalid --callback-max-attempts"
                        + " / LIGHT_RUN_CALLBACK_MAX_ATTEMPTS: must be >= 1, was 0"),
                bad(c -> c.callbacks(cb -> cb.firstBackoff(Duration.ofMillis(-1))), "invalid --callback-backoff-ms"
                        + " / LIGHT_RUN_CALLBACK_BACKOFF_MS: must be >= 0, was -1"),
                bad(c -> c.callbacks(cb -> cb.timeout(Duration.ZERO)), "invalid callbacks.timeout: must be positive,"
                        + " was 0 ms"));
    }

    private static Arguments bad(Consumer<ServerConfig.Builder> change, String message) {
        return arguments(change, message);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badValues")
    void badValueFailsWithOneLineNamingTheSetting(Consumer<ServerConfig.Builder> change, String message) {
        ServerConfig.Builder builder = ServerConfig.builder();
        change.accept(builder);

        assertThatThrownBy(builder::build).isInstanceOf(ConfigException.class).hasMessage(message);
    }

    @Test
    void blankTokenMeansNone() {
        assertThat(ServerConfig.builder().token("  ").build().token()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bind", "BIND", "Bind", " bind "})
    void filesModeIsReadInAnyCase(String text) {
        assertThat(ServerConfig.parseFilesMode(text)).isEqualTo(FilesMode.BIND);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mount", "", "auto-bind"})
    void otherFilesModeFailsNamingTheSetting(String text) {
        assertThatThrownBy(() -> ServerConfig.parseFilesMode(text)).isInstanceOf(ConfigException.class)
                .hasMessage("invalid --files-mode / LIGHT_RUN_FILES_MODE: must be auto, archive or bind, was '"
                        + text + "'");
    }

    @Test
    void storeUrlIsSqliteByDefaultAndAPostgresUrlOtherwise() {
        assertThat(ServerConfig.builder().build().storeUrl()).isNull();
        assertThat(ServerConfig.builder().storeUrl("  ").build().storeUrl()).isNull();
        assertThat(ServerConfig.builder().storeUrl(" jdbc:postgresql://db:5432/lightrun?user=u&password=p ").build()
                .storeUrl()).isEqualTo("jdbc:postgresql://db:5432/lightrun?user=u&password=p");
    }

    @Test
    void artifactsStayOnDiskByDefaultAndGoToS3GivenABucketUrl() {
        assertThat(ServerConfig.builder().build().s3()).isNull();
        assertThat(ServerConfig.builder().artifactsUrl(" ").build().s3()).isNull();
        S3Settings aws = ServerConfig.builder().artifactsUrl("s3://bucket/runs").build().s3();
        assertThat(aws.location().toString()).isEqualTo("s3://bucket/runs");
        assertThat(aws.endpoint()).isNull();
        assertThat(aws.pathStyle()).isFalse();
        assertThat(aws.region()).isEqualTo("us-east-1");
        S3Settings local = ServerConfig.builder().artifactsUrl("s3://bucket").s3Endpoint("http://127.0.0.1:9000")
                .s3Region("eu-west-1").build().s3();
        assertThat(local.endpoint()).hasToString("http://127.0.0.1:9000");
        assertThat(local.pathStyle()).isTrue();
        assertThat(local.region()).isEqualTo("eu-west-1");
        assertThat(ServerConfig.builder().artifactsUrl("s3://bucket").s3Endpoint("http://x:9000").s3PathStyle(false)
                .build().s3().pathStyle()).isFalse();
    }

    @Test
    void aBadArtifactsUrlOrEndpointFailsInOneLineNamingTheSetting() {
        assertThatThrownBy(() -> ServerConfig.builder().artifactsUrl("/tmp/files").build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid --artifacts-url / LIGHT_RUN_ARTIFACTS_URL: must be an s3://bucket/prefix URL,"
                        + " was '/tmp/files'");
        assertThatThrownBy(() -> ServerConfig.builder().artifactsUrl("s3://bucket/x").s3Endpoint("ftp://h").build())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid --s3-endpoint / LIGHT_RUN_S3_ENDPOINT: must be an http(s)://");
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql://db/lightrun?password=s3cret-pw", "jdbc:mysql://db/x?password=s3cret-pw",
            "jdbc:sqlite:/tmp/x.db"})
    void aStoreUrlThatIsNotPostgresFailsInOneLineWithoutItsPassword(String url) {
        assertThatThrownBy(() -> ServerConfig.builder().storeUrl(url).build()).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid --store-url / LIGHT_RUN_STORE_URL: must be a jdbc:postgresql:"
                        + "//host:port/database?user=...&password=... URL, was '")
                .hasMessageNotContaining("s3cret-pw")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void toStringMasksTheStorePassword() {
        String url = "jdbc:postgresql://db:5432/lightrun?user=lightrun&password=s3cret-pw&ssl=true";
        assertThat(ServerConfig.builder().storeUrl(url).build().toString())
                .contains("storeUrl=jdbc:postgresql://db:5432/lightrun?user=lightrun&password=<masked>&ssl=true")
                .doesNotContain("s3cret-pw");
        assertThat(ServerConfig.builder().build().toString()).contains("storeUrl=sqlite");
    }

    @Test
    void toStringMasksTheToken() {
        assertThat(ServerConfig.builder().token("s3cret-token").build().toString()).contains("token=<masked>")
                .doesNotContain("s3cret-token");
    }

    @Test
    void replicaSettingsDefaultToTheInstanceIdOneSecondBeatsAndTenSecondsOfSilence() {
        assertThat(ServerConfig.builder().build().replica())
                .isEqualTo(new ReplicaSettings(null, null, Duration.ofSeconds(1), Duration.ofSeconds(10)));
        ReplicaSettings set = ServerConfig.builder()
                .replica(" replica-a ", " http://10.0.0.5:3000/ ", Duration.ofMillis(100), Duration.ofMillis(300))
                .build().replica();
        assertThat(set.name()).isEqualTo("replica-a");
        assertThat(set.url()).as("trailing slashes dropped").isEqualTo("http://10.0.0.5:3000");
        assertThat(set.heartbeat()).isEqualTo(Duration.ofMillis(100));
        assertThat(set.silence()).as("three heartbeats is enough").isEqualTo(Duration.ofMillis(300));
        assertThat(ServerConfig.builder().replica("  ", "", Duration.ofSeconds(1), Duration.ofSeconds(10)).build()
                .replica()).as("blank: the defaults").isEqualTo(ServerConfig.builder().build().replica());
        ServerConfig config = ServerConfig.builder()
                .replica("r1.eu-west_2", "https://r1.example", Duration.ofSeconds(2), Duration.ofSeconds(20)).build();
        assertThat(config.toBuilder().build()).isEqualTo(config);
    }

    static Stream<Arguments> badReplicaSettings() {
        String longName = "r".repeat(64);
        return Stream.of(
                badReplica("bad name", null, 1000, 10000, "invalid --replica-name / LIGHT_RUN_REPLICA_NAME: must be"
                        + " 1-63 letters, digits, '.', '_' or '-' (not first), was 'bad name'"),
                badReplica("-first", null, 1000, 10000, "invalid --replica-name / LIGHT_RUN_REPLICA_NAME: must be"
                        + " 1-63 letters, digits, '.', '_' or '-' (not first), was '-first'"),
                badReplica(longName, null, 1000, 10000, "invalid --replica-name / LIGHT_RUN_REPLICA_NAME: must be"
                        + " 1-63 letters, digits, '.', '_' or '-' (not first), was '" + longName + "'"),
                badReplica(null, "10.0.0.5:3000", 1000, 10000, "invalid --replica-url / LIGHT_RUN_REPLICA_URL: must be"
                        + " http(s)://host:port, was '10.0.0.5:3000'"),
                badReplica(null, "http://10.0.0.5:3000/api", 1000, 10000, "invalid --replica-url"
                        + " / LIGHT_RUN_REPLICA_URL: must be http(s)://host:port, was 'http://10.0.0.5:3000/api'"),
                badReplica(null, null, 99, 10000, "invalid --replica-heartbeat-ms / LIGHT_RUN_REPLICA_HEARTBEAT_MS:"
                        + " must be >= 100, was 99"),
                badReplica(null, null, -5, 10000, "invalid --replica-heartbeat-ms / LIGHT_RUN_REPLICA_HEARTBEAT_MS:"
                        + " must be >= 100, was -5"),
                badReplica(null, null, 1000, 2999, "invalid --replica-silence-ms / LIGHT_RUN_REPLICA_SILENCE_MS: must"
                        + " be at least 3 heartbeats (3000), was 2999"));
    }

    private static Arguments badReplica(String name, String url, long heartbeatMs, long silenceMs, String message) {
        return arguments(name, url, heartbeatMs, silenceMs, message);
    }

    @ParameterizedTest(name = "{4}")
    @MethodSource("badReplicaSettings")
    void aBadReplicaSettingFailsWithOneLineNamingFlagAndVariable(String name, String url, long heartbeatMs,
                                                                 long silenceMs, String message) {
        assertThatThrownBy(() -> ServerConfig.builder()
                .replica(name, url, Duration.ofMillis(heartbeatMs), Duration.ofMillis(silenceMs)).build())
                .isInstanceOf(ConfigException.class).hasMessage(message);
    }
}
