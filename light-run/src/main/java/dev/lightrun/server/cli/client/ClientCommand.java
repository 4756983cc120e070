package dev.lightrun.server.cli.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.client.LightRunClient;
import dev.lightrun.client.LightRunException;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/**
 * What every client subcommand shares: the server options, a client closed after the command, its output writers
 * (picocli's, so tests can capture them), and one error line: {@code light-run: <code>: <message>} on stderr (with
 * the fields at fault), then the command's failure exit code. Never a stack trace.
 */
abstract class ClientCommand implements Callable<Integer> {
    /** Exit code of a client command that failed (a run's own failures have theirs: {@link RunExitCode}). */
    static final int EXIT_FAILED = 1;

    static final ObjectMapper JSON = LightRunClient.jsonMapper();

    @Mixin
    ClientOptions server;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public final Integer call() {
        try (LightRunClient client = server.client()) {
            return execute(client);
        } catch (LightRunException e) {
            return fail(e.describe());
        } catch (UncheckedIOException e) {
            return fail(e.getMessage() + ": " + e.getCause().getMessage());
        } catch (IllegalArgumentException | IllegalStateException e) {
            return fail(e.getMessage());
        }
    }

    /** The command's work; its exit code. */
    abstract int execute(LightRunClient client);

    /** Exit code when the command cannot do its work. */
    int failureExitCode() {
        return EXIT_FAILED;
    }

    int fail(String message) {
        err().println("light-run: " + message);
        err().flush();
        return failureExitCode();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** {@code value} as one line of JSON, the way the API writes it. */
    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
