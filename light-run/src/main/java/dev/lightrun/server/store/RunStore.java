package dev.lightrun.server.store;

import dev.lightrun.server.runs.RunState;

import java.util.List;
import java.util.Optional;

/**
 * Where run states live. Hides storage so another database can take the place of this one (SQLite next, PostgreSQL
 * when several servers share runs). Implementations are thread-safe; every write is complete when the call returns.
 */
public interface RunStore extends AutoCloseable {

    /** Inserts or replaces the state of {@code state.id()}. */
    void save(RunState state);

    Optional<RunState> find(String id);

    /** Newest first (run ids are time-ordered). */
    List<RunState> listNewestFirst();

    /** Removes the run; true when it existed. */
    boolean delete(String id);

    @Override
    default void close() {
    }
}
