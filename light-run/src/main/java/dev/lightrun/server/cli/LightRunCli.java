package dev.lightrun.server.cli;

import dev.lightrun.server.LightRunServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code light-run}: the command-line entry point. Subcommands: {@code serve}. */
@Command(name = "light-run", mixinStandardHelpOptions = true, versionProvider = LightRunCli.Version.class,
        description = "Runs a hardened Docker container per HTTP request and serves its exit code, logs and files.",
        subcommands = {ServeCommand.class})
public final class LightRunCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new LightRunCli());
        // One line, no stack trace, for bad flags and values.
        cli.setParameterExceptionHandler((e, arguments) -> {
            cli.getErr().println("light-run: " + e.getMessage() + " (see light-run " + subcommandOf(e) + "--help)");
            return 2;
        });
        return cli.execute(args);
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
