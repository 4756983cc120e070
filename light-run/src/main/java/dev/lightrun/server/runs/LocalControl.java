package dev.lightrun.server.runs;

import dev.lightrun.runner.Execution;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Cancel, stop, pause and resume of the runs this process has: queued in its own line, being handed to the runner, or
 * executing here. 404 "not running" for anything else. The run service routes a call here, or (with replicas) to the
 * replica executing the run, which carries it out here in turn.
 */
final class LocalControl {
    private static final Logger log = LoggerFactory.getLogger(LocalControl.class);

    private final LiveRuns live;
    private final Function<String, Optional<Admission.Waiting>> withdraw;
    private final Function<String, RunState> stateOf;
    private final Consumer<RunState> complete;

    /**
     * @param withdraw takes a run out of this process's queue (empty when it is not there)
     * @param stateOf  the stored state of a run (404 when unknown)
     * @param complete records a run's end (final state, callback, slot)
     */
    LocalControl(LiveRuns live, Function<String, Optional<Admission.Waiting>> withdraw,
                 Function<String, RunState> stateOf, Consumer<RunState> complete) {
        this.live = live;
        this.withdraw = withdraw;
        this.stateOf = stateOf;
        this.complete = complete;
    }

    /** Kills a running run, or takes a queued one out of line; it ends {@code cancelled}. */
    void cancel(String id) {
        Optional<Admission.Waiting> queued = withdraw.apply(id);
        if (queued.isPresent()) {
            complete.accept(queued.get().state().endedWithoutContainer(RunStatus.CANCELLED,
                    "run was cancelled while queued", RunErrorCode.CANCELLED));
            return;
        }
        if (live.cancelWhileStarting(id)) {
            log.info("run {} - cancel requested while it was starting", id);
            return;
        }
        if (!running(id).cancel()) {
            throw ApiException.notFound("run " + id + " is not running");
        }
    }

    /** Signal, then kill after {@code grace}; the run ends {@code cancelled}. */
    void stop(String id, String signal, Duration grace) {
        if (!running(id).stop(signal, grace)) {
            throw ApiException.notFound("run " + id + " is not running");
        }
    }

    void pause(String id) {
        control(id, Execution::pause);
    }

    void resume(String id) {
        control(id, Execution::resume);
    }

    private void control(String id, Consumer<Execution> action) {
        Execution execution = running(id);
        try {
            action.accept(execution);
        } catch (RunnerException e) {
            throw ApiException.fromRunner(e);
        }
    }

    private Execution running(String id) {
        RunState state = stateOf.apply(id);
        Optional<Execution> execution = live.execution(id).filter(running -> !state.status().isTerminal());
        if (execution.isEmpty() && live.starting(id)) {
            // Recorded running, its container not there yet: "not running" would be false; a retry works in a moment.
            throw ApiException.conflict("run " + id + " is starting; retry in a moment");
        }
        return execution.orElseThrow(() -> ApiException.notFound("run " + id + " is not running"));
    }
}
