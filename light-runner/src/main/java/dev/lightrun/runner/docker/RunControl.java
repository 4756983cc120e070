package dev.lightrun.runner.docker;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.RunnerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Who ends a run, and pause/resume until then. Cancel, stop, timeout and the container's own exit each try to claim the
 * run's {@link Ending} by one compare-and-set from {@link Ending#OPEN}: the first wins and decides the final status,
 * the others are refused. Control calls may come from any thread; the run's own thread reports {@link #created},
 * {@link #started}, {@link #exited}, {@link #finishing} and {@link #ended}. Needs no Docker: it acts on the container
 * through {@link Container}, which it is handed once the container runs.
 */
final class RunControl {
    private static final Logger log = LoggerFactory.getLogger(RunControl.class);
    /** As long as the attach before start may take: a pause waits no longer for the start to settle. */
    private static final Duration START_SETTLE_TIMEOUT = Duration.ofSeconds(30);

    /** Who ended the run. */
    enum Outcome { NONE, EXITED, CANCELLED, TIMED_OUT, STOPPED }

    /**
     * Who ended the run and, for a stop, its signal and grace in words ("SIGTERM, grace 5 s"). The description is part
     * of the claim, so a refused stop cannot rewrite the one that won.
     */
    record Ending(Outcome outcome, String stopDescription) {
        /** Not ended yet: the one instance every claim compares against. */
        static final Ending OPEN = new Ending(Outcome.NONE, null);
        static final Ending EXITED = new Ending(Outcome.EXITED, null);
        static final Ending CANCELLED = new Ending(Outcome.CANCELLED, null);
        static final Ending TIMED_OUT = new Ending(Outcome.TIMED_OUT, null);

        static Ending stopped(String description) {
            return new Ending(Outcome.STOPPED, description);
        }
    }

    /** The running container as the control acts on it (on Docker, {@link RunningContainer}). */
    interface Container {
        /** Sends {@code signal}; false when it did not arrive (the container exited or is gone). Never throws. */
        boolean signal(String signal);

        /** @throws RunnerException when the engine refuses */
        void pause();

        /** @throws RunnerException when the engine refuses */
        void unpause();
    }

    private final String runId;
    private final Duration timeout;
    private final ScheduledExecutorService scheduler;
    private final AtomicReference<Ending> ending = new AtomicReference<>(Ending.OPEN);
    private final ReentrantLock controlLock = new ReentrantLock();
    /** Counted down once the start has settled (started, or the run ended before): pause waits for it. */
    private final CountDownLatch startSettled = new CountDownLatch(1);
    /** Set once the container runs; null before (and for a run that never started). */
    private volatile Container container;
    private volatile boolean created;
    private volatile boolean ended;
    private volatile boolean paused;
    private volatile String stopSignal;
    private volatile boolean stopSignalSent;
    private volatile boolean graceExpired;
    private volatile boolean graceKillSent;
    private volatile ScheduledFuture<?> timeoutTask;

    /**
     * @param timeout   the run's timeout, as its messages quote it
     * @param scheduler runs the timeout and a stop's grace; the work itself goes to a virtual thread
     */
    RunControl(String runId, Duration timeout, ScheduledExecutorService scheduler) {
        this.runId = runId;
        this.timeout = timeout;
        this.scheduler = scheduler;
    }

    Ending ending() {
        return ending.get();
    }

    Outcome outcome() {
        return ending.get().outcome();
    }

    /** False (and the run ends without a container) when a cancel or stop came before start. */
    boolean claimable() {
        return outcome() == Outcome.NONE;
    }

    boolean isPaused() {
        return paused;
    }

    // ---------------------------------------------------------------- from the run's own thread

    /** The container exists: from now on a pause waits for its start to settle instead of being refused. */
    void created() {
        created = true;
    }

    /**
     * The container runs; it times out after {@code timeLeft}. A cancel, stop or timeout that came while it was
     * starting is carried out now.
     */
    void started(Container running, Duration timeLeft) {
        container = running;
        startSettled.countDown();
        Outcome early = outcome();
        if (early == Outcome.STOPPED) {
            // A stop arrived while we were starting (the workload may already be running and printing): its signal
            // may have been skipped, so send it now, and the kill too if its grace has already run out.
            sendStopSignal();
            killAfterGrace();
        } else if (early != Outcome.NONE) {
            // A cancel or timeout arrived while we were starting; its kill may have missed a not-yet-running container.
            kill("KILL");
        }
        timeoutTask = scheduler.schedule(
                () -> Thread.ofVirtual().name("timeout-" + runId).start(this::onTimeout),
                Math.max(0, timeLeft.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** The container exited: the run ended by itself unless something else claimed it first. */
    void exited() {
        paused = false; // an exited container is not paused, however it was ended (the daemon thaws what it kills)
        disarmTimeout();
        ending.compareAndSet(Ending.OPEN, Ending.EXITED);
    }

    /** The run's thread is done with the container, however it went: nothing waits for a start or a timeout now. */
    void finishing() {
        startSettled.countDown();
        disarmTimeout();
    }

    /** The result is about to complete: control calls find the run ended from now on. */
    void ended() {
        ended = true;
    }

    private void disarmTimeout() {
        ScheduledFuture<?> task = timeoutTask;
        if (task != null) {
            task.cancel(false);
        }
    }

    // ---------------------------------------------------------------- control (any thread)

    boolean cancel() {
        if (!ending.compareAndSet(Ending.OPEN, Ending.CANCELLED)) {
            return false;
        }
        log.info("run {} - cancel requested", runId);
        kill("KILL");
        return true;
    }

    boolean stop(String signal, Duration grace) {
        String sig = signal == null || signal.isBlank() ? "SIGTERM" : signal.trim().toUpperCase();
        if (!sig.matches("(SIG)?[A-Z0-9+-]+")) {
            throw new RunnerException(ErrorCode.INVALID_REQUEST, "signal must be a signal name like SIGTERM, was " + signal);
        }
        if (grace == null || grace.isNegative()) {
            throw new RunnerException(ErrorCode.INVALID_REQUEST, "grace must be zero or positive");
        }
        Ending stop = Ending.stopped(sig + ", grace " + describe(grace));
        if (!ending.compareAndSet(Ending.OPEN, stop)) {
            return false;
        }
        log.info("run {} - stop requested ({})", runId, stop.stopDescription());
        stopSignal = sig;
        sendStopSignal();
        scheduler.schedule(() -> Thread.ofVirtual().name("stop-kill-" + runId).start(() -> {
            if (!ended) {
                graceExpired = true;
                killAfterGrace();
            }
        }), grace.toMillis(), TimeUnit.MILLISECONDS);
        return true;
    }

    /**
     * Sends the stop's signal once, as soon as both the stop and the start have happened, whichever came last: the
     * lock orders this thread's call against the run thread's, so one of them sees both.
     */
    private void sendStopSignal() {
        controlLock.lock();
        try {
            if (container != null && stopSignal != null && !stopSignalSent) {
                stopSignalSent = true;
                kill(stopSignal);
            }
        } finally {
            controlLock.unlock();
        }
    }

    /**
     * The stop's kill, once its grace has run out and its signal was sent, whichever of the grace timer and the start
     * comes last: under the lock, so one of them sees both, and the kill goes once, after the signal.
     */
    private void killAfterGrace() {
        controlLock.lock();
        try {
            if (graceExpired && stopSignalSent && !graceKillSent) {
                graceKillSent = true;
                kill("KILL");
            }
        } finally {
            controlLock.unlock();
        }
    }

    private void onTimeout() {
        if (ending.compareAndSet(Ending.OPEN, Ending.TIMED_OUT)) {
            log.info("run {} - timed out after {}", runId, describe(timeout));
            kill("KILL");
        }
    }

    /** Sends a signal if the container runs; one that has not started yet gets it from {@link #started}. */
    private void kill(String signal) {
        Container target = container;
        if (target == null) {
            return;
        }
        controlLock.lock();
        try {
            if (target.signal(signal) && paused && (signal.equals("KILL") || signal.equals("SIGKILL"))) {
                // A frozen process cannot die until thawed. The daemon (moby killWithSignal) thaws a paused container
                // it signals itself, so our unpause usually finds it thawed already: that is no failure.
                paused = false;
                try {
                    target.unpause();
                } catch (RuntimeException alreadyThawed) {
                    log.debug("run {} - unpause after kill: {}", runId, alreadyThawed.getMessage());
                }
            }
        } finally {
            controlLock.unlock();
        }
    }

    void pause() {
        awaitStartSettled();
        controlLock.lock();
        try {
            requireRunning("pause");
            if (paused) {
                throw new RunnerException(ErrorCode.CONFLICT, "run " + runId + " is already paused");
            }
            container.pause();
            paused = true;
            log.info("run {} - paused", runId);
        } finally {
            controlLock.unlock();
        }
    }

    void resume() {
        controlLock.lock();
        try {
            requireRunning("resume");
            if (!paused) {
                throw new RunnerException(ErrorCode.CONFLICT, "run " + runId + " is not paused");
            }
            container.unpause();
            paused = false;
            log.info("run {} - resumed", runId);
        } finally {
            controlLock.unlock();
        }
    }

    /**
     * The workload can run, and print, while the start call has not returned yet; a pause asked for on seeing its
     * output must not be refused as "not started". So once the container exists, wait for its start to settle.
     */
    private void awaitStartSettled() {
        if (container == null && created && !ended) {
            try {
                startSettled.await(START_SETTLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void requireRunning(String action) {
        if (ended || outcome() != Outcome.NONE) {
            throw new RunnerException(ErrorCode.CONFLICT, "cannot " + action + " run " + runId + ": it has ended");
        }
        if (container == null) {
            throw new RunnerException(ErrorCode.CONFLICT, "cannot " + action + " run " + runId + ": it has not started yet");
        }
    }

    /** A duration as messages quote it: whole seconds as "5 s", anything finer in milliseconds. */
    static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
