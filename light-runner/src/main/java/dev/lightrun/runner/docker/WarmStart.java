package dev.lightrun.runner.docker;

import dev.lightrun.runner.RunSpec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hands a claimed pooled container its run: writes the run's files and stdin into the container's folder, then the
 * run file (its env and entrypoint), then gives the go. The waiting script ({@link PoolContainers#WAIT_SCRIPT})
 * sources the run file, which deletes itself before anything of the run executes, so env values live only in a
 * root-only host folder (mode 0700 parent) and in a 0600 file of the run's user for the few milliseconds until the
 * workload starts: never in the container's config, a label or a log. Closing releases the FIFO.
 */
final class WarmStart implements AutoCloseable {
    /** The go signal: a FIFO the waiting script blocks on, or (sandboxed runtimes) a file it polls for. */
    static final String GO_FILE = ".lightrun-go";
    /** The run's env and entrypoint, as a shell script the waiting script sources. */
    static final String RUN_FILE = ".lightrun-run";

    private FileChannel fifo;

    /**
     * The run file: delete itself, export the env (values single-quoted, so taken literally, as Docker passes them),
     * then {@code exec} the entrypoint as a cold run does ({@code sh -c}), with stdin from the stdin file the same
     * wrapper as a cold run opens and deletes first.
     */
    static String runScript(RunSpec spec) {
        StringBuilder script = new StringBuilder("rm -f ./" + RUN_FILE + "\n");
        for (Map.Entry<String, String> env : new TreeMap<>(spec.env()).entrySet()) {
            // Names are [A-Za-z_][A-Za-z0-9_]* (RunSpec checks), so only the value needs quoting.
            script.append("export ").append(env.getKey()).append('=').append(quote(env.getValue())).append('\n');
        }
        String command = "exec sh -c " + quote(spec.entrypoint());
        if (spec.stdin() == null) {
            script.append(command).append('\n');
        } else {
            String stdin = "./" + FilesTar.STDIN_FILE;
            script.append("{ rm -f ").append(stdin).append(" 2>/dev/null; ").append(command).append("; } < ")
                    .append(stdin).append('\n');
        }
        return script.toString();
    }

    /** A shell word that is exactly {@code value}: single quotes, each inner quote written as '\''. */
    static String quote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }

    /** Writes the run's files, stdin and run file into the claimed container's folder. */
    static void deliver(BindFiles bindFiles, PooledContainer container, RunSpec spec) throws IOException {
        Path folder = container.folder();
        bindFiles.fill(folder, spec);
        BindFiles.writePrivate(folder.resolve(RUN_FILE), runScript(spec).getBytes(StandardCharsets.UTF_8),
                spec.limits().user());
    }

    /**
     * Gives the go. A FIFO is opened read-write, which never blocks (a dead container cannot hang us) and keeps the
     * pipe, with the go line in it, alive until {@link #close}, even if the waiting shell has not opened its end yet.
     */
    void go(PooledContainer container, String user) throws IOException {
        Path go = container.folder().resolve(GO_FILE);
        if (container.fifo()) {
            fifo = FileChannel.open(go, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            fifo.write(ByteBuffer.wrap("go\n".getBytes(StandardCharsets.US_ASCII)));
        } else {
            BindFiles.writePrivate(go, new byte[0], user);
        }
    }

    @Override
    public void close() {
        FileChannel channel = fifo;
        fifo = null;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // a pipe: nothing to flush
            }
        }
    }
}
