package dev.lightrun.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.lightrun.bench.Figures.map;
import static dev.lightrun.bench.Figures.mib;
import static dev.lightrun.bench.Figures.roundAll;

/**
 * Scenario 4, start-up: process start to the first 200 from /health, and RSS after it, of servers started one after
 * the other on a quiet machine; then the start-up of the server the other scenarios use, and its RSS once they are
 * done. All of it goes to the "startup" section.
 */
final class StartupScenario {
    private final PrintStream out;
    private final Servers servers;
    private final HttpClient http;
    private final int startups;
    private final Map<String, Object> section = new LinkedHashMap<>();

    /** @param startups how many servers to start and stop; 0 leaves the start-up figures empty */
    StartupScenario(PrintStream out, Servers servers, HttpClient http, int startups) {
        this.out = out;
        this.servers = servers;
        this.http = http;
        this.startups = startups;
    }

    /** The "startup" section; later calls add to it. */
    Map<String, Object> section() {
        return section;
    }

    /**
     * Starts and stops {@code startups} servers. The first start finds no class archive (the jar copy is new) and
     * writes one when it exits; later ones map it.
     */
    void run() throws IOException, InterruptedException {
        List<Double> startupMs = new ArrayList<>();
        List<Double> startupRssMib = new ArrayList<>();
        List<Boolean> withArchive = new ArrayList<>();
        Optional<Path> archive = servers.classArchive();
        for (int i = 0; i < startups; i++) {
            withArchive.add(archive.map(Files::isRegularFile).orElse(false));
            try (ServerProcess once = servers.launch()) {
                startupMs.add(once.awaitHealthy(http));
                Thread.sleep(1000);
                if (once.unexpectedExit() != null) {
                    throw new IllegalStateException(once.unexpectedExit());
                }
                startupRssMib.add(mib(once.rssKib()));
            }
            out.printf("  start-up %d: %.0f ms, RSS %.1f MiB%s%n", i + 1, startupMs.getLast(), startupRssMib.getLast(),
                    withArchive.getLast() ? " (class archive)" : " (no class archive yet)");
        }
        section.put("startupMs", roundAll(startupMs));
        section.put("startupWithClassArchive", withArchive);
        section.put("startupMsMedian", startupMs.isEmpty() ? null : Stats.round(Stats.median(startupMs)));
        List<Double> cold = new ArrayList<>();
        List<Double> archived = new ArrayList<>();
        for (int i = 0; i < startupMs.size(); i++) {
            (withArchive.get(i) ? archived : cold).add(startupMs.get(i));
        }
        section.put("startupMsMedianNoClassArchive", cold.isEmpty() ? null : Stats.round(Stats.median(cold)));
        section.put("startupMsMedianWithClassArchive",
                archived.isEmpty() ? null : Stats.round(Stats.median(archived)));
        section.put("rssAfterStartupMiB", roundAll(startupRssMib));
        section.put("rssAfterStartupMiBMedian",
                startupRssMib.isEmpty() ? null : Stats.round(Stats.median(startupRssMib)));
    }

    /** Starts the server every other scenario uses, waits until it is healthy, and records its start-up. */
    ServerProcess launchBenchServer() throws IOException, InterruptedException {
        ServerProcess server = servers.launch();
        boolean withArchive = servers.classArchive().map(Files::isRegularFile).orElse(false);
        double startupMs = server.awaitHealthy(http);
        Thread.sleep(1000);
        long rssKib = server.rssKib();
        section.put("benchServer", map("startupMs", Stats.round(startupMs), "withClassArchive", withArchive,
                "rssAfterStartupMiB", Stats.round(mib(rssKib)), "pid", server.pid()));
        out.printf("  server pid %d on %s: up in %.0f ms, RSS %.1f MiB%n", server.pid(), server.baseUrl(),
                startupMs, mib(rssKib));
        return server;
    }

    /** Records the bench server's RSS once the scenarios are done (after a pause to settle) and its peak. */
    void afterAllRuns(ServerProcess server) throws InterruptedException {
        Thread.sleep(2000);
        section.put("rssIdleAfterAllRunsMiB", Stats.round(mib(server.rssKib())));
        section.put("rssPeakSinceStartMiB(VmHWM)", Stats.round(mib(server.hwmKib())));
    }
}
