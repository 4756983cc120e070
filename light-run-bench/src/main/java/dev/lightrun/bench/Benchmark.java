package dev.lightrun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lightrun.bench.Contenders.Contender;
import dev.lightrun.bench.Contenders.Sample;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The light-run benchmark: starts a real light-run server process and measures it against the floor (the Engine API
 * on its unix socket, no library in between) and the docker CLI, interleaving contenders run by run so that the noise
 * of a shared machine hits all of them alike. Prints a table, writes every figure to a JSON file, and leaves nothing
 * behind (server stopped, every container it caused removed and checked).
 */
@Command(name = "light-run-bench", mixinStandardHelpOptions = true,
        description = "Benchmark light-run against the Docker Engine API floor and the docker CLI.")
public final class Benchmark implements Callable<Integer> {
    private static final String LIGHT_RUN = "light-run";
    private static final String FLOOR = "floor";
    private static final String FLOOR_UPLOAD = "floor+upload";
    private static final String DOCKER_RUN = "docker run";
    private static final String DOCKER_CP = "docker cp";
    private static final String WARM = "light-run warm";
    private static final List<String> LIGHT_RUN_PHASES =
            List.of("image", "plan", "files", "create", "upload", "attach", "start", "run", "extract", "remove");

    @Option(names = "--quick", description = "A few iterations of each scenario: a smoke check, no timing claims.")
    boolean quick;

    @Option(names = "--repo", defaultValue = ".", description = "Repository root (default: the current folder).")
    Path repo;

    @Option(names = "--jar", description = "light-run jar (default <repo>/light-run/target/light-run.jar).")
    Path jar;

    @Option(names = "--results-dir", description = "Where the JSON goes (default <repo>/light-run-bench/results).")
    Path resultsDir;

    @Option(names = "--image", defaultValue = "light-run-test/busybox", description = "Image (default ${DEFAULT-VALUE}).")
    String image;

    @Option(names = "--runs", description = "Scenario 1 runs per contender (default 50, quick 5).")
    Integer runs;

    @Option(names = "--warmup", description = "Unmeasured runs per contender before scenario 1 (default 3, quick 1).")
    Integer warmup;

    @Option(names = "--throughput-runs", description = "Scenario 2 runs per contender and concurrency (default 200, quick 16).")
    Integer throughputRuns;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,4,8", description = "Scenario 2 levels (default ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--artifact-mib", description = "Scenario 3 artifact size in MiB (default 1024, quick 32).")
    Integer artifactMib;

    @Option(names = "--files-runs", description = "Scenario 3 runs per contender (default 3, quick 2).")
    Integer filesRuns;

    @Option(names = "--startups", description = "Scenario 4 server start-ups (default 3, quick 2).")
    Integer startups;

    @Option(names = "--scenarios", split = ",", defaultValue = "startup,cold,throughput,files,warm",
            description = "Scenarios to run, comma-separated (default ${DEFAULT-VALUE}); e.g. --scenarios warm for"
                    + " the warm pool alone.")
    List<String> scenarios;

    @Option(names = "--warm-pool-size", defaultValue = "4",
            description = "Scenario 6: the warm server's pool size (LIGHT_RUN_WARM_POOL=<image>=N;network=none;"
                    + " default ${DEFAULT-VALUE}).")
    int warmPoolSize;

    @Option(names = "--warm-concurrency", defaultValue = "4",
            description = "Scenario 6: the concurrency of its throughput part (default ${DEFAULT-VALUE}).")
    int warmConcurrency;

    @Option(names = "--no-docker-cli", description = "Leave out the docker CLI contenders.")
    boolean noDockerCli;

    @Option(names = "--keep-work-dir", description = "Keep the temporary folder (server logs) for debugging.")
    boolean keepWorkDir;

    private final PrintStream out = System.out;
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final Map<String, AtomicInteger> failureCounts = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<String> failureMessages = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean cleanedUp = new AtomicBoolean();
    private final List<ServerProcess> servers = Collections.synchronizedList(new ArrayList<>());
    private EngineClient engine;
    private Contenders contenders;
    private volatile ServerProcess server;
    private Path serverJar;
    private List<String> serverJvmOptions;
    private Path workDir;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Benchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        long benchStarted = System.nanoTime();
        repo = repo.toAbsolutePath().normalize();
        jar = jar != null ? jar : repo.resolve("light-run/target/light-run.jar");
        resultsDir = resultsDir != null ? resultsDir : repo.resolve("light-run-bench/results");
        runs = runs != null ? runs : quick ? 5 : 50;
        warmup = warmup != null ? warmup : quick ? 1 : 3;
        throughputRuns = throughputRuns != null ? throughputRuns : quick ? 16 : 200;
        artifactMib = artifactMib != null ? artifactMib : quick ? 32 : 1024;
        filesRuns = filesRuns != null ? filesRuns : quick ? 2 : 3;
        startups = startups != null ? startups : quick ? 2 : 3;
        boolean dockerCli = !noDockerCli && Contenders.dockerCliOnPath();
        if (!Files.isRegularFile(jar)) {
            System.err.println("light-run-bench: no server jar at " + jar + " (build it: ./mvnw -B -q -DskipTests package)");
            return 2;
        }
        engine = EngineClient.fromEnvironment();
        // The server runs from a copy of the jar in a folder whose name does not say light-run: on a shared machine,
        // others stop their own servers with patterns like `pkill -f light-run.jar`, which took ours down mid-run.
        workDir = Files.createTempDirectory("lrbench-");
        serverJar = Files.copy(jar, workDir.resolve("server.jar"));
        // The options bin/light-run starts the server with, so what is measured is what users run; the heap cap is
        // the benchmark's own (the RSS figures are for -Xmx128m).
        serverJvmOptions = new ArrayList<>(List.of("-Xmx128m"));
        serverJvmOptions.addAll(ServerProcess.jvmOptions(repo.resolve("light-run/src/main/jvm.options"), serverJar));
        Thread hook = new Thread(this::cleanUp, "light-run-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);

        String timestamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
                .format(Instant.now());
        results.put("timestamp", Instant.now().toString());
        results.put("quick", quick);
        results.put("git", git());
        results.put("machine", machine());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("image", image);
        settings.put("runs", runs);
        settings.put("warmup", warmup);
        settings.put("throughputRuns", throughputRuns);
        settings.put("concurrency", concurrency);
        settings.put("artifactMiB", artifactMib);
        settings.put("filesRuns", filesRuns);
        settings.put("startups", startups);
        settings.put("dockerCli", dockerCli);
        settings.put("serverJar", repo.relativize(jar.toAbsolutePath()).toString() + " (run from a copy in the work folder)");
        settings.put("serverJvmOptions", serverJvmOptions);
        // The server inherits LIGHT_RUN_FILES_MODE: `LIGHT_RUN_FILES_MODE=archive scripts/bench.sh` measures the portable path.
        String filesMode = System.getenv().getOrDefault("LIGHT_RUN_FILES_MODE", "auto");
        settings.put("serverFilesMode", filesMode);
        settings.put("percentiles", "nearest rank");
        results.put("settings", settings);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        int exit = 0;
        try {
            out.printf("light-run benchmark%s: image %s, %d cores, load %s, server files mode %s, work folder %s%n",
                    quick ? " (quick)" : "", image, Runtime.getRuntime().availableProcessors(), loadAverage(), filesMode,
                    workDir);

            // 4. Start-up first, on a quiet server: process start to the first 200 from /health, RSS after it. The
            // first start finds no class archive (the jar copy is new) and writes one when it exits; later ones map it.
            Map<String, Object> startup = new LinkedHashMap<>();
            List<Double> startupMs = new ArrayList<>();
            List<Double> startupRssMib = new ArrayList<>();
            List<Boolean> withArchive = new ArrayList<>();
            java.util.Optional<Path> archive = ServerProcess.classArchive(serverJvmOptions);
            for (int i = 0; i < (scenarios.contains("startup") ? startups : 0); i++) {
                withArchive.add(archive.map(Files::isRegularFile).orElse(false));
                try (ServerProcess once = launch(java)) {
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
            startup.put("startupMs", roundAll(startupMs));
            startup.put("startupWithClassArchive", withArchive);
            startup.put("startupMsMedian", startupMs.isEmpty() ? null : Stats.round(Stats.median(startupMs)));
            List<Double> cold = new ArrayList<>();
            List<Double> archived = new ArrayList<>();
            for (int i = 0; i < startupMs.size(); i++) {
                (withArchive.get(i) ? archived : cold).add(startupMs.get(i));
            }
            startup.put("startupMsMedianNoClassArchive", cold.isEmpty() ? null : Stats.round(Stats.median(cold)));
            startup.put("startupMsMedianWithClassArchive",
                    archived.isEmpty() ? null : Stats.round(Stats.median(archived)));
            startup.put("rssAfterStartupMiB", roundAll(startupRssMib));
            startup.put("rssAfterStartupMiBMedian", startupRssMib.isEmpty() ? null : Stats.round(Stats.median(startupRssMib)));
            results.put("startup", startup);

            // The server every scenario uses.
            server = launch(java);
            boolean mainWithArchive = archive.map(Files::isRegularFile).orElse(false);
            double mainStartup = server.awaitHealthy(http);
            Thread.sleep(1000);
            long mainRssKib = server.rssKib();
            startup.put("benchServer", map("startupMs", Stats.round(mainStartup), "withClassArchive", mainWithArchive,
                    "rssAfterStartupMiB", Stats.round(mib(mainRssKib)), "pid", server.pid()));
            out.printf("  server pid %d on %s: up in %.0f ms, RSS %.1f MiB%n", server.pid(), server.baseUrl(),
                    mainStartup, mib(mainRssKib));
            contenders = new Contenders(http, server.baseUrl(), engine, image, workDir);

            if (scenarios.contains("cold")) {
                coldRuns(dockerCli);
            }
            if (scenarios.contains("throughput")) {
                throughput();
            }
            if (scenarios.contains("files")) {
                files(server, dockerCli);
            }
            if (scenarios.contains("warm")) {
                warm(java, http);
            }

            Thread.sleep(2000);
            startup.put("rssIdleAfterAllRunsMiB", Stats.round(mib(server.rssKib())));
            startup.put("rssPeakSinceStartMiB(VmHWM)", Stats.round(mib(server.hwmKib())));
            server.close();
        } catch (Exception e) {
            exit = 1;
            failureMessages.add("benchmark aborted: " + e);
            System.err.println("light-run-bench: aborted: " + e);
            e.printStackTrace();
        } finally {
            Map<String, Object> cleanup = cleanUp();
            results.put("cleanup", cleanup);
            Runtime.getRuntime().removeShutdownHook(hook);
            if (!cleanup.getOrDefault("leftovers", List.of()).equals(List.of())) {
                exit = 1;
            }
        }
        Map<String, Object> failures = new LinkedHashMap<>();
        failureCounts.forEach((k, v) -> failures.put(k, v.get()));
        results.put("failures", failures);
        results.put("failureMessages", failureMessages.subList(0, Math.min(20, failureMessages.size())));
        if (!failures.isEmpty()) {
            exit = 1;
        }
        results.put("loadAverageAtEnd", loadAverage());
        double totalSeconds = (System.nanoTime() - benchStarted) / 1e9;
        results.put("totalSeconds", Stats.round(totalSeconds));

        new Report(out).print(Contenders.JSON.valueToTree(results));
        Files.createDirectories(resultsDir);
        Path json = resultsDir.resolve(timestamp + (quick ? "-quick" : "") + ".json");
        Contenders.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), results);
        out.printf("%nresults: %s (%.0f s in all)%s%n", repo.relativize(json.toAbsolutePath()), totalSeconds,
                exit == 0 ? "" : "  -- FAILED, see failures / cleanup");
        return exit;
    }

    // ---------------------------------------------------------------- scenario 1 and 5

    private void coldRuns(boolean dockerCli) throws Exception {
        byte[] trivialTar = Tar.of(bytes(Contenders.TRIVIAL_FILES));
        Map<String, Contender> all = new LinkedHashMap<>();
        all.put(LIGHT_RUN, contenders::lightRunTrivial);
        all.put(FLOOR, () -> contenders.floorTrivial(null));
        all.put(FLOOR_UPLOAD, () -> contenders.floorTrivial(trivialTar));
        if (dockerCli) {
            all.put(DOCKER_RUN, contenders::dockerRun);
        }
        out.printf("1. cold trivial runs: %d warm-up + %d measured per contender, interleaved%n", warmup, runs);
        Map<String, List<Sample>> samples = interleave(all, warmup, runs, "cold");

        Map<String, Object> cold = new LinkedHashMap<>();
        Map<String, Object> stats = new LinkedHashMap<>();
        Map<String, Stats> byName = new LinkedHashMap<>();
        samples.forEach((name, list) -> {
            Stats s = Stats.of(list.stream().map(Sample::totalMs).toList());
            byName.put(name, s);
            Map<String, Object> m = s.toMap();
            m.put("samplesMs", roundAll(list.stream().map(Sample::totalMs).toList()));
            m.put("phaseSamplesMs", phaseSamples(list));
            stats.put(name, m);
        });
        cold.put("contenders", stats);
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (String other : List.of(FLOOR, FLOOR_UPLOAD, DOCKER_RUN)) {
            if (byName.containsKey(other) && byName.containsKey(LIGHT_RUN)) {
                ratios.put(LIGHT_RUN + " / " + other, map(
                        "p50", Stats.round3(Stats.ratio(byName.get(LIGHT_RUN).p50(), byName.get(other).p50())),
                        "p99", Stats.round3(Stats.ratio(byName.get(LIGHT_RUN).p99(), byName.get(other).p99()))));
            }
        }
        if (byName.containsKey(DOCKER_RUN)) {
            ratios.put(DOCKER_RUN + " / " + FLOOR, map(
                    "p50", Stats.round3(Stats.ratio(byName.get(DOCKER_RUN).p50(), byName.get(FLOOR).p50())),
                    "p99", Stats.round3(Stats.ratio(byName.get(DOCKER_RUN).p99(), byName.get(FLOOR).p99()))));
        }
        cold.put("ratios", ratios);
        results.put("cold", cold);

        // 5. Where light-run's time goes: median of each phase, and the overhead outside every phase.
        Map<String, Object> breakdown = new LinkedHashMap<>();
        breakdown.put(LIGHT_RUN, phaseMedians(samples.get(LIGHT_RUN), LIGHT_RUN_PHASES));
        breakdown.put(FLOOR_UPLOAD, phaseMedians(samples.get(FLOOR_UPLOAD),
                List.of("create", "upload", "start", "wait", "logs", "remove")));
        breakdown.put(FLOOR, phaseMedians(samples.get(FLOOR), List.of("create", "start", "wait", "logs", "remove")));
        breakdown.put("note", "light-run phases are whole milliseconds (truncated), so its overhead includes up to"
                + " ~1 ms per phase of rounding; light-run's overhead holds HTTP + JSON on both sides, validation, the"
                + " store writes, the log drain after exit and result building; the floor's holds JSON + bookkeeping");
        results.put("breakdown", breakdown);
    }

    /** Median per phase, the median of the total, and the median of (total - sum of the phases) per run. */
    private static Map<String, Object> phaseMedians(List<Sample> samples, List<String> phases) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (samples == null || samples.isEmpty()) {
            return m;
        }
        for (String phase : phases) {
            m.put(phase, Stats.round(Stats.median(samples.stream()
                    .map(s -> s.phases().getOrDefault(phase, 0.0)).toList())));
        }
        m.put("overhead", Stats.round(Stats.median(samples.stream().map(s -> s.totalMs()
                - s.phases().entrySet().stream().filter(e -> phases.contains(e.getKey()))
                .mapToDouble(Map.Entry::getValue).sum()).toList())));
        m.put("total", Stats.round(Stats.median(samples.stream().map(Sample::totalMs).toList())));
        return m;
    }

    /** The median of every phase any sample has (0 where a sample lacks it). */
    private static Map<String, Object> phaseMediansOf(List<Sample> list) {
        Map<String, Object> phases = new LinkedHashMap<>();
        list.stream().flatMap(x -> x.phases().keySet().stream()).distinct().forEach(p -> phases.put(p,
                Stats.round(Stats.median(list.stream().map(x -> x.phases().getOrDefault(p, 0.0)).toList()))));
        return phases;
    }

    /** Every sample of every phase, in run order (null where a run lacks the phase), for later analysis. */
    private static Map<String, Object> phaseSamples(List<Sample> list) {
        Map<String, Object> phases = new LinkedHashMap<>();
        list.stream().flatMap(x -> x.phases().keySet().stream()).distinct().forEach(p -> phases.put(p,
                list.stream().map(x -> x.phases().containsKey(p) ? Stats.round(x.phases().get(p)) : null).toList()));
        return phases;
    }

    /**
     * Runs each contender {@code warm + measured} times, one run of each in turn, rotating who goes first, so a
     * slow moment of the machine hits every contender. Failed runs are counted and left out.
     */
    private Map<String, List<Sample>> interleave(Map<String, Contender> all, int warm, int measured, String scenario) {
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        all.keySet().forEach(k -> samples.put(k, new ArrayList<>()));
        List<String> names = new ArrayList<>(all.keySet());
        for (int i = 0; i < warm + measured; i++) {
            List<String> order = new ArrayList<>(names);
            Collections.rotate(order, -(i % names.size()));
            for (String name : order) {
                Sample s = attempt(scenario, name, all.get(name));
                if (i == 0 && name.equals(LIGHT_RUN) && s != null && scenario.equals("cold")) {
                    results.put("firstLightRunRunMs", Stats.round(s.totalMs()));
                }
                if (s != null && i >= warm) {
                    samples.get(name).add(s);
                }
            }
            if ((i + 1) % 10 == 0 || i + 1 == warm + measured) {
                out.printf("  %s: %d/%d%n", scenario, i + 1, warm + measured);
            }
        }
        return samples;
    }

    private Sample attempt(String scenario, String name, Contender contender) {
        ServerProcess current = server;
        if (current != null && current.unexpectedExit() != null) {
            throw new IllegalStateException(current.unexpectedExit());
        }
        try {
            return contender.run();
        } catch (Exception e) {
            failureCounts.computeIfAbsent(scenario + " / " + name, k -> new AtomicInteger()).incrementAndGet();
            String message = scenario + " / " + name + ": " + e;
            failureMessages.add(message);
            System.err.println("  FAILED " + message);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return null;
        }
    }

    // ---------------------------------------------------------------- scenario 6

    /**
     * The trivial run through a warm pool: a second server, started with a pool of the image (network none, the
     * trivial request's settings), next to the cold light-run run and the floor, interleaved; then throughput at
     * {@code warmConcurrency} of the three, in interleaved rounds.
     */
    private void warm(Path java, HttpClient http) throws Exception {
        String pool = image + "=" + warmPoolSize + ";network=none";
        ServerProcess warmServer = ServerProcess.launch(java, serverJar, workDir, serverJvmOptions,
                Map.of("LIGHT_RUN_WARM_POOL", pool));
        servers.add(warmServer);
        warmServer.awaitHealthy(http);
        String warmUrl = warmServer.baseUrl();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (idle(http, warmUrl) < warmPoolSize) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the warm server's pool did not fill within 120 s");
            }
            Thread.sleep(50);
        }
        Thread.sleep(1000);
        long rssFilledKib = warmServer.rssKib();
        Map<String, Contender> all = new LinkedHashMap<>();
        all.put(WARM, () -> contenders.lightRunWarm(warmUrl));
        all.put(LIGHT_RUN, contenders::lightRunTrivial);
        all.put(FLOOR, () -> contenders.floorTrivial(null));
        out.printf("6. warm pool (%s): %d warm-up + %d measured per contender, interleaved%n", pool, warmup, runs);
        Map<String, List<Sample>> samples = interleave(all, warmup, runs, "warm");
        Map<String, Object> warm = new LinkedHashMap<>();
        warm.put("pool", pool);
        Map<String, Object> stats = new LinkedHashMap<>();
        Map<String, Stats> byName = new LinkedHashMap<>();
        samples.forEach((name, list) -> {
            Stats s = Stats.of(list.stream().map(Sample::totalMs).toList());
            byName.put(name, s);
            Map<String, Object> m = s.toMap();
            m.put("samplesMs", roundAll(list.stream().map(Sample::totalMs).toList()));
            m.put("phaseMediansMs", phaseMediansOf(list));
            stats.put(name, m);
        });
        warm.put("contenders", stats);
        warm.put("coldStartsOfWarmRuns", samples.get(WARM).stream()
                .filter(x -> x.phases().getOrDefault("start:cold", 0.0) > 0).count());
        warm.put("ratios", map(
                WARM + " / " + FLOOR, map("p50", Stats.round3(Stats.ratio(byName.get(WARM).p50(), byName.get(FLOOR).p50())),
                        "p99", Stats.round3(Stats.ratio(byName.get(WARM).p99(), byName.get(FLOOR).p99()))),
                WARM + " / " + LIGHT_RUN, map("p50", Stats.round3(Stats.ratio(byName.get(WARM).p50(), byName.get(LIGHT_RUN).p50())),
                        "p99", Stats.round3(Stats.ratio(byName.get(WARM).p99(), byName.get(LIGHT_RUN).p99())))));

        int c = warmConcurrency;
        int rounds = quick ? 2 : 4;
        out.printf("6. warm throughput at concurrency %d: %d runs per contender in %d interleaved rounds%n", c,
                throughputRuns, rounds);
        Map<String, Double> wallMs = new LinkedHashMap<>();
        Map<String, Integer> done = new LinkedHashMap<>();
        Map<String, List<Sample>> latencies = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(all.keySet());
        for (int r = 0; r < rounds; r++) {
            int share = throughputRuns / rounds + (r < throughputRuns % rounds ? 1 : 0);
            List<String> order = new ArrayList<>(names);
            Collections.rotate(order, -(r % names.size()));
            for (String name : order) {
                List<Sample> lat = Collections.synchronizedList(new ArrayList<>());
                wallMs.merge(name, batch(all.get(name), name, share, c, lat), Double::sum);
                done.merge(name, lat.size(), Integer::sum);
                latencies.computeIfAbsent(name, k -> new ArrayList<>()).addAll(lat);
            }
        }
        Map<String, Object> level = new LinkedHashMap<>();
        level.put("concurrency", c);
        Map<String, Double> perSecond = new LinkedHashMap<>();
        for (String name : names) {
            double rps = done.get(name) / (wallMs.get(name) / 1000.0);
            perSecond.put(name, rps);
            level.put(name, map("runs", done.get(name), "runsPerSecond", Stats.round3(rps),
                    "latencyMs", Stats.of(latencies.get(name).stream().map(Sample::totalMs).toList()).toMap(),
                    "phaseMediansMs", phaseMediansOf(latencies.get(name))));
        }
        level.put("coldStartsOfWarmRuns", latencies.get(WARM).stream()
                .filter(x -> x.phases().getOrDefault("start:cold", 0.0) > 0).count());
        level.put("ratio warm / floor", Stats.round3(Stats.ratio(perSecond.get(WARM), perSecond.get(FLOOR))));
        level.put("ratio warm / light-run", Stats.round3(Stats.ratio(perSecond.get(WARM), perSecond.get(LIGHT_RUN))));
        warm.put("throughput", level);
        Thread.sleep(2000);
        warm.put("warmServerRssMiB", map("poolFilled", Stats.round(mib(rssFilledKib)), "idleAfterRuns",
                Stats.round(mib(warmServer.rssKib()))));
        results.put("warm", warm);
        out.printf("  warm p50 %.1f ms, cold %.1f, floor %.1f; c=%d: warm %.2f/s, cold %.2f/s, floor %.2f/s%n",
                byName.get(WARM).p50(), byName.get(LIGHT_RUN).p50(), byName.get(FLOOR).p50(), c, perSecond.get(WARM),
                perSecond.get(LIGHT_RUN), perSecond.get(FLOOR));
        warmServer.close();
    }

    private static int idle(HttpClient http, String baseUrl) throws IOException, InterruptedException {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/health"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return Contenders.JSON.readTree(health.body()).path("pools").path(0).path("idle").asInt();
    }

    // ---------------------------------------------------------------- scenario 2

    private void throughput() throws InterruptedException {
        byte[] trivialTar = Tar.of(bytes(Contenders.TRIVIAL_FILES));
        Map<String, Contender> all = new LinkedHashMap<>();
        all.put(LIGHT_RUN, contenders::lightRunTrivial);
        all.put(FLOOR, () -> contenders.floorTrivial(null));
        all.put(FLOOR_UPLOAD, () -> contenders.floorTrivial(trivialTar));
        int rounds = quick ? 2 : 4;
        List<Object> levels = new ArrayList<>();
        for (int c : concurrency) {
            out.printf("2. throughput at concurrency %d: %d runs per contender in %d interleaved rounds%n", c,
                    throughputRuns, rounds);
            Map<String, Double> wallMs = new LinkedHashMap<>();
            Map<String, List<Sample>> latencies = new LinkedHashMap<>();
            Map<String, Integer> done = new LinkedHashMap<>();
            List<String> names = new ArrayList<>(all.keySet());
            for (int r = 0; r < rounds; r++) {
                int share = throughputRuns / rounds + (r < throughputRuns % rounds ? 1 : 0);
                List<String> order = new ArrayList<>(names);
                Collections.rotate(order, -(r % names.size()));
                for (String name : order) {
                    List<Sample> lat = Collections.synchronizedList(new ArrayList<>());
                    double wall = batch(all.get(name), name, share, c, lat);
                    wallMs.merge(name, wall, Double::sum);
                    latencies.computeIfAbsent(name, k -> new ArrayList<>()).addAll(lat);
                    done.merge(name, lat.size(), Integer::sum);
                }
            }
            Map<String, Object> level = new LinkedHashMap<>();
            level.put("concurrency", c);
            Map<String, Double> perSecond = new LinkedHashMap<>();
            for (String name : names) {
                Map<String, Object> m = new LinkedHashMap<>();
                double rps = done.get(name) / (wallMs.get(name) / 1000.0);
                perSecond.put(name, rps);
                m.put("runs", done.get(name));
                m.put("wallMs", Stats.round(wallMs.get(name)));
                m.put("runsPerSecond", Stats.round3(rps));
                m.put("latencyMs", Stats.of(latencies.get(name).stream().map(Sample::totalMs).toList()).toMap());
                m.put("phaseMediansMs", phaseMediansOf(latencies.get(name)));
                level.put(name, m);
            }
            level.put("ratio light-run / floor", Stats.round3(Stats.ratio(perSecond.get(LIGHT_RUN), perSecond.get(FLOOR))));
            level.put("ratio light-run / floor+upload",
                    Stats.round3(Stats.ratio(perSecond.get(LIGHT_RUN), perSecond.get(FLOOR_UPLOAD))));
            levels.add(level);
            out.printf("  c=%d: light-run %.2f/s, floor %.2f/s, floor+upload %.2f/s%n", c, perSecond.get(LIGHT_RUN),
                    perSecond.get(FLOOR), perSecond.get(FLOOR_UPLOAD));
        }
        results.put("throughput", levels);
    }

    /** {@code runs} runs on {@code concurrency} threads pulling from one counter; returns the wall time (ms). */
    private double batch(Contender contender, String name, int runs, int concurrency, List<Sample> latencies)
            throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int t = 0; t < concurrency; t++) {
            threads.add(Thread.ofPlatform().name("bench-" + name + "-" + t).start(() -> {
                while (next.getAndIncrement() < runs) {
                    Sample s;
                    try {
                        s = attempt("throughput c=" + concurrency, name, contender);
                    } catch (IllegalStateException serverDied) {
                        break;
                    }
                    if (s != null) {
                        latencies.add(s);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        ServerProcess current = server;
        if (current != null && current.unexpectedExit() != null) {
            throw new IllegalStateException(current.unexpectedExit());
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    // ---------------------------------------------------------------- scenario 3

    private void files(ServerProcess server, boolean dockerCli) throws Exception {
        Map<String, String> files = Contenders.hundredFiles();
        byte[] tar = Tar.of(bytes(files));
        Path filesDir = Files.createDirectories(workDir.resolve("files-in"));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(filesDir.resolve(f.getKey()), f.getValue());
        }
        int mib = artifactMib;
        Map<String, Contender> all = new LinkedHashMap<>();
        all.put(LIGHT_RUN, () -> contenders.lightRunFiles(files, mib));
        all.put(FLOOR, () -> contenders.floorFiles(tar, mib));
        if (dockerCli) {
            all.put(DOCKER_CP, () -> contenders.dockerCp(filesDir, mib));
        }
        out.printf("3. files: 100 x 10 KiB in, %d MiB out, %d runs per contender, interleaved%n", mib, filesRuns);
        long rssBefore = server.rssKib();
        AtomicLong peak = new AtomicLong(rssBefore);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(server.rssKib(), Math::max), 0, 50, TimeUnit.MILLISECONDS);
        Map<String, List<Sample>> samples;
        try {
            samples = interleave(all, 0, filesRuns, "files");
        } finally {
            sampler.shutdown();
            sampler.awaitTermination(5, TimeUnit.SECONDS);
        }
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("filesIn", 100);
        section.put("fileBytes", 10 * 1024);
        section.put("artifactMiB", mib);
        Map<String, Stats> byName = new LinkedHashMap<>();
        Map<String, Object> stats = new LinkedHashMap<>();
        samples.forEach((name, list) -> {
            Stats s = Stats.of(list.stream().map(Sample::totalMs).toList());
            byName.put(name, s);
            Map<String, Object> m = s.toMap();
            m.put("samplesMs", roundAll(list.stream().map(Sample::totalMs).toList()));
            m.put("phaseMediansMs", phaseMediansOf(list));
            m.put("phaseSamplesMs", phaseSamples(list));
            if (s.n() > 0) {
                m.put("artifactMiBPerSecondAtP50", Stats.round(mib / (s.p50() / 1000.0)));
            }
            stats.put(name, m);
        });
        section.put("contenders", stats);
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (String other : List.of(FLOOR, DOCKER_CP)) {
            if (byName.containsKey(other)) {
                ratios.put(LIGHT_RUN + " / " + other + " (p50)",
                        Stats.round3(Stats.ratio(byName.get(LIGHT_RUN).p50(), byName.get(other).p50())));
            }
        }
        section.put("ratios", ratios);
        section.put("serverRssBeforeMiB", Stats.round(mib(rssBefore)));
        section.put("serverRssPeakMiB", Stats.round(mib(peak.get())));
        results.put("files", section);
    }

    // ---------------------------------------------------------------- start-up, clean-up, facts

    private ServerProcess launch(Path java) throws IOException {
        ServerProcess server = ServerProcess.launch(java, serverJar, workDir, serverJvmOptions);
        servers.add(server);
        return server;
    }

    /** Stops every server, removes and reports any container we caused that is still there, deletes the work folder. */
    private synchronized Map<String, Object> cleanUp() {
        Map<String, Object> report = new LinkedHashMap<>();
        if (!cleanedUp.compareAndSet(false, true)) {
            return report;
        }
        synchronized (servers) {
            servers.forEach(ServerProcess::close);
        }
        List<String> leftovers = new ArrayList<>();
        if (engine != null) {
            try {
                leftovers.addAll(engine.containersWithLabel(Contenders.BENCH_LABEL + "=true"));
                if (contenders != null) {
                    for (Map.Entry<String, JsonNode> c : engine.containerLabels("dev.lightrun.managed=true").entrySet()) {
                        if (contenders.lightRunIds.contains(c.getValue().path("dev.lightrun.run-id").asText())) {
                            leftovers.add(c.getKey());
                        }
                    }
                }
                for (String id : leftovers) {
                    engine.remove(id);
                }
                report.put("containersLeftAfterRemoval", engine.containersWithLabel(Contenders.BENCH_LABEL + "=true").size());
            } catch (IOException e) {
                report.put("error", "could not list containers: " + e);
            }
        }
        report.put("leftovers", leftovers);
        report.put("lightRunRunsChecked", contenders == null ? 0 : contenders.lightRunIds.size());
        report.put("serversStopped", servers.stream().noneMatch(ServerProcess::isAlive));
        if (workDir != null && !keepWorkDir) {
            Contenders.deleteTree(workDir);
        }
        if (!leftovers.isEmpty()) {
            System.err.println("light-run-bench: removed " + leftovers.size() + " leftover container(s): " + leftovers);
        }
        return report;
    }

    private Map<String, Object> git() {
        Map<String, Object> git = new LinkedHashMap<>();
        git.put("head", command(repo, "git", "rev-parse", "HEAD"));
        git.put("branch", command(repo, "git", "rev-parse", "--abbrev-ref", "HEAD"));
        String status = command(repo, "git", "status", "--porcelain");
        git.put("dirty", status != null && !status.isBlank());
        return git;
    }

    private Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu", procField("/proc/cpuinfo", "model name"));
        String memKib = procField("/proc/meminfo", "MemTotal");
        m.put("memoryMiB", memKib == null ? null : Long.parseLong(memKib.split("\\s+")[0]) / 1024);
        m.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("loadAverageAtStart", loadAverage());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("javaHome", System.getProperty("java.home"));
        try {
            JsonNode v = engine.version();
            m.put("docker", map("version", v.path("Version").asText(), "apiVersion", v.path("ApiVersion").asText(),
                    "os", v.path("Os").asText(), "kernel", v.path("KernelVersion").asText()));
        } catch (IOException e) {
            m.put("docker", "unreachable: " + e.getMessage());
        }
        return m;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return null;
        }
    }

    private static String procField(String file, String name) {
        try {
            for (String line : Files.readAllLines(Path.of(file))) {
                if (line.startsWith(name)) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static String command(Path dir, String... command) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? text : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static Map<String, byte[]> bytes(Map<String, String> files) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        files.forEach((k, v) -> m.put(k, v.getBytes(StandardCharsets.UTF_8)));
        return m;
    }

    /** An ordered map of key, value pairs; values may be null (a NaN figure). */
    static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static List<Double> roundAll(List<Double> values) {
        return values.stream().map(Stats::round).toList();
    }

    /** KiB to MiB; NaN when the process was gone (-1). */
    private static double mib(long kib) {
        return kib < 0 ? Double.NaN : kib / 1024.0;
    }
}
