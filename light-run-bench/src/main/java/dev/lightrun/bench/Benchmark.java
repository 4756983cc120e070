package dev.lightrun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The light-run benchmark: starts a real light-run server process and measures it against the floor (the Engine API
 * on its unix socket, no library in between) and the docker CLI, interleaving contenders run by run so that the noise
 * of a shared machine hits all of them alike. Prints a table, writes every figure to a JSON file, and leaves nothing
 * behind (server stopped, every container it caused removed and checked).
 */
@Command(name = "light-run-bench", mixinStandardHelpOptions = true,
        description = "Benchmark light-run against the Docker Engine API floor and the docker CLI.")
public final class Benchmark implements Callable<Integer> {
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

    @Option(names = "--scenarios", split = ",", defaultValue = "startup,cold,throughput,files,warm,replicas",
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

    @Option(names = "--pg-url",
            description = "Scenario 7: the PostgreSQL database replicas share (jdbc:postgresql://host:port/db?user=&password=;"
                    + " default: LIGHT_RUN_TEST_PG_URL, which keeps the password off the command line). Without"
                    + " either, the scenario is skipped. Each measurement creates and drops a schema bench_<random>.")
    String pgUrl;

    @Option(names = "--replica-slots", defaultValue = "4",
            description = "Scenario 7: LIGHT_RUN_MAX_CONCURRENT of each replica (default ${DEFAULT-VALUE}).")
    int replicaSlots;

    @Option(names = "--no-docker-cli", description = "Leave out the docker CLI contenders.")
    boolean noDockerCli;

    @Option(names = "--keep-work-dir", description = "Keep the temporary folder (server logs) for debugging.")
    boolean keepWorkDir;

    private final PrintStream out = System.out;
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final Failures failures = new Failures();
    private final AtomicBoolean cleanedUp = new AtomicBoolean();
    private EngineClient engine;
    private volatile Contenders contenders;
    private volatile Servers servers;
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
        boolean dockerCli = !noDockerCli && DockerCliRuns.onPath();
        pgUrl = pgUrl != null ? pgUrl : System.getenv("LIGHT_RUN_TEST_PG_URL");
        if (pgUrl != null && !pgUrl.isBlank() && !PgSchema.isPostgresUrl(pgUrl)) {
            System.err.println("light-run-bench: --pg-url / LIGHT_RUN_TEST_PG_URL must start with jdbc:postgresql:, was "
                    + PgSchema.redacted(pgUrl));
            return 2;
        }
        if (!Files.isRegularFile(jar)) {
            System.err.println("light-run-bench: no server jar at " + jar + " (build it: ./mvnw -B -q -DskipTests package)");
            return 2;
        }
        engine = EngineClient.fromEnvironment();
        // The server runs from a copy of the jar in a folder whose name does not say light-run: on a shared machine,
        // others stop their own servers with patterns like `pkill -f light-run.jar`, which took ours down mid-run.
        workDir = Files.createTempDirectory("lrbench-");
        Path serverJar = Files.copy(jar, workDir.resolve("server.jar"));
        // The options bin/light-run starts the server with, so what is measured is what users run; the heap cap is
        // the benchmark's own (the RSS figures are for -Xmx128m).
        List<String> serverJvmOptions = new ArrayList<>(List.of("-Xmx128m"));
        serverJvmOptions.addAll(ServerProcess.jvmOptions(repo.resolve("light-run/src/main/jvm.options"), serverJar));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        servers = new Servers(java, serverJar, workDir, serverJvmOptions);
        Thread hook = new Thread(this::cleanUp, "light-run-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);

        String timestamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
                .format(Instant.now());
        results.put("timestamp", Instant.now().toString());
        results.put("quick", quick);
        results.put("git", Machine.git(repo));
        results.put("machine", Machine.facts(engine));
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
        settings.put("pgUrl", pgUrl == null || pgUrl.isBlank() ? null : PgSchema.redacted(pgUrl));
        settings.put("replicaSlots", replicaSlots);
        settings.put("serverJar", repo.relativize(jar.toAbsolutePath()).toString() + " (run from a copy in the work folder)");
        settings.put("serverJvmOptions", serverJvmOptions);
        // The server inherits LIGHT_RUN_FILES_MODE: `LIGHT_RUN_FILES_MODE=archive scripts/bench.sh` measures the portable path.
        String filesMode = System.getenv().getOrDefault("LIGHT_RUN_FILES_MODE", "auto");
        settings.put("serverFilesMode", filesMode);
        settings.put("percentiles", "nearest rank");
        results.put("settings", settings);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        int exit = 0;
        try {
            out.printf("light-run benchmark%s: image %s, %d cores, load %s, server files mode %s, work folder %s%n",
                    quick ? " (quick)" : "", image, Runtime.getRuntime().availableProcessors(), Machine.loadAverage(),
                    filesMode, workDir);

            // 4. Start-up first, on a quiet server; then the server every scenario uses.
            StartupScenario startup = new StartupScenario(out, servers, http,
                    scenarios.contains("startup") ? startups : 0);
            startup.run();
            results.put("startup", startup.section());
            ServerProcess server = startup.launchBenchServer();
            contenders = new Contenders(http, server.baseUrl(), engine, image, workDir);
            BenchContext ctx = new BenchContext(out, results, failures, servers, server, contenders, http, workDir,
                    quick);

            if (scenarios.contains("cold")) {
                new ColdScenario(ctx, warmup, runs, dockerCli).run();
            }
            if (scenarios.contains("throughput")) {
                new ThroughputScenario(ctx, throughputRuns, concurrency).run();
            }
            if (scenarios.contains("files")) {
                new FilesScenario(ctx, artifactMib, filesRuns, dockerCli).run();
            }
            if (scenarios.contains("warm")) {
                new WarmScenario(ctx, image, warmPoolSize, warmConcurrency, warmup, runs, throughputRuns).run();
            }
            if (scenarios.contains("replicas")) {
                new ReplicasScenario(ctx, pgUrl, replicaSlots, warmup, runs, throughputRuns).run();
            }

            startup.afterAllRuns(server);
            server.close();
        } catch (Exception e) {
            exit = 1;
            failures.note("benchmark aborted: " + e);
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
        Map<String, Object> failureCounts = failures.counts();
        results.put("failures", failureCounts);
        results.put("failureMessages", failures.first(20));
        if (!failureCounts.isEmpty()) {
            exit = 1;
        }
        results.put("loadAverageAtEnd", Machine.loadAverage());
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

    /** Stops every server, removes and reports any container we caused that is still there, deletes the work folder. */
    private synchronized Map<String, Object> cleanUp() {
        Map<String, Object> report = new LinkedHashMap<>();
        if (!cleanedUp.compareAndSet(false, true)) {
            return report;
        }
        if (servers != null) {
            servers.closeAll();
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
        report.put("serversStopped", servers == null || servers.allStopped());
        if (workDir != null && !keepWorkDir) {
            Contenders.deleteTree(workDir);
        }
        if (!leftovers.isEmpty()) {
            System.err.println("light-run-bench: removed " + leftovers.size() + " leftover container(s): " + leftovers);
        }
        return report;
    }
}
