package dev.lightrun.server.store;

import dev.lightrun.server.runs.RunState;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** Run states in memory, ordered newest first by their time-ordered ids. Forgets everything on restart. */
public final class InMemoryRunStore implements RunStore {
    private final ConcurrentSkipListMap<String, RunState> runs = new ConcurrentSkipListMap<>(Comparator.reverseOrder());

    @Override
    public void save(RunState state) {
        runs.put(state.id(), state);
    }

    @Override
    public Optional<RunState> find(String id) {
        return Optional.ofNullable(runs.get(id));
    }

    @Override
    public List<RunState> listNewestFirst() {
        return List.copyOf(runs.values());
    }

    @Override
    public boolean delete(String id) {
        return runs.remove(id) != null;
    }
}
