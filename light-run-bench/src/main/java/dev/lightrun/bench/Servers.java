package dev.lightrun.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Launches light-run servers the way the benchmark measures them (one jar copy, one set of JVM options) and keeps
 * every one it launched, so that clean-up stops them all, whichever scenario started them. Thread-safe.
 */
final class Servers {
    private final Path java;
    private final Path jar;
    private final Path workDir;
    private final List<String> jvmOptions;
    private final List<ServerProcess> launched = Collections.synchronizedList(new ArrayList<>());

    Servers(Path java, Path jar, Path workDir, List<String> jvmOptions) {
        this.java = java;
        this.jar = jar;
        this.workDir = workDir;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /** A server with the process environment. */
    ServerProcess launch() throws IOException {
        return keep(ServerProcess.launch(java, jar, workDir, jvmOptions));
    }

    /** A server with {@code env} added to the process environment. */
    ServerProcess launch(Map<String, String> env) throws IOException {
        return keep(ServerProcess.launch(java, jar, workDir, jvmOptions, env));
    }

    private ServerProcess keep(ServerProcess server) {
        launched.add(server);
        return server;
    }

    /** The class archive the JVM options name, if any (it exists once a server has exited). */
    Optional<Path> classArchive() {
        return ServerProcess.classArchive(jvmOptions);
    }

    /** Stops every server launched so far; closing one already stopped is harmless. */
    void closeAll() {
        synchronized (launched) {
            launched.forEach(ServerProcess::close);
        }
    }

    boolean allStopped() {
        synchronized (launched) {
            return launched.stream().noneMatch(ServerProcess::isAlive);
        }
    }
}
