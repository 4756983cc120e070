package dev.lightrun.server.durable;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * The server processes one test starts: {@code @RegisterExtension final ServerProcesses servers = new ServerProcesses();}
 * then {@code servers.start(setup)}. After each test every one is stopped and the containers of their instances that
 * are still there are removed, so a failed test leaves nothing running.
 */
final class ServerProcesses implements AfterEachCallback {
    private final List<ServerProcess> started = new ArrayList<>();
    /** Remembered before starting: a server that fails half-way may still have created containers. */
    private final List<ServerProcess.Setup> setups = new ArrayList<>();

    ServerProcess start(ServerProcess.Setup setup) {
        setups.add(setup);
        ServerProcess server = setup.start();
        started.add(server);
        return server;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        started.forEach(ServerProcess::close);
        setups.stream().distinct().forEach(ServerProcess.Setup::removeLeftoverContainers);
        started.clear();
        setups.clear();
    }
}
