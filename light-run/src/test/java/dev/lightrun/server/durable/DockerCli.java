package dev.lightrun.server.durable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code docker} CLI, to look at (and tamper with) what a server left in Docker. Only ever touches objects of
 * this test's own runs and instances: other engineers share the daemon.
 */
final class DockerCli {
    private DockerCli() {
    }

    record Result(int exitCode, String out, String err) {
    }

    static Result tryRun(String... args) {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(Arrays.asList(args));
        try {
            Process process = new ProcessBuilder(command).start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            return new Result(process.exitValue(), out.join().trim(), err.join().trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs a docker command that must succeed; returns its stdout. */
    static String run(String... args) {
        Result result = tryRun(args);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("docker " + String.join(" ", args) + " failed (" + result.exitCode() + "): "
                    + result.err());
        }
        return result.out();
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String containerOf(String runId) {
        return "lightrun-" + runId;
    }

    /** Ids of the containers (any state) labelled with this run id. */
    static List<String> containersOfRun(String runId) {
        return lines(run("ps", "-aq", "--filter", "label=dev.lightrun.run-id=" + runId));
    }

    /** Ids of the containers (any state) of one server instance. */
    static List<String> containersOfInstance(String instance) {
        return lines(run("ps", "-aq", "--filter", "label=dev.lightrun.instance=" + instance));
    }

    /** Whether a container exists and is running (false when it does not exist). */
    static boolean isRunning(String container) {
        Result result = tryRun("inspect", "-f", "{{.State.Running}}", container);
        return result.exitCode() == 0 && result.out().equals("true");
    }

    static boolean exists(String objectType, String name) {
        return tryRun(objectType, "inspect", name).exitCode() == 0;
    }

    /** Removes every container of an instance this test created (a safety net after a failed test). */
    static void removeInstanceContainers(String instance) {
        List<String> ids = containersOfInstance(instance);
        if (!ids.isEmpty()) {
            List<String> args = new ArrayList<>(List.of("rm", "-f"));
            args.addAll(ids);
            tryRun(args.toArray(String[]::new));
        }
    }

    private static List<String> lines(String out) {
        return out.isBlank() ? List.of() : List.of(out.split("\\R"));
    }
}
