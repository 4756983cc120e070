package dev.lightrun.server.cli;

import dev.lightrun.runner.docker.FilesMode;
import dev.lightrun.server.config.ConfigException;
import dev.lightrun.server.config.ServerConfig;
import dev.lightrun.server.config.Setting;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How {@code serve} resolves its settings (flag, then variable, then default), without starting a server. */
class ServeCommandTest {

    /** The config {@code serve} would start with, given these variables and arguments. */
    private static ServerConfig resolve(Map<String, String> env, String... args) {
        ServeCommand command = new ServeCommand();
        commandLine(command, env).parseArgs(args);
        return command.config();
    }

    private static CommandLine commandLine(ServeCommand command, Map<String, String> env) {
        CommandLine cli = new CommandLine(command);
        cli.setDefaultValueProvider(new SettingDefaults(env));
        return cli;
    }

    /** The one line the CLI prints for a value picocli cannot convert. */
    private static String parseError(Map<String, String> env, String... args) {
        try {
            commandLine(new ServeCommand(), env).parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            return LightRunCli.oneLine(e);
        }
        throw new AssertionError("parsed without error: " + Arrays.toString(args));
    }

    @Test
    void noFlagsAndNoVariablesGiveTheBuilderDefaults() {
        assertThat(resolve(Map.of())).isEqualTo(ServerConfig.builder().build());
    }

    @Test
    void variableWinsOverTheDefaultAndFlagOverTheVariable() {
        Map<String, String> env = Map.of("LIGHT_RUN_PORT", "4000", "LIGHT_RUN_MAX_QUEUE", "7",
                "LIGHT_RUN_SHUTDOWN_GRACE_MS", "1500");

        ServerConfig fromEnv = resolve(env);
        assertThat(fromEnv.port()).isEqualTo(4000);
        assertThat(fromEnv.policy().maxQueue()).isEqualTo(7);
        assertThat(fromEnv.shutdownGrace()).isEqualTo(Duration.ofMillis(1500));

        ServerConfig fromFlags = resolve(env, "--port", "5000", "--max-queue=9");
        assertThat(fromFlags.port()).isEqualTo(5000);
        assertThat(fromFlags.policy().maxQueue()).isEqualTo(9);
        assertThat(fromFlags.shutdownGrace()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void storeUrlComesFromTheVariableOrTheFlag() {
        String fromEnv = "jdbc:postgresql://127.0.0.1:55432/lightrun?user=a&password=env";
        String fromFlag = "jdbc:postgresql://127.0.0.1:55432/lightrun?user=a&password=flag";
        assertThat(resolve(Map.of()).storeUrl()).isNull();
        assertThat(resolve(Map.of("LIGHT_RUN_STORE_URL", fromEnv)).storeUrl()).isEqualTo(fromEnv);
        assertThat(resolve(Map.of("LIGHT_RUN_STORE_URL", fromEnv), "--store-url", fromFlag).storeUrl())
                .isEqualTo(fromFlag);
    }

    @Test
    void blankVariableMeansTheDefault() {
        assertThat(resolve(Map.of("LIGHT_RUN_PORT", " ", "LIGHT_RUN_TOKEN", "")).port()).isEqualTo(3000);
    }

    @Test
    void artifactsFollowTheDataFolderFromAVariable(@org.junit.jupiter.api.io.TempDir Path root) {
        ServerConfig config = resolve(Map.of("LIGHT_RUN_DATA_DIR", root.toString()));

        assertThat(config.dataDir()).isEqualTo(root);
        assertThat(config.artifactsDir()).isEqualTo(root.resolve("artifacts"));
    }

    @Test
    void maxArtifactsBytesNoLongerFallsBackToTheDefault() {
        assertThatThrownBy(() -> resolve(Map.of("LIGHT_RUN_MAX_ARTIFACTS_BYTES", "-5")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid --max-artifacts-bytes / LIGHT_RUN_MAX_ARTIFACTS_BYTES: must be positive, was -5");
        assertThat(parseError(Map.of("LIGHT_RUN_MAX_ARTIFACTS_BYTES", "lots")))
                .isEqualTo("invalid --max-artifacts-bytes / LIGHT_RUN_MAX_ARTIFACTS_BYTES: 'lots' is not a long");
    }

    @Test
    void valueThatIsNotANumberNamesFlagAndVariableWhicheverGaveIt() {
        String expected = "invalid --port / LIGHT_RUN_PORT: 'abc' is not an int";
        assertThat(parseError(Map.of(), "--port", "abc")).isEqualTo(expected);
        assertThat(parseError(Map.of("LIGHT_RUN_PORT", "abc"))).isEqualTo(expected);
    }

    @Test
    void filesModeIsReadInAnyCaseAndAnotherValueFails() {
        assertThat(resolve(Map.of(), "--files-mode", "BIND").filesMode()).isEqualTo(FilesMode.BIND);
        assertThat(resolve(Map.of("LIGHT_RUN_FILES_MODE", "Archive")).filesMode()).isEqualTo(FilesMode.ARCHIVE);
        assertThat(parseError(Map.of("LIGHT_RUN_FILES_MODE", "mount")))
                .isEqualTo("invalid --files-mode / LIGHT_RUN_FILES_MODE: must be auto, archive or bind, was 'mount'");
    }

    @Test
    void commaSeparatedListsAreTrimmed() {
        ServerConfig config = resolve(Map.of("LIGHT_RUN_CALLBACK_ALLOW", "10.0.0.0/8, hooks.internal,"),
                "--runtimes", "runc, runsc", "--allowed-images", "python:3.*,");

        assertThat(config.policy().runtimes()).containsExactlyInAnyOrder("runc", "runsc");
        assertThat(config.policy().allowedImages()).containsExactly("python:3.*");
        assertThat(config.callbacks().allow()).containsExactly("10.0.0.0/8", "hooks.internal");
    }

    @Test
    void lowerMaximaLowerTheDefaultsOfRunsThatDoNotAsk() {
        ServerConfig config = resolve(Map.of(), "--max-memory", "256", "--max-cpus", "0.5", "--max-pids", "64");

        assertThat(config.policy().defaultMemoryMiB()).isEqualTo(256);
        assertThat(config.policy().defaultCpus()).isEqualTo(0.5);
        assertThat(config.policy().defaultPids()).isEqualTo(64);
    }

    @Test
    void everyOptionIsASettingAndEverySettingAnOption() {
        var options = new CommandLine(new ServeCommand()).getCommandSpec().options().stream()
                .filter(o -> !o.usageHelp() && !o.versionHelp()).toList();

        assertThat(options.stream().map(OptionSpec::longestName))
                .containsExactlyInAnyOrderElementsOf(Arrays.stream(Setting.values()).map(Setting::flag).toList());
        for (OptionSpec option : options) {
            Setting setting = Setting.byFlag(option.longestName()).orElseThrow();
            assertThat(String.join(" ", option.description())).as(option.longestName()).contains(setting.env());
        }
    }

    @Test
    void helpShowsEveryDefault() {
        String help = commandLine(new ServeCommand(), Map.of()).getUsageMessage(CommandLine.Help.Ansi.OFF)
                .replaceAll("\\s+", " ");

        for (Setting setting : Setting.values()) {
            if (setting.defaultText() != null) {
                assertThat(help).as(setting.flag()).contains("default " + setting.defaultText());
            }
        }
        assertThat(help).contains("LIGHT_RUN_ARTIFACTS_DIR, default <data dir>/artifacts")
                .contains("LIGHT_RUN_TOKEN; default none");
    }

    @Test
    void browserSettingsComeFromFlagsOrVariables() {
        ServerConfig fromEnv = resolve(Map.of("LIGHT_RUN_ALLOWED_ORIGINS", "http://localhost:5173, https://app.example",
                "LIGHT_RUN_ALLOWED_HOSTS", "light-run.internal", "LIGHT_RUN_HOST", "0.0.0.0",
                "LIGHT_RUN_INSECURE_NO_AUTH", "true"));
        ServerConfig fromFlags = resolve(Map.of(), "--host", "0.0.0.0", "--insecure-no-auth",
                "--allowed-origins", "http://localhost:5173");

        assertThat(fromEnv.allowedOrigins()).containsExactly("http://localhost:5173", "https://app.example");
        assertThat(fromEnv.allowedHosts()).containsExactly("light-run.internal");
        assertThat(fromEnv.insecureNoAuth()).isTrue();
        assertThat(fromFlags.insecureNoAuth()).isTrue();
        assertThat(fromFlags.allowedOrigins()).containsExactly("http://localhost:5173");
    }

    @Test
    void noTokenOffLoopbackIsABadTokenSetting() {
        assertThatThrownBy(() -> resolve(Map.of(), "--host", "0.0.0.0")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid --token / LIGHT_RUN_TOKEN: ")
                .hasMessageContaining("0.0.0.0").hasMessageContaining("--insecure-no-auth");
        assertThat(resolve(Map.of("LIGHT_RUN_TOKEN", "t"), "--host", "0.0.0.0").host()).isEqualTo("0.0.0.0");
    }

    @Test
    void malformedOriginOrHostNamesItsSetting() {
        assertThatThrownBy(() -> resolve(Map.of(), "--allowed-origins", "localhost:5173"))
                .hasMessageStartingWith("invalid --allowed-origins / LIGHT_RUN_ALLOWED_ORIGINS: 'localhost:5173'");
        assertThatThrownBy(() -> resolve(Map.of("LIGHT_RUN_ALLOWED_HOSTS", "host.example:3000")))
                .hasMessageStartingWith("invalid --allowed-hosts / LIGHT_RUN_ALLOWED_HOSTS: 'host.example:3000'");
    }

    @Test
    void replicaSettingsComeFromVariablesOrFlags() {
        Map<String, String> env = Map.of("LIGHT_RUN_REPLICA_NAME", "replica-a",
                "LIGHT_RUN_REPLICA_URL", "http://10.0.0.5:3000", "LIGHT_RUN_REPLICA_HEARTBEAT_MS", "500",
                "LIGHT_RUN_REPLICA_SILENCE_MS", "5000");

        ServerConfig fromEnv = resolve(env);
        assertThat(fromEnv.replica().name()).isEqualTo("replica-a");
        assertThat(fromEnv.replica().url()).isEqualTo("http://10.0.0.5:3000");
        assertThat(fromEnv.replica().heartbeat()).isEqualTo(Duration.ofMillis(500));
        assertThat(fromEnv.replica().silence()).isEqualTo(Duration.ofMillis(5000));

        ServerConfig fromFlags = resolve(env, "--replica-name", "replica-b", "--replica-url=https://b.example:3443",
                "--replica-heartbeat-ms", "200", "--replica-silence-ms", "600");
        assertThat(fromFlags.replica().name()).isEqualTo("replica-b");
        assertThat(fromFlags.replica().url()).isEqualTo("https://b.example:3443");
        assertThat(fromFlags.replica().heartbeat()).isEqualTo(Duration.ofMillis(200));
        assertThat(fromFlags.replica().silence()).isEqualTo(Duration.ofMillis(600));
    }

    @Test
    void aBadReplicaSettingNamesFlagAndVariableWhicheverGaveIt() {
        assertThatThrownBy(() -> resolve(Map.of("LIGHT_RUN_REPLICA_SILENCE_MS", "2000")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid --replica-silence-ms / LIGHT_RUN_REPLICA_SILENCE_MS: must be at least 3"
                        + " heartbeats (3000), was 2000");
        assertThatThrownBy(() -> resolve(Map.of(), "--replica-heartbeat-ms", "50"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid --replica-heartbeat-ms / LIGHT_RUN_REPLICA_HEARTBEAT_MS: must be >= 100, was 50");
        assertThatThrownBy(() -> resolve(Map.of("LIGHT_RUN_REPLICA_NAME", "a/b")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid --replica-name / LIGHT_RUN_REPLICA_NAME: ");
        assertThatThrownBy(() -> resolve(Map.of(), "--replica-url", "ftp://b.example"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid --replica-url / LIGHT_RUN_REPLICA_URL: must be http(s)://host:port, was"
                        + " 'ftp://b.example'");
        String notANumber = "invalid --replica-heartbeat-ms / LIGHT_RUN_REPLICA_HEARTBEAT_MS: 'fast' is not a long";
        assertThat(parseError(Map.of("LIGHT_RUN_REPLICA_HEARTBEAT_MS", "fast"))).isEqualTo(notANumber);
        assertThat(parseError(Map.of(), "--replica-heartbeat-ms", "fast")).isEqualTo(notANumber);
    }
}
