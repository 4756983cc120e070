package dev.lightrun.server.durable;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The server processes one test starts: {@code @RegisterExtension final ServerProcesses servers = new ServerProcesses();}
 * then {@code servers.start(setup)}. After each test every one is stopped and the containers of their instances that
 * are still there are removed, so a failed test leaves nothing running.
 */
final class ServerProcesses implements AfterEachCallback {
    private final List<ServerProcess> started = new CopyOnWriteArrayList<>();
    /** Remembered before starting: a server that fails half-way may still have created containers. */
    private final List<ServerProcess.Setup> setups = new CopyOnWriteArrayList<>();

    ServerProcess start(ServerProcess.Setup setup) {
        setups.add(setup);
        ServerProcess server = setup.start();
        started.add(server);
        return server;
    }

    /** Starts several servers at once, as replicas come up together; returns them in the order of the setups. */
    List<ServerProcess> startTogether(List<ServerProcess.Setup> together) {
        try (ExecutorService starting = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ServerProcess>> servers = together.stream()
                    .map(setup -> starting.submit(() -> start(setup))).toList();
            List<ServerProcess> up = new ArrayList<>();
            for (Future<ServerProcess> server : servers) {
                up.add(server.get());
            }
            return up;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        started.forEach(ServerProcess::close);
        setups.stream().distinct().forEach(ServerProcess.Setup::removeLeftoverContainers);
        started.clear();
        setups.clear();
    }
}
