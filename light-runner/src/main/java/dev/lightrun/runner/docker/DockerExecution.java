package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.ExtractPolicy;
import dev.lightrun.runner.ExtractedEntry;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.NetworkChoice;
import dev.lightrun.runner.RunError;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.SkippedEntry;
import dev.lightrun.runner.docker.RunControl.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * One run on Docker: create -> upload files -> start -> follow logs + wait -> extract -> remove, on its own virtual
 * thread, with the fewest Engine API calls. Control calls (cancel, stop, pause, resume) may come from any thread and go
 * to its {@link RunControl}, where the first of exit, cancel, stop and timeout to claim the run decides its status.
 */
final class DockerExecution implements Execution {
    private static final Logger log = LoggerFactory.getLogger(DockerExecution.class);

    private final DockerClient docker;
    private final RunSpec spec;
    private final DockerRunner.Context context;
    private final RunControl control;
    private final CompletableFuture<RunResult> result = new CompletableFuture<>();
    private final LogPump logs;
    private final Map<String, Duration> timings = new LinkedHashMap<>();
    private volatile String containerId;
    private volatile boolean abandoned;
    private volatile Runnable beforeResult = () -> { };
    /**
     * Whether the run's bind-mounted files folder is this execution's to delete: it made it, or it re-attached to the
     * run that did. A folder that was there already belongs to another run with the same id and is never touched.
     */
    private volatile boolean ownsFilesFolder;
    /** The host folder mounted at the workdir, when this execution mounted one: extraction reads from it directly. */
    private volatile Path bindFolder;
    /** Set when picking up a container an earlier process started; null for a fresh run. */
    private final Existing existing;

    /**
     * A container found by label, with when it started (null if it never started) and when its timeout expires.
     */
    record Existing(String containerId, Instant startedAt, Instant deadline) {
    }

    DockerExecution(DockerClient docker, RunSpec spec, DockerRunner.Context context) {
        this(docker, spec, context, null);
    }

    DockerExecution(DockerClient docker, RunSpec spec, DockerRunner.Context context, Existing existing) {
        this.docker = docker;
        this.spec = spec;
        this.context = context;
        this.existing = existing;
        this.logs = new LogPump(docker, spec.runId(), spec.logSink(), spec.logCapBytes());
        this.control = new RunControl(spec.runId(), spec.timeout(), context.scheduler());
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
    public boolean isPaused() {
        return control.isPaused();
    }

    // ---------------------------------------------------------------- lifecycle (the run's own thread)

    void run() {
        Instant startedAt = null;
        Instant exitedAt = null;
        Integer exitCode = null;
        boolean oomKilled = false;
        RunError error = null;
        ExtractOutcome extracted = ExtractOutcome.NOTHING;
        try {
            LogPump.Follower attached = null;
            Duration timeout = spec.timeout();
            if (existing == null) {
                String image = timed("image", this::resolveImage);
                if (!control.claimable()) {
                    return;
                }
                FilesPlan files = timed("plan", () -> planFiles(image));
                Path hostFiles = files.bind() ? timed("files", () -> context.bindFiles().prepare(spec)) : null;
                ownsFilesFolder = hostFiles != null;
                bindFolder = hostFiles;
                containerId = timed("create", () -> create(image, hostFiles));
                control.created();
                // Attach on its own connection while the files upload: its round trip overlaps the upload's.
                LogPump.Follower attaching = logs.beginAttach(containerId);
                if (files.learnFrom() != null) {
                    context.workdirs().learn(containerId, files.learnFrom(), spec.workdir());
                }
                if (hostFiles == null && FilesTar.needed(spec)) {
                    timed("upload", this::upload);
                }
                connectExtraNetworks();
                if (!control.claimable()) {
                    return;
                }
                timed("attach", attaching::awaitAttached);
                attached = attaching;
                timed("start", this::startContainer);
                startedAt = Instant.now();
            } else {
                containerId = existing.containerId();
                control.created();
                ownsFilesFolder = true;
                if (existing.startedAt() == null) {
                    // The process that created it stopped before starting it (its files may be incomplete): waiting
                    // on a never-started container answers exit code 0 at once, which would pass for a success.
                    throw new RunnerException(ErrorCode.START_FAILED, "run " + runId() + " never started: the process"
                            + " that was starting its container stopped first");
                }
                startedAt = existing.startedAt();
                timeout = Duration.between(Instant.now(), existing.deadline());
            }
            RunningContainer container = new RunningContainer(docker, runId(), containerId);
            control.started(container, timeout);
            long waitStarted = System.nanoTime();
            exitCode = container.awaitExit();
            exitedAt = Instant.now();
            timings.put("run", Duration.ofNanos(System.nanoTime() - waitStarted));
            control.exited();
            if (attached != null) {
                attached.drain();
            } else {
                logs.replay(containerId);
            }
            if (existing != null) {
                // It may have exited long before we looked: the engine knows when, and whether memory killed it.
                InspectContainerResponse.ContainerState state = container.inspectState();
                Instant finished = state == null ? null : DockerRunner.parseInstant(state.getFinishedAt());
                if (finished != null) {
                    exitedAt = finished;
                }
                oomKilled = state != null && Boolean.TRUE.equals(state.getOOMKilled())
                        && control.outcome() == Outcome.EXITED;
            } else {
                // 137 is SIGKILL: only then can it have been the OOM killer, so only then pay for an inspect.
                oomKilled = exitCode == 137 && control.outcome() == Outcome.EXITED && container.wasOomKilled();
            }
            if (shouldExtract(exitCode)) {
                extracted = timed("extract", this::extract);
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
                remove();
                if (ownsFilesFolder) {
                    context.bindFiles().delete(runId());
                }
                Instant finishedAt = exitedAt != null ? exitedAt : Instant.now();
                if (error == null && extracted.error != null) {
                    error = extracted.error;
                }
                // The log is complete before anyone learns the run has ended.
                logs.closeSink();
                beforeResult.run();
                control.ended();
                result.complete(buildResult(startedAt, finishedAt, exitCode, oomKilled, error, extracted));
            }
        }
    }

    private String resolveImage() {
        if (spec.buildSteps().isEmpty()) {
            return spec.image();
        }
        return context.images().imageWithSteps(spec.image(), spec.buildSteps(), spec.buildTimeout());
    }

    /**
     * How this run's files go in: bind-mounted when the runner may, the run suits it and its image is known to leave
     * the workdir free; otherwise uploaded, and, when the image has not been looked at yet, looked at once (by image
     * id) so that its next runs can be bind-mounted.
     */
    private FilesPlan planFiles(String image) {
        if (!context.bindFiles().suits(spec)) {
            return FilesPlan.UPLOAD;
        }
        String imageId = context.workdirs().imageId(image);
        if (imageId == null) {
            return FilesPlan.UPLOAD; // not pulled yet: its first run uploads
        }
        Boolean free = context.workdirs().isFree(imageId, spec.workdir());
        if (free == null) {
            return new FilesPlan(false, imageId);
        }
        return free ? FilesPlan.BIND : FilesPlan.UPLOAD;
    }

    /** {@code bind}: files by bind mount; {@code learnFrom}: the image id whose workdir to look at after create. */
    private record FilesPlan(boolean bind, String learnFrom) {
        static final FilesPlan UPLOAD = new FilesPlan(false, null);
        static final FilesPlan BIND = new FilesPlan(true, null);
    }

    private String create(String image, Path hostFiles) {
        String network = primaryNetwork();
        try {
            return ContainerSettings.createCommand(docker, spec, image, network, context.instance(), hostFiles).exec().getId();
        } catch (NotFoundException e) {
            String message = DockerErrors.daemonMessage(e);
            if (message.contains("network")) {
                if (spec.network() == NetworkChoice.isolated()) {
                    // Our default network was removed behind our back: create it again, once.
                    context.networks().defaultMissing();
                    return ContainerSettings.createCommand(docker, spec, image, primaryNetwork(), context.instance(), hostFiles)
                            .exec().getId();
                }
                throw new RunnerException(ErrorCode.START_FAILED, "network " + network + " does not exist; create it first", e);
            }
            context.images().pull(image);
            return ContainerSettings.createCommand(docker, spec, image, network, context.instance(), hostFiles).exec().getId();
        } catch (ConflictException e) {
            throw new RunnerException(ErrorCode.START_FAILED, "a container for run " + runId() + " already exists", e);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "creating the container of run " + runId(), ErrorCode.START_FAILED);
        }
    }

    private String primaryNetwork() {
        return switch (spec.network()) {
            case NetworkChoice.None none -> "none";
            case NetworkChoice.Isolated isolated -> context.networks().ensureDefault();
            case NetworkChoice.Named named -> named.primary();
        };
    }

    private Void upload() {
        try (InputStream tar = FilesTar.open(spec)) {
            docker.copyArchiveToContainerCmd(containerId).withRemotePath(FilesTar.uploadTarget(spec)).withTarInputStream(tar).exec();
        } catch (IOException e) {
            throw new RunnerException(ErrorCode.START_FAILED, "streaming the files of run " + runId() + " failed", e);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "uploading the files of run " + runId(), ErrorCode.START_FAILED);
        }
        return null;
    }

    private Void startContainer() {
        try {
            docker.startContainerCmd(containerId).exec();
        } catch (NotFoundException e) {
            // The container was just created, so what is missing is something it needs, e.g. its network.
            throw new RunnerException(ErrorCode.START_FAILED, "starting run " + runId() + " failed: "
                    + DockerErrors.daemonMessage(e), e);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "starting run " + runId(), ErrorCode.START_FAILED);
        }
        return null;
    }

    private void connectExtraNetworks() {
        if (spec.network() instanceof NetworkChoice.Named named) {
            for (String network : named.names().subList(1, named.names().size())) {
                try {
                    docker.connectToNetworkCmd().withContainerId(containerId).withNetworkId(network).exec();
                } catch (NotFoundException e) {
                    throw new RunnerException(ErrorCode.START_FAILED, "network " + network + " does not exist; create it first", e);
                } catch (RuntimeException e) {
                    throw DockerErrors.translate(e, "connecting run " + runId() + " to network " + network, ErrorCode.START_FAILED);
                }
            }
        }
    }

    private boolean shouldExtract(int exitCode) {
        Extraction extraction = spec.extraction();
        if (extraction == null || extraction.paths().isEmpty()) {
            return false;
        }
        return extraction.policy() == ExtractPolicy.ALWAYS || (exitCode == 0 && control.outcome() == Outcome.EXITED);
    }

    private ExtractOutcome extract() {
        Extraction extraction = spec.extraction();
        ArchiveExtractor extractor = new ArchiveExtractor(extraction.destination(), extraction.maxEntryBytes(),
                extraction.maxTotalBytes());
        List<String> missing = new ArrayList<>();
        try {
            for (String path : extraction.paths()) {
                Local local = bindFolder == null ? Local.NOT_LOCAL : local(path);
                if (local.missing()) {
                    missing.add(path);
                    continue;
                }
                if (local.source() != null) {
                    extractor.copyTree(local.source(), lastName(path));
                    continue;
                }
                try (InputStream tar = docker.copyArchiveFromContainerCmd(containerId, path).exec()) {
                    extractor.extract(tar);
                } catch (NotFoundException e) {
                    missing.add(path);
                }
            }
        } catch (RunnerException e) {
            deleteExtracted(extraction);
            return new ExtractOutcome(List.of(), missing, extractor.skipped(), e.toRunError());
        } catch (IOException e) {
            deleteExtracted(extraction);
            return new ExtractOutcome(List.of(), missing, extractor.skipped(),
                    new RunError(ErrorCode.EXTRACTION_REFUSED, "extracting the files of run " + runId() + " failed: " + e));
        } catch (RuntimeException e) {
            deleteExtracted(extraction);
            throw DockerErrors.translate(e, "extracting the files of run " + runId(), ErrorCode.DOCKER_ERROR);
        }
        return new ExtractOutcome(extractor.entries(), missing, extractor.skipped(), null);
    }

    /** Where a path to extract is on the host: {@code source} set, missing, or not known here (ask the Engine). */
    private record Local(Path source, boolean missing) {
        static final Local NOT_LOCAL = new Local(null, false);
        static final Local MISSING = new Local(null, true);
    }

    /**
     * A path at or under the workdir lies in the bind-mounted folder, which the container (exited: none of its
     * processes is left) can no longer change, so it is read from the host, sparing the Engine's archive round trip.
     * Every folder on the way must be a real folder, not a link: anything else is left to the Engine, whose
     * answer is the reference.
     */
    private Local local(String path) {
        String workdir = spec.workdir();
        // A trailing slash asks for a folder: the Engine follows a link named so, hence the last name must then be a
        // real folder too, like every one on the way.
        boolean folderWanted = path.endsWith("/");
        String trimmed = folderWanted ? path.substring(0, path.length() - 1) : path;
        String relative;
        if (trimmed.equals(workdir)) {
            relative = "";
        } else if (trimmed.startsWith(workdir + "/")) {
            relative = trimmed.substring(workdir.length() + 1);
        } else {
            return Local.NOT_LOCAL;
        }
        Path current = bindFolder;
        String[] segments = relative.isEmpty() ? new String[0] : relative.split("/");
        for (int i = 0; i < segments.length; i++) {
            current = current.resolve(segments[i]);
            boolean last = i == segments.length - 1 && !folderWanted;
            if (!Files.exists(current, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return Files.isDirectory(current.getParent(), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        ? Local.MISSING : Local.NOT_LOCAL;
            }
            if (!last && !Files.isDirectory(current, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return Local.NOT_LOCAL;
            }
        }
        return new Local(current, false);
    }

    /**
     * The name a path is extracted under, as the Engine's archive names it: its last name, a trailing slash ignored
     * ({@code /app/out/} is {@code out}, never the destination itself).
     */
    static String lastName(String path) {
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }

    /** A refused extraction leaves nothing half-written behind: every top-level name we write is ours to delete. */
    private void deleteExtracted(Extraction extraction) {
        for (String path : extraction.paths()) {
            Path target = extraction.destination().resolve(lastName(path));
            if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> tree = Files.walk(target)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                log.warn("run {} - could not delete partial extraction {}: {}", runId(), target, e.toString());
            }
        }
    }

    private void remove() {
        String id = containerId;
        if (id == null) {
            return;
        }
        long startedNanos = System.nanoTime();
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException alreadyGone) {
            // Someone else removed it: the outcome is the same.
        } catch (RuntimeException e) {
            // Left for reapOrphans; the container carries our labels.
            log.warn("run {} - could not remove container {}: {}", runId(), id, e.getMessage());
        }
        timings.put("remove", Duration.ofNanos(System.nanoTime() - startedNanos));
    }

    private RunResult buildResult(Instant startedAt, Instant finishedAt, Integer exitCode, boolean oomKilled,
                                  RunError failure, ExtractOutcome extracted) {
        OutcomeClassifier.Verdict verdict = OutcomeClassifier.classify(control.ending(), exitCode, oomKilled, failure, spec);
        Duration duration = startedAt == null ? Duration.ZERO : Duration.between(startedAt, finishedAt);
        if (duration.isNegative()) {
            // A re-attached short run: the engine may stamp its start a hair after its finish.
            duration = Duration.ZERO;
        }
        return new RunResult(runId(), verdict.status(), exitCode, control.outcome() == Outcome.TIMED_OUT, oomKilled,
                startedAt, finishedAt, duration, logs.stdout().text(), logs.stderr().text(),
                logs.stdout().truncated(), logs.stderr().truncated(), extracted.entries, extracted.missing,
                extracted.skipped, verdict.error(), timings);
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

    /** What extraction produced; {@code error} set when it was refused. */
    private record ExtractOutcome(List<ExtractedEntry> entries, List<String> missing, List<SkippedEntry> skipped,
                                  RunError error) {
        static final ExtractOutcome NOTHING = new ExtractOutcome(List.of(), List.of(), List.of(), null);
    }
}
