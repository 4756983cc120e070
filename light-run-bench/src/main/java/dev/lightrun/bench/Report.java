package dev.lightrun.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The terminal table, from the same tree that goes to the JSON file. */
final class Report {
    private final PrintStream out;

    Report(PrintStream out) {
        this.out = out;
    }

    void print(JsonNode r) {
        JsonNode m = r.path("machine");
        JsonNode s = r.path("settings");
        out.println();
        out.printf("== light-run benchmark%s  %s  git %s%s (%s)%n", r.path("quick").asBoolean() ? " (QUICK: smoke check)" : "",
                r.path("timestamp").asText(), abbrev(r.path("git").path("head").asText()),
                r.path("git").path("dirty").asBoolean() ? "+dirty" : "", r.path("git").path("branch").asText());
        out.printf("   %d cores (%s), %d MiB; Docker %s (API %s); %s; load %s -> %s%n", m.path("cores").asInt(),
                m.path("cpu").asText(), m.path("memoryMiB").asLong(), m.path("docker").path("version").asText(),
                m.path("docker").path("apiVersion").asText(), m.path("java").asText(), m.path("loadAverageAtStart").asText(),
                r.path("loadAverageAtEnd").asText());

        JsonNode cold = r.path("cold");
        if (!cold.isMissingNode()) {
            out.printf("%n1. Cold trivial run (%s `echo hi`, network none, 1 small file, no extract), sequential,"
                    + " interleaved; %d warm-up + %d measured each%n", s.path("image").asText(), s.path("warmup").asInt(),
                    s.path("runs").asInt());
            statsHeader();
            cold.path("contenders").properties().forEach(e -> statsRow(e.getKey(), e.getValue()));
            cold.path("ratios").properties().forEach(e -> out.printf("   %-28s p50 %sx   p99 %sx%n", e.getKey(),
                    num(e.getValue().path("p50"), "%.2f"), num(e.getValue().path("p99"), "%.2f")));
            out.printf("   first light-run run after server start: %s ms%n", num(r.path("firstLightRunRunMs"), "%.0f"));
        }

        JsonNode throughput = r.path("throughput");
        if (throughput.isArray() && !throughput.isEmpty()) {
            out.printf("%n2. Throughput (%d runs per contender and level, interleaved rounds; runs/s, p50 latency ms)%n",
                    s.path("throughputRuns").asInt());
            out.printf("   %-5s %12s %12s %14s %10s %17s   %s%n", "conc.", "light-run", "floor", "floor+upload",
                    "lr/floor", "lr/floor+upload", "p50 latency lr / floor / floor+upload");
            for (JsonNode level : throughput) {
                out.printf("   %-5d %12s %12s %14s %9sx %16sx   %s / %s / %s%n", level.path("concurrency").asInt(),
                        num(level.path("light-run").path("runsPerSecond"), "%.2f"),
                        num(level.path("floor").path("runsPerSecond"), "%.2f"),
                        num(level.path("floor+upload").path("runsPerSecond"), "%.2f"),
                        num(level.path("ratio light-run / floor"), "%.2f"),
                        num(level.path("ratio light-run / floor+upload"), "%.2f"),
                        num(level.path("light-run").path("latencyMs").path("p50"), "%.0f"),
                        num(level.path("floor").path("latencyMs").path("p50"), "%.0f"),
                        num(level.path("floor+upload").path("latencyMs").path("p50"), "%.0f"));
            }
            out.println("   phase medians (ms):");
            for (JsonNode level : throughput) {
                for (String name : List.of("light-run", "floor+upload")) {
                    out.printf("     c=%-3d %-13s %s%n", level.path("concurrency").asInt(), name,
                            phases(level.path(name).path("phaseMediansMs")));
                }
            }
        }

        JsonNode warm = r.path("warm");
        if (!warm.isMissingNode()) {
            out.printf("%n6. Warm pool (%s): trivial run, sequential, interleaved with the cold run and the floor%n",
                    warm.path("pool").asText());
            statsHeader();
            warm.path("contenders").properties().forEach(e -> statsRow(e.getKey(), e.getValue()));
            warm.path("ratios").properties().forEach(e -> out.printf("   %-28s p50 %sx   p99 %sx%n", e.getKey(),
                    num(e.getValue().path("p50"), "%.2f"), num(e.getValue().path("p99"), "%.2f")));
            out.printf("   warm runs that found the pool empty (ran cold): %s%n", warm.path("coldStartsOfWarmRuns").asText());
            JsonNode level = warm.path("throughput");
            out.printf("   throughput c=%d (runs/s): warm %s, cold light-run %s, floor %s; warm/floor %sx,"
                            + " warm/cold %sx (warm runs that ran cold: %s)%n", level.path("concurrency").asInt(),
                    num(level.path("light-run warm").path("runsPerSecond"), "%.2f"),
                    num(level.path("light-run").path("runsPerSecond"), "%.2f"),
                    num(level.path("floor").path("runsPerSecond"), "%.2f"),
                    num(level.path("ratio warm / floor"), "%.2f"), num(level.path("ratio warm / light-run"), "%.2f"),
                    level.path("coldStartsOfWarmRuns").asText());
            out.println("   phase medians (ms):");
            warm.path("contenders").properties().forEach(e -> out.printf("     %-14s %s%n", e.getKey(),
                    phases(e.getValue().path("phaseMediansMs"))));
            out.printf("   warm server RSS: %s MiB with the pool filled, %s MiB idle after its runs%n",
                    num(warm.path("warmServerRssMiB").path("poolFilled"), "%.1f"),
                    num(warm.path("warmServerRssMiB").path("idleAfterRuns"), "%.1f"));
        }

        JsonNode files = r.path("files");
        if (!files.isMissingNode()) {
            out.printf("%n3. Files: 100 x 10 KiB in, one %d MiB artifact out (dd in the container), interleaved%n",
                    files.path("artifactMiB").asInt());
            statsHeader();
            files.path("contenders").properties().forEach(e -> statsRow(e.getKey(), e.getValue()));
            out.println("   phase medians (ms):");
            files.path("contenders").properties().forEach(e -> out.printf("     %-14s %s%n", e.getKey(),
                    phases(e.getValue().path("phaseMediansMs"))));
            files.path("ratios").properties().forEach(e -> out.printf("   %-28s %sx%n", e.getKey(),
                    num(e.getValue(), "%.2f")));
            out.printf("   server RSS: %s MiB before, peak %s MiB during the scenario (VmRSS every 50 ms)%n",
                    num(files.path("serverRssBeforeMiB"), "%.1f"), num(files.path("serverRssPeakMiB"), "%.1f"));
        }

        JsonNode startup = r.path("startup");
        if (!startup.isMissingNode()) {
            out.printf("%n4. Start-up (java %s -jar light-run.jar serve): process start -> first 200 on /health%n",
                    String.join(" ", Contenders.JSON.convertValue(r.path("settings").path("serverJvmOptions"),
                            String[].class)));
            out.printf("   median %s ms of %s (class archive: %s); no class archive yet (first start): %s ms, with"
                            + " the archive: median %s ms%n",
                    num(startup.path("startupMsMedian"), "%.0f"), startup.path("startupMs"),
                    startup.path("startupWithClassArchive"), num(startup.path("startupMsMedianNoClassArchive"), "%.0f"),
                    num(startup.path("startupMsMedianWithClassArchive"), "%.0f"));
            out.printf("   RSS 1 s after start-up: median %s MiB of %s%n",
                    num(startup.path("rssAfterStartupMiBMedian"), "%.1f"), startup.path("rssAfterStartupMiB"));
            out.printf("   benchmark's server: up in %s ms, RSS %s MiB after start-up, %s MiB idle after all runs,"
                            + " peak (VmHWM) %s MiB%n", num(startup.path("benchServer").path("startupMs"), "%.0f"),
                    num(startup.path("benchServer").path("rssAfterStartupMiB"), "%.1f"),
                    num(startup.path("rssIdleAfterAllRunsMiB"), "%.1f"),
                    num(startup.path("rssPeakSinceStartMiB(VmHWM)"), "%.1f"));
        }

        JsonNode breakdown = r.path("breakdown");
        if (!breakdown.isMissingNode()) {
            out.printf("%n5. Where the time goes: medians per phase over scenario 1 (ms)%n");
            out.printf("   %-10s %10s %14s %10s%n", "phase", "light-run", "floor+upload", "floor");
            for (String[] row : List.of(new String[] {"image", "image", "-"}, new String[] {"create", "create", "create"},
                    new String[] {"upload", "upload", "-"}, new String[] {"start", "start", "start"},
                    new String[] {"run", "wait", "wait"}, new String[] {"-", "logs", "logs"},
                    new String[] {"extract", "-", "-"}, new String[] {"remove", "remove", "remove"},
                    new String[] {"overhead", "overhead", "overhead"}, new String[] {"total", "total", "total"})) {
                String label = row[0].equals("run") ? "run/wait" : row[0].equals("-") ? row[1] : row[0];
                out.printf("   %-10s %10s %14s %10s%n", label, cell(breakdown.path("light-run"), row[0]),
                        cell(breakdown.path("floor+upload"), row[1]), cell(breakdown.path("floor"), row[2]));
            }
            out.printf("   (%s)%n", breakdown.path("note").asText());
        }

        replicas(r.path(ReplicasScenario.SECTION));

        out.printf("%ncleanup: leftovers %s, servers stopped %s; failures %s%n", r.path("cleanup").path("leftovers"),
                r.path("cleanup").path("serversStopped").asText(), r.path("failures"));
        out.printf("total: %s s%n", num(r.path("totalSeconds"), "%.0f"));
    }

    /** Scenario 7: claim latency and throughput of replicas on one PostgreSQL store, or why it was skipped. */
    void replicas(JsonNode replicas) {
        if (replicas.isMissingNode()) {
            return;
        }
        if (replicas.has("skipped")) {
            out.printf("%n7. Replicas on one PostgreSQL store: skipped, %s%n", replicas.path("skipped").asText());
            return;
        }
        out.printf("%n7. Replicas on one PostgreSQL store (%s, %d slots each, a schema of their own per measurement)%n",
                replicas.path("store").asText(), replicas.path("slotsPerReplica").asInt());
        JsonNode claim = replicas.path("claim");
        out.println("   claim latency (startedAt - queuedAt) of sync trivial runs one at a time, interleaved:");
        out.printf("   %-14s %4s %10s %10s %13s %13s   (ms)%n", "server", "n", "claim p50", "claim p99", "sync run p50",
                "sync run p99");
        claim.path("contenders").properties().forEach(e -> out.printf("   %-14s %4d %10s %10s %13s %13s%n", e.getKey(),
                e.getValue().path("claimMs").path("n").asInt(), num(e.getValue().path("claimMs").path("p50"), "%.1f"),
                num(e.getValue().path("claimMs").path("p99"), "%.1f"),
                num(e.getValue().path("syncRunMs").path("p50"), "%.1f"),
                num(e.getValue().path("syncRunMs").path("p99"), "%.1f")));
        claim.properties().stream().filter(e -> e.getKey().startsWith("difference")).forEach(e -> out.printf(
                "   %s: claim p50 %s, p99 %s; sync run p50 %s, p99 %s%n", e.getKey(),
                num(e.getValue().path("claim p50"), "%+.1f"), num(e.getValue().path("claim p99"), "%+.1f"),
                num(e.getValue().path("sync run p50"), "%+.1f"), num(e.getValue().path("sync run p99"), "%+.1f")));
        JsonNode throughput = replicas.path("throughput");
        out.printf("   throughput of detached trivial runs (%d client threads round-robin across the replicas; first"
                + " submission to last finishedAt):%n", throughput.path("clientThreads").asInt());
        for (String name : List.of(ReplicasScenario.label(1), ReplicasScenario.label(2))) {
            JsonNode c = throughput.path(name);
            out.printf("   %-10s (%2d slots) %8s runs/s  (%d/%d succeeded, executed by %s); floor at c=%d: %s runs/s%n",
                    name, c.path("totalSlots").asInt(), num(c.path("runsPerSecond"), "%.2f"), c.path("succeeded").asInt(),
                    c.path("submitted").asInt(), c.path("executedBy"), c.path("totalSlots").asInt(),
                    num(c.path("floorRunsPerSecondAtSameConcurrency"), "%.2f"));
        }
        out.printf("   2 replicas / 1 replica %sx; 1 replica / floor %sx; 2 replicas / floor %sx%n",
                num(throughput.path("ratio 2 replicas / 1 replica"), "%.2f"),
                num(throughput.path("ratio 1 replica / floor"), "%.2f"),
                num(throughput.path("ratio 2 replicas / floor"), "%.2f"));
    }

    private void statsHeader() {
        out.printf("   %-14s %4s %8s %8s %8s %8s %8s %8s   (ms)%n", "contender", "n", "min", "p50", "p90", "p99", "max",
                "mean");
    }

    private void statsRow(String name, JsonNode st) {
        out.printf("   %-14s %4d %8s %8s %8s %8s %8s %8s%n", name, st.path("n").asInt(), num(st.path("min"), "%.1f"),
                num(st.path("p50"), "%.1f"), num(st.path("p90"), "%.1f"), num(st.path("p99"), "%.1f"),
                num(st.path("max"), "%.1f"), num(st.path("mean"), "%.1f"));
    }

    private static String phases(JsonNode medians) {
        StringBuilder line = new StringBuilder();
        medians.properties().forEach(p -> line.append(p.getKey()).append(' ').append(num(p.getValue(), "%.0f"))
                .append("  "));
        return line.toString().trim();
    }

    private static String cell(JsonNode phases, String key) {
        return key.equals("-") ? "-" : num(phases.path(key), "%.1f");
    }

    private static String num(JsonNode v, String format) {
        return v.isNumber() ? String.format(Locale.ROOT, format, v.asDouble()) : "-";
    }

    private static String abbrev(String head) {
        return head.length() > 12 ? head.substring(0, 12) : head;
    }
}
