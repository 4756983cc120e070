package dev.lightrun.server.cli.client;

import dev.lightrun.client.DownloadProgress;
import dev.lightrun.client.LightRunClient;
import dev.lightrun.client.LightRunException;
import dev.lightrun.client.LogLine;
import dev.lightrun.client.RunRequest;
import dev.lightrun.client.RunState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code light-run run}: submits a run detached, prints its output live (the workload's stdout to stdout, its stderr
 * to stderr), downloads what it extracted, and exits like {@code docker run} ({@link RunExitCode}). Ctrl-C cancels
 * the run on the server before the command exits with 130.
 */
@Command(name = "run", sortOptions = false,
        description = {"Run a container on the server, print its output as it comes, download its extracted files.",
                "Exit code: the workload's own; 124 timed out; 125 light-run could not run it; 130 cancelled."})
public final class RunCommand extends ClientCommand {
    /** How long a run may wait in the server's queue before this command gives up on it (it then stays queued). */
    static final Duration QUEUE_ALLOWANCE = Duration.ofHours(1);
    /** The server's default run timeout, when --timeout is not given. */
    static final Duration SERVER_DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** How long Ctrl-C waits for the cancelled run to end on the server, so its container is gone when we exit. */
    static final Duration CANCEL_WAIT = Duration.ofSeconds(10);

    @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The image to run.")
    String image;

    @Option(names = "--file", paramLabel = "LOCAL[=PATH]",
            description = "A local file (or folder, with everything in it) sent with the run, at PATH under the"
                    + " workdir (default: its name). Text as is, other files base64-encoded. Repeatable.")
    List<String> files = new ArrayList<>();

    @Option(names = "--entrypoint", paramLabel = "CMD", description = "The command, run with sh -c (default: the"
            + " image's own).")
    String entrypoint;

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "An environment variable; K alone passes this"
            + " shell's value. Repeatable.")
    List<String> env = new ArrayList<>();

    @Option(names = "--input", paramLabel = "JSON|@FILE", description = "JSON written to the workload's stdin, or"
            + " @file.json to read it from a file.")
    String input;

    @Option(names = "--extract", paramLabel = "PATH", description = "A container-absolute path to copy out after exit"
            + " code 0, downloaded into -o. Repeatable.")
    List<String> extract = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", defaultValue = ".",
            description = "Where extracted files are written (default: the current folder).")
    Path outputDir;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "The run's time limit: 30s, 500ms, 5m, 1h (default: the server's, 60s).")
    Duration timeout;

    @Option(names = "--memory", paramLabel = "MIB", description = "Memory limit in MiB (default: the server's, 512).")
    Integer memoryMiB;

    @Option(names = "--cpus", paramLabel = "N", description = "CPU limit, fractional allowed (default: the"
            + " server's, 1).")
    Double cpus;

    @Option(names = "--network", paramLabel = "NAME", description = "none, bridge or a named network (default:"
            + " the server's isolated bridge).")
    String network;

    @Option(names = {"-d", "--detach"}, description = "Print the run id and exit 0 without waiting.")
    boolean detach;

    @Override
    int failureExitCode() {
        return RunExitCode.NOT_RUN;
    }

    @Override
    int execute(LightRunClient client) {
        RunRequest request = request();
        RunState accepted = client.submit(request);
        String id = accepted.id();
        if (detach) {
            out().println(id);
            out().flush();
            return 0;
        }
        // The hook has its own client: the command's closes as soon as the follow ends, which the cancel causes.
        Thread cancelOnInterrupt = Thread.ofPlatform().name("light-run-cancel").unstarted(() -> cancel(id));
        Runtime.getRuntime().addShutdownHook(cancelOnInterrupt);
        RunState state;
        try {
            Duration max = QUEUE_ALLOWANCE.plus(timeout == null ? SERVER_DEFAULT_TIMEOUT : timeout);
            state = client.follow(id, max, this::print);
        } finally {
            removeHook(cancelOnInterrupt);
        }
        int exitCode = RunExitCode.of(state);
        if (state.isSucceeded()) {
            download(client, state);
        } else if (exitCode == RunExitCode.NOT_RUN || exitCode == RunExitCode.TIMED_OUT
                || exitCode == RunExitCode.CANCELLED) {
            // The workload's own non-zero exit speaks for itself, as with docker run; these do not.
            err().println("light-run: " + state.errorCode() + ": " + state.error() + " (run " + id + ")");
            err().flush();
        }
        return exitCode;
    }

    private void print(LogLine line) {
        PrintWriter target = line.stream() == LogLine.Stream.STDERR ? err() : out();
        target.println(line.line());
        target.flush();
    }

    /** Ctrl-C: the JVM runs this hook, then exits with 130 (128 + SIGINT). */
    private void cancel(String id) {
        err().println("light-run: cancelling run " + id);
        err().flush();
        try (LightRunClient client = server.client()) {
            client.cancel(id);
            client.await(id, CANCEL_WAIT);
        } catch (LightRunException e) {
            // Already ended (not_found/conflict), or the server is gone: nothing more to do on the way out.
            err().println("light-run: " + e.describe());
            err().flush();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C came: the hook is running, and the JVM exits when it is done.
        }
    }

    private void download(LightRunClient client, RunState state) {
        DownloadProgress progress = TerminalProgress.forConsole(err());
        for (RunState.Artifact file : state.files()) {
            client.download(state.id(), file.path(), outputDir, progress);
        }
    }

    RunRequest request() {
        RunRequest.Builder builder = RunRequest.builder(image).entrypoint(entrypoint).extract(extract.toArray(String[]::new))
                .timeout(timeout).network(network);
        for (String file : files) {
            addFile(builder, file);
        }
        for (String variable : env) {
            int eq = variable.indexOf('=');
            if (eq < 0) {
                String value = System.getenv(variable);
                if (value == null) {
                    throw new IllegalArgumentException("--env " + variable + ": no such variable in this shell");
                }
                builder.env(variable, value);
            } else {
                builder.env(variable.substring(0, eq), variable.substring(eq + 1));
            }
        }
        if (input != null) {
            builder.inputJson(input.startsWith("@") ? readInput(Path.of(input.substring(1))) : input);
        }
        if (memoryMiB != null) {
            builder.memoryMiB(memoryMiB);
        }
        if (cpus != null) {
            builder.cpus(cpus);
        }
        return builder.build();
    }

    /** {@code LOCAL[=PATH]}: split at the first {@code =}; a folder adds every regular file under it. */
    private static void addFile(RunRequest.Builder builder, String spec) {
        int eq = spec.indexOf('=');
        Path local = Path.of(eq < 0 ? spec : spec.substring(0, eq));
        String target = eq < 0 ? local.getFileName().toString() : spec.substring(eq + 1);
        if (!Files.exists(local)) {
            throw new IllegalArgumentException("--file " + spec + ": " + local + " does not exist");
        }
        if (!Files.isDirectory(local)) {
            builder.file(target, local);
            return;
        }
        try (Stream<Path> tree = Files.walk(local)) {
            for (Path file : tree.filter(Files::isRegularFile).sorted().toList()) {
                String relative = local.relativize(file).toString().replace('\\', '/');
                builder.file(target + "/" + relative, file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the folder " + local, e);
        }
    }

    private static String readInput(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read --input @" + file, e);
        }
    }
}
