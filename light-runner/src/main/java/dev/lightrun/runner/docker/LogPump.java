package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.LogStream;
import dev.lightrun.runner.RunnerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A run's output: read from the container (attached before start, or replayed for a picked-up run) and fanned out to
 * the tail buffers its result keeps and to the caller's {@link LogSink}. One pump per run; frames arrive on
 * docker-java's callback thread, one stream at a time.
 */
final class LogPump {
    private static final Logger log = LoggerFactory.getLogger(LogPump.class);
    private static final Duration LOG_DRAIN_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);

    private final DockerClient docker;
    private final String runId;
    private final LogSink sink;
    private final TailBuffer stdout;
    private final TailBuffer stderr;
    private volatile boolean sinkFailed;

    LogPump(DockerClient docker, String runId, LogSink sink, long capBytes) {
        this.docker = docker;
        this.runId = runId;
        this.sink = sink;
        this.stdout = new TailBuffer(capBytes);
        this.stderr = new TailBuffer(capBytes);
    }

    TailBuffer stdout() {
        return stdout;
    }

    TailBuffer stderr() {
        return stderr;
    }

    /**
     * Attaches to stdout/stderr before start, as {@code docker run} does: the stream carries every byte and ends only
     * once the container's output is closed. (Following the logs endpoint instead races the end of the run on Engine
     * 20.10 and can lose the last lines.) Only sends the request; {@link Follower#awaitAttached} waits for it to be
     * open.
     */
    Follower beginAttach(String containerId) {
        return attach(docker, containerId, new Follower(this, runId));
    }

    /**
     * Sends the attach request for {@code follower} (see {@link #beginAttach}); a warm pool attaches its containers
     * this way ahead of any run, with a follower that is {@linkplain Follower#bind bound} to a run's pump when a run
     * claims the container.
     */
    static Follower attach(DockerClient docker, String containerId, Follower follower) {
        try {
            docker.attachContainerCmd(containerId).withStdOut(true).withStdErr(true).withFollowStream(true)
                    .exec(follower);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "attaching to " + follower.subject, ErrorCode.START_FAILED);
        }
        return follower;
    }

    /** A follower for a pooled container, bound to no pump yet: what arrives before {@link Follower#bind} is dropped. */
    static Follower unbound(String subject) {
        return new Follower(null, subject);
    }

    /**
     * For a picked-up container: its whole output, read back from the engine's log copy once it has exited (complete
     * then; following it live can lose the last lines on Engine 20.10).
     */
    void replay(String containerId) {
        Follower follower = new Follower(this, runId);
        try {
            docker.logContainerCmd(containerId).withStdOut(true).withStdErr(true).withFollowStream(false).exec(follower);
        } catch (RuntimeException e) {
            log.warn("run {} - could not read back its logs: {}", runId, e.toString());
            return;
        }
        follower.drain();
    }

    /** The log is complete: tells the sink, whose failure costs nothing more. */
    void closeSink() {
        try {
            sink.close();
        } catch (RuntimeException e) {
            log.warn("run {} - closing the log sink failed: {}", runId, e.toString());
        }
    }

    private void accept(LogStream stream, byte[] payload) {
        (stream == LogStream.STDERR ? stderr : stdout).append(payload);
        if (!sinkFailed) {
            try {
                sink.accept(stream, payload);
            } catch (RuntimeException e) {
                sinkFailed = true;
                log.warn("run {} - log sink failed, no more output goes to it: {}", runId, e.toString());
            }
        }
    }

    /** Receives the multiplexed log stream and hands each frame to the pump it is bound to. */
    static final class Follower extends ResultCallback.Adapter<Frame> {
        private volatile LogPump pump;
        /** Whose stream this is, for log lines: "run <id>", or a pooled container until a run claims it. */
        private volatile String subject;

        private Follower(LogPump pump, String runId) {
            this.pump = pump;
            this.subject = pump == null ? runId : "run " + runId;
        }

        /** From now on, frames go to {@code target}: a warm start binds its pooled container's stream before the go. */
        void bind(LogPump target) {
            this.subject = "run " + target.runId;
            this.pump = target;
        }

        @Override
        public void onNext(Frame frame) {
            LogPump target = pump;
            if (target != null) {
                target.accept(frame.getStreamType() == StreamType.STDERR ? LogStream.STDERR : LogStream.STDOUT,
                        frame.getPayload());
            }
        }

        @Override
        public void onError(Throwable throwable) {
            log.debug("{} - log stream ended with {}", subject, throwable.toString());
            super.onError(throwable);
        }

        /** Start must wait until the attach stream is open, or the first output could be lost. */
        void awaitAttached() {
            try {
                if (!awaitStarted(ATTACH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new RunnerException(ErrorCode.START_FAILED, "attaching to " + subject + " took longer than "
                            + ATTACH_TIMEOUT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RunnerException(ErrorCode.START_FAILED, "interrupted while attaching to " + subject, e);
            }
        }

        /** The stream ends on its own right after exit; bounded so a stuck stream cannot hold the result. */
        void drain() {
            try {
                if (!awaitCompletion(LOG_DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("{} - log stream still open {} after exit; closing it", subject, LOG_DRAIN_TIMEOUT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // A broken log stream costs us log lines, not the run's result.
                log.debug("{} - log stream failed: {}", subject, e.toString());
            } finally {
                try {
                    close();
                } catch (IOException ignored) {
                    // closing a finished stream
                }
            }
        }
    }
}
