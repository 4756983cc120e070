package dev.lightrun.server.runs;

import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.RunState;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What happens to runs, as the {@link RunService} reports it: for metrics, traces and log correlation, which it knows
 * nothing of. Every method has a no-op default, so a listener implements only what it needs.
 *
 * <p>Called synchronously on the thread doing the work ({@link #accepted} on the request's thread, inside
 * {@code submit}), so a listener must be quick, must not block and must not throw; it may be called concurrently for
 * different runs.
 */
public interface RunEvents {
    /** Listens to nothing. */
    RunEvents NONE = new RunEvents() {
    };

    /** A run was recorded: {@code run} is {@code running} when it got a slot at once, else {@code queued}. */
    default void accepted(RunState run) {
    }

    /** An accepted run waits for a slot (follows {@link #accepted}). */
    default void queued(RunState run) {
    }

    /** A run got a slot and is being launched; {@code queueWait} is zero for one that never queued. */
    default void started(RunState run, Duration queueWait) {
    }

    /** A run recorded as running by an earlier process was re-attached to its container at start-up. */
    default void reattached(RunState run) {
    }

    /**
     * A submission was refused before anything was recorded: queue full, a tenant's quota, or policy (image or build
     * not allowed). {@code refusal} is what the caller gets.
     */
    default void rejected(Caller caller, ApiException refusal) {
    }

    /** A run reached its final state (its {@code timings} say how long each phase took). */
    default void finished(RunState run) {
    }

    /** A finished run's files (and state) were removed to keep artifacts under the cap. */
    default void evicted(String runId) {
    }

    /**
     * The W3C {@code traceparent} of the work going on in the calling thread (the {@code POST /run} request's span),
     * or null: stored with a run another replica may start, to parent its span there.
     */
    default String traceparent() {
        return null;
    }

    /** {@link #accepted(RunState)} of a run submitted elsewhere, whose submitting request had {@code traceparent}. */
    default void accepted(RunState run, String traceparent) {
        accepted(run);
    }

    /** Every listener of {@code listeners}, in order. */
    static RunEvents all(List<RunEvents> listeners) {
        List<RunEvents> copy = List.copyOf(listeners);
        return new RunEvents() {
            @Override
            public void accepted(RunState run) {
                copy.forEach(l -> l.accepted(run));
            }

            @Override
            public void accepted(RunState run, String traceparent) {
                copy.forEach(l -> l.accepted(run, traceparent));
            }

            @Override
            public String traceparent() {
                return copy.stream().map(RunEvents::traceparent).filter(Objects::nonNull).findFirst().orElse(null);
            }

            @Override
            public void queued(RunState run) {
                copy.forEach(l -> l.queued(run));
            }

            @Override
            public void started(RunState run, Duration queueWait) {
                copy.forEach(l -> l.started(run, queueWait));
            }

            @Override
            public void reattached(RunState run) {
                copy.forEach(l -> l.reattached(run));
            }

            @Override
            public void rejected(Caller caller, ApiException refusal) {
                copy.forEach(l -> l.rejected(caller, refusal));
            }

            @Override
            public void finished(RunState run) {
                copy.forEach(l -> l.finished(run));
            }

            @Override
            public void evicted(String runId) {
                copy.forEach(l -> l.evicted(runId));
            }
        };
    }
}
