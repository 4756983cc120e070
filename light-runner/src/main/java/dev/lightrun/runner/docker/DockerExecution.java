package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.RunError;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.StartKind;
import dev.lightrun.runner.docker.ContainerFilesExtractor.Extracted;
import dev.lightrun.runner.docker.RunControl.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One run on Docker: create -> upload files -> start -> follow logs + wait -> extract -> remove, on its own virtual
 * thread, with the fewest Engine API calls. This class keeps the order of the steps and the run's state; their Engine
 * calls are {@link ContainerLauncher}'s, {@link LogPump}'s, {@link RunningContainer}'s, {@link ContainerFilesExtractor}'s
 * and {@link RunCleanup}'s, and {@link OutcomeClassifier} judges the end. Control calls (cancel, stop, pause, resume)
 * may come from any thread and go to its {@link RunControl}, where the first of exit, cancel, stop and timeout to claim
 * the run decides its status.
 */
final class DockerExecution implements Execution {
    private static final Logger log = LoggerFactory.getLogger(DockerExecution.class);

    private final DockerClient docker;
    private final RunSpec spec;
    private final DockerRunner.Context context;
    private final RunControl control;
    private final ContainerLauncher launcher;
    private final LogPump logs;
    private final ContainerFilesExtractor extractor;
    private final RunCleanup cleanup;
    private final CompletableFuture<RunResult> result = new CompletableFuture<>();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final Map<String, Duration> timings = new LinkedHashMap<>();
    private volatile String containerId;
    private volatile boolean abandoned;
    private volatile Runnable beforeResult = () -> { };
    /** Asked once, just before the workload may begin (see {@link dev.lightrun.runner.Runner#start(RunSpec, BooleanSupplier)}). */
    private volatile BooleanSupplier mayStart = () -> true;
    /**
     * Whether the run's bind-mounted files folder is this execution's to delete: it made it, or it re-attached to the
     * run that did. A folder that was there already belongs to another run with the same id and is never touched.
     */
    private volatile boolean ownsFilesFolder;
    /** The host folder mounted at the workdir, when this execution mounted one: extraction reads from it directly. */
    private volatile Path bindFolder;
    /** Set when picking up a container an earlier process started; null for a fresh run. */
    private final Existing existing;
    /** Set for a warm start: the pooled container this run took, and who disposes of it afterwards. */
    private final Warm warm;
    /** The go signal of a warm start, held until the run ends (see {@link WarmStart#go}). */
    private final WarmStart warmStart = new WarmStart();

    /** A pooled container taken for this run, and where it goes once the run is over (removed, never reused). */
    record Warm(PooledContainer container, WarmPools pools) {
    }

    /**
     * A container found by label, with when it started (null if it never started) and when its timeout expires.
     */
    record Existing(String containerId, Instant startedAt, Instant deadline) {
    }

    DockerExecution(DockerClient docker, RunSpec spec, DockerRunner.Context context) {
        this(docker, spec, context, null);
    }

    DockerExecution(DockerClient docker, RunSpec spec, DockerRunner.Context context, Existing existing) {
        this(docker, spec, context, existing, null);
    }

    DockerExecution(DockerClient docker, RunSpec spec, DockerRunner.Context context, Existing existing, Warm warm) {
        this.docker = docker;
        this.spec = spec;
        this.context = context;
        this.existing = existing;
        this.warm = warm;
        this.control = new RunControl(spec.runId(), spec.timeout(), context.scheduler());
        this.launcher = new ContainerLauncher(docker, spec, context);
        this.logs = new LogPump(docker, spec.runId(), spec.logSink(), spec.logCapBytes());
        this.extractor = new ContainerFilesExtractor(docker, spec);
        this.cleanup = new RunCleanup(docker, context.bindFiles(), spec.runId());
    }

    /** Set before the run is launched: its last say before the workload begins. */
    void mayStart(BooleanSupplier value) {
        this.mayStart = value;
    }

    /** True when the caller refused the start at the last moment: the run then ends cancelled, its workload never run. */
    private boolean startRefused() {
        if (mayStart.getAsBoolean()) {
            return false;
        }
        log.info("run {} - its start was refused by its caller", runId());
        control.cancel();
        return true;
    }

    /** Runs just before the result completes (the runner forgets the run there). */
    void beforeResult(Runnable action) {
        this.beforeResult = action;
    }

    /**
     * The process is going away but the container must live on (a restart re-attaches it): from now on nothing is
     * removed and the result is never completed.
     */
    void abandon() {
        abandoned = true;
    }

    @Override
    public String runId() {
        return spec.runId();
    }

    @Override
    public CompletableFuture<RunResult> result() {
        return result;
    }

    @Override
    public CompletableFuture<Void> started() {
        return started;
    }

    @Override
    public boolean isPaused() {
        return control.isPaused();
    }

    // ---------------------------------------------------------------- lifecycle (the run's own thread)

    /** A started container: since when, how long until its timeout, and its attached output (null: replay it). */
    private record Launched(Instant startedAt, Duration timeLeft, LogPump.Follower attached) {
    }

    void run() {
        Instant startedAt = null;
        Instant exitedAt = null;
        Integer exitCode = null;
        boolean oomKilled = false;
        RunError error = null;
        Extracted extracted = Extracted.NOTHING;
        try {
            Launched launched = existing != null ? pickUp() : warm != null ? claim() : launch();
            if (launched == null) {
                return;
            }
            startedAt = launched.startedAt();
            RunningContainer container = new RunningContainer(docker, runId(), containerId);
            control.started(container, launched.timeLeft());
            started.complete(null);
            long waitStarted = System.nanoTime();
            exitCode = warm != null ? warm.container().awaitExit(runId()) : container.awaitExit();
            exitedAt = Instant.now();
            timings.put("run", Duration.ofNanos(System.nanoTime() - waitStarted));
            control.exited();
            if (launched.attached() != null) {
                launched.attached().drain();
            } else {
                logs.replay(containerId);
            }
            boolean exitedByItself = control.outcome() == Outcome.EXITED;
            if (existing != null) {
                // It may have exited long before we looked: the engine knows when, and whether memory killed it.
                InspectContainerResponse.ContainerState state = container.inspectState();
                Instant finished = state == null ? null : DockerRunner.parseInstant(state.getFinishedAt());
                if (finished != null) {
                    exitedAt = finished;
                }
                oomKilled = state != null && Boolean.TRUE.equals(state.getOOMKilled()) && exitedByItself;
            } else {
                // 137 is SIGKILL: only then can it have been the OOM killer, so only then pay for an inspect.
                oomKilled = exitCode == 137 && exitedByItself && container.wasOomKilled();
            }
            if (extractor.wanted(exitCode, exitedByItself)) {
                extracted = timed("extract", () -> extractor.extract(containerId, bindFolder));
            }
        } catch (RunnerException e) {
            error = e.toRunError();
        } catch (RuntimeException e) {
            error = DockerErrors.translate(e, "running " + runId(), ErrorCode.DOCKER_ERROR).toRunError();
        } finally {
            control.finishing();
            if (abandoned) {
                log.info("run {} - left running for the next process to pick up", runId());
            } else {
                complete(startedAt, exitedAt, exitCode, oomKilled, error, extracted);
            }
        }
    }

    /** Creates, fills and starts a fresh container; null when a cancel or stop came first. */
    private Launched launch() {
        String image = timed("image", launcher::resolveImage);
        if (!control.claimable()) {
            return null;
        }
        ContainerLauncher.FilesPlan files = timed("plan", () -> launcher.planFiles(image));
        Path hostFiles = files.bind() ? timed("files", () -> context.bindFiles().prepare(spec)) : null;
        ownsFilesFolder = hostFiles != null;
        bindFolder = hostFiles;
        containerId = timed("create", () -> launcher.create(image, hostFiles));
        control.created();
        // Attach on its own connection while the files upload: its round trip overlaps the upload's.
        LogPump.Follower attaching = logs.beginAttach(containerId);
        if (files.learnFrom() != null) {
            context.workdirs().learn(containerId, files.learnFrom(), spec.workdir());
        }
        if (hostFiles == null && FilesTar.needed(spec)) {
            timed("upload", () -> launcher.upload(containerId));
        }
        launcher.connectExtraNetworks(containerId);
        if (!control.claimable() || startRefused()) {
            return null;
        }
        timed("attach", attaching::awaitAttached);
        timed("start", () -> launcher.start(containerId));
        return new Launched(Instant.now(), spec.timeout(), attaching);
    }

    /**
     * Hands the pooled container this run took its files, stdin, env and entrypoint, then the go: its waiting shell
     * {@code exec}s the entrypoint, which becomes the container's main process. Its output is already attached (bound
     * to this run's pump before the go, so nothing is lost) and its exit already awaited. Null when a cancel or stop
     * came first (the container is disposed of unused).
     */
    private Launched claim() {
        PooledContainer pooled = warm.container();
        containerId = pooled.containerId();
        bindFolder = pooled.folder();
        control.created();
        if (!control.claimable() || startRefused()) {
            return null;
        }
        timed("claim", () -> {
            try {
                WarmStart.deliver(context.bindFiles(), pooled, spec);
                pooled.attached().bind(logs);
                warmStart.go(pooled, spec.limits().user());
                warm.pools().claimed(pooled, runId());
            } catch (IOException e) {
                throw new RunnerException(ErrorCode.START_FAILED, "handing run " + runId()
                        + " its pooled container failed: " + e, e);
            }
        });
        return new Launched(Instant.now(), spec.timeout(), pooled.attached());
    }

    /** Takes over the container an earlier process started, with what is left of its timeout. */
    private Launched pickUp() {
        containerId = existing.containerId();
        control.created();
        ownsFilesFolder = true;
        if (existing.startedAt() == null) {
            // The process that created it stopped before starting it (its files may be incomplete): waiting
            // on a never-started container answers exit code 0 at once, which would pass for a success.
            throw new RunnerException(ErrorCode.START_FAILED, "run " + runId() + " never started: the process"
                    + " that was starting its container stopped first");
        }
        return new Launched(existing.startedAt(), Duration.between(Instant.now(), existing.deadline()), null);
    }

    /** Removes what the run leaves behind, then completes its result. */
    private void complete(Instant startedAt, Instant exitedAt, Integer exitCode, boolean oomKilled, RunError error,
                          Extracted extracted) {
        String id = containerId;
        if (warm != null) {
            warmStart.close();
        } else if (id != null) {
            timed("remove", () -> cleanup.removeContainer(id));
        }
        if (ownsFilesFolder) {
            cleanup.deleteFilesFolder();
        }
        Instant finishedAt = exitedAt != null ? exitedAt : Instant.now();
        RunError failure = error == null ? extracted.error() : error;
        // The log is complete before anyone learns the run has ended.
        logs.closeSink();
        beforeResult.run();
        control.ended();
        result.complete(buildResult(startedAt, finishedAt, exitCode, oomKilled, failure, extracted));
        if (warm != null) {
            // After the result: removing it is nobody's wait. Never reused, whatever the run did to it.
            warm.pools().dispose(warm.container());
        }
    }

    private RunResult buildResult(Instant startedAt, Instant finishedAt, Integer exitCode, boolean oomKilled,
                                  RunError failure, Extracted extracted) {
        OutcomeClassifier.Verdict verdict = OutcomeClassifier.classify(control.ending(), exitCode, oomKilled, failure, spec);
        Duration duration = startedAt == null ? Duration.ZERO : Duration.between(startedAt, finishedAt);
        if (duration.isNegative()) {
            // A re-attached short run: the engine may stamp its start a hair after its finish.
            duration = Duration.ZERO;
        }
        return new RunResult(runId(), verdict.status(), exitCode, control.outcome() == Outcome.TIMED_OUT, oomKilled,
                startedAt, finishedAt, duration, logs.stdout().text(), logs.stderr().text(),
                logs.stdout().truncated(), logs.stderr().truncated(), extracted.entries(), extracted.missing(),
                extracted.skipped(), verdict.error(), timings, warm != null ? StartKind.WARM : StartKind.COLD);
    }

    private void timed(String phase, Runnable step) {
        timed(phase, () -> {
            step.run();
            return null;
        });
    }

    private <T> T timed(String phase, Supplier<T> step) {
        long startedNanos = System.nanoTime();
        try {
            return step.get();
        } finally {
            timings.put(phase, Duration.ofNanos(System.nanoTime() - startedNanos));
        }
    }

    // ---------------------------------------------------------------- control (any thread): see RunControl

    @Override
    public boolean cancel() {
        return control.cancel();
    }

    @Override
    public boolean stop(String signal, Duration grace) {
        return control.stop(signal, grace);
    }

    @Override
    public void pause() {
        control.pause();
    }

    @Override
    public void resume() {
        control.resume();
    }
}
