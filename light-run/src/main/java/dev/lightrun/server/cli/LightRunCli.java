package dev.lightrun.server.cli;

import dev.lightrun.server.LightRunServer;
import dev.lightrun.server.cli.client.CancelCommand;
import dev.lightrun.server.cli.client.DownloadCommand;
import dev.lightrun.server.cli.client.GetCommand;
import dev.lightrun.server.cli.client.LogsCommand;
import dev.lightrun.server.cli.client.ReplicasCommand;
import dev.lightrun.server.cli.client.RunCommand;
import dev.lightrun.server.cli.client.RunsCommand;
import dev.lightrun.server.config.ConfigException;
import dev.lightrun.server.config.Setting;
import picocli.CommandLine.Command;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.Optional;

/**
 * {@code light-run}: the command-line entry point. Subcommands: {@code serve}, {@code keys}, and the client's
 * {@code run}, {@code runs}, {@code get}, {@code logs}, {@code cancel}, {@code download}, {@code replicas}
 * ({@code cli.client}).
 */
@Command(name = "light-run", mixinStandardHelpOptions = true, versionProvider = LightRunCli.Version.class,
        description = "Runs a hardened Docker container per HTTP request and serves its exit code, logs and files.",
        subcommands = {ServeCommand.class, KeysCommand.class, RunCommand.class, RunsCommand.class, GetCommand.class,
                LogsCommand.class, CancelCommand.class, DownloadCommand.class, ReplicasCommand.class})
public final class LightRunCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Exit code of a bad flag or value (as picocli's own usage errors); 1 is for failures at start-up. */
    static final int EXIT_INVALID = 2;

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        return execute(null, null, args);
    }

    /** Runs the CLI writing to {@code out} and {@code err} (null: the process's), for tests that read what it says. */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new LightRunCli());
        // "run --input @file.json" reads the file itself; picocli's @-files would split its JSON into arguments.
        cli.setExpandAtFiles(false);
        if (out != null) {
            cli.setOut(out);
        }
        if (err != null) {
            cli.setErr(err);
        }
        // One line, no stack trace, for bad flags and values.
        cli.setParameterExceptionHandler((e, arguments) -> {
            cli.getErr().println("light-run: " + oneLine(e));
            return EXIT_INVALID;
        });
        return cli.execute(args);
    }

    /**
     * A value picocli could not convert, from a flag or (through {@link SettingDefaults}) a variable, reads like any
     * other bad value: {@code invalid --port / LIGHT_RUN_PORT: 'x' is not an int}. Other usage errors (an unknown
     * option) keep picocli's text and point to --help.
     */
    static String oneLine(CommandLine.ParameterException e) {
        if (e.getCause() instanceof ConfigException invalid) {
            return invalid.getMessage();
        }
        Optional<Setting> setting = SettingDefaults.settingOf(e.getArgSpec());
        if (setting.isPresent() && e.getCause() instanceof CommandLine.TypeConversionException conversion) {
            return new ConfigException(setting.get(), conversion.getMessage()).getMessage();
        }
        return e.getMessage() + " (see light-run " + subcommandOf(e) + "--help)";
    }

    private static String subcommandOf(CommandLine.ParameterException e) {
        String name = e.getCommandLine().getCommandName();
        return name.equals("light-run") ? "" : name + " ";
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"light-run " + LightRunServer.version()};
        }
    }
}
