package dev.lightrun.server.fakes;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.store.Cluster;
import dev.lightrun.server.store.RunStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A {@link Cluster} in memory, for unit tests of one replica without PostgreSQL. It plays the database the replicas
 * share and the other replicas: the queue (first in, first out, an owner at its {@code maxConcurrent} skipped; the
 * limits count every waiting run, free slots aside), which replica holds each run, heartbeat rows, command rows. A
 * test acts as another replica with {@link #claimFor}, {@link #replicaRow} and {@link #answerCommands}.
 *
 * <p>Runs' rows live in the {@link RunStore} it is given, as the real one's live in the store's database: enqueue and
 * claim write them there. {@link #store()} is that store as a replica sees it: each run with the replica holding it
 * (SQLite has no such column) and recovery limited to its own rows. Signals reach every listener at once, on the
 * sender's thread. Every call that changes something is recorded ({@link #calls()}); an empty claim is not (the claimer
 * polls). Thread-safe.
 */
public final class FakeCluster implements Cluster {
    private final String replica;
    private final RunStore rows;
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> signals = new CopyOnWriteArrayList<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private final List<Throwable> listenerFailures = new CopyOnWriteArrayList<>();
    private final List<Member> heartbeats = new CopyOnWriteArrayList<>();
    private final List<Sent> sent = new CopyOnWriteArrayList<>();
    private final AtomicReference<RuntimeException> claimFailure = new AtomicReference<>();
    private volatile Function<Command, CommandOutcome> otherReplicas;

    // Guarded by this: the "database".
    private final Map<String, Waiting> queue = new LinkedHashMap<>();
    /** Run id to the replica executing it, or that took it out of line. */
    private final Map<String, String> holders = new HashMap<>();
    /** Claims not launched yet, with what they were claimed with. */
    private final Map<String, Waiting> unlaunched = new HashMap<>();
    private final Map<String, Replica> replicaRows = new TreeMap<>();
    private final Map<Long, Sent> commands = new TreeMap<>();
    private final Map<Long, CommandOutcome> outcomes = new HashMap<>();
    private long lastCommand;

    /** A command row: the replica it is for, and the command. */
    public record Sent(String replica, Command command) {
    }

    private record Waiting(RunState state, byte[] request) {
    }

    /**
     * @param replica the replica this test's service is
     * @param rows    where runs' rows live (the store the service's {@link #store()} reads)
     */
    public FakeCluster(String replica, RunStore rows) {
        this.replica = replica;
        this.rows = rows;
    }

    // ---------------------------------------------------------------- driving the fake

    /** The run store as this replica sees it on the shared database: give it to the service. */
    public RunStore store() {
        return new SharedRows();
    }

    /** Another replica claims the next run (no owner capped), as {@link #claim} does for this one. */
    public Optional<Claimed> claimFor(String other) {
        return claimAs(other, owner -> null);
    }

    /** A heartbeat row for another replica, alive or silent; its address is {@code http://<name>:3000}. */
    public void replicaRow(String name, boolean alive) {
        Instant now = Instant.now();
        synchronized (this) {
            replicaRows.put(name, new Replica(name, "host-of-" + name, "http://" + name + ":3000", 1, 0, now, now,
                    alive));
        }
    }

    /** How the other replicas answer the commands sent to them (null outcome fields: carried out). Unset: never. */
    public void answerCommands(Function<Command, CommandOutcome> answer) {
        otherReplicas = answer;
    }

    /** The next {@link #claim} throws {@code failure} (once). */
    public void failNextClaim(RuntimeException failure) {
        claimFailure.set(failure);
    }

    /** What was called, in order: "enqueue &lt;id&gt; maxQueue=.. ownerMaxQueued=..", "claim &lt;id&gt;", ... */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    /** Every payload signalled, in order. */
    public List<String> signals() {
        return List.copyOf(signals);
    }

    /** Every heartbeat this replica wrote. */
    public List<Member> heartbeats() {
        return List.copyOf(heartbeats);
    }

    /** Every command sent, to any replica, in order. */
    public List<Sent> sent() {
        return List.copyOf(sent);
    }

    /** What a listener threw when given a signal (the real cluster logs it and goes on). */
    public List<Throwable> listenerFailures() {
        return List.copyOf(listenerFailures);
    }

    // ---------------------------------------------------------------- the queue

    @Override
    public String replica() {
        return replica;
    }

    @Override
    public Enqueued enqueue(RunState queued, RunPlan plan, byte[] request, int maxQueue, Integer ownerMaxQueued) {
        calls.add("enqueue " + queued.id() + " maxQueue=" + maxQueue + " ownerMaxQueued=" + ownerMaxQueued);
        synchronized (this) {
            long ownerWaiting = queue.values().stream()
                    .filter(waiting -> Objects.equals(waiting.state().owner(), queued.owner())).count();
            if (ownerMaxQueued != null && ownerWaiting >= ownerMaxQueued) {
                return Enqueued.OWNER_QUEUE_FULL;
            }
            if (queue.size() >= maxQueue) {
                return Enqueued.QUEUE_FULL;
            }
            rows.create(queued, plan, request);
            queue.put(queued.id(), new Waiting(queued, request));
        }
        signal(Signal.QUEUED);
        return Enqueued.QUEUED;
    }

    @Override
    public Optional<Claimed> claim(Function<String, Integer> maxConcurrentOf) {
        RuntimeException failure = claimFailure.getAndSet(null);
        if (failure != null) {
            calls.add("claim failed");
            throw failure;
        }
        return claimAs(replica, maxConcurrentOf);
    }

    private Optional<Claimed> claimAs(String claimer, Function<String, Integer> maxConcurrentOf) {
        Claimed claimed;
        synchronized (this) {
            Waiting next = queue.values().stream().filter(waiting -> belowCap(waiting.state().owner(), maxConcurrentOf))
                    .findFirst().orElse(null);
            if (next == null) {
                return Optional.empty();
            }
            String id = next.state().id();
            queue.remove(id);
            RunState running = next.state().startedNow().withReplica(claimer);
            rows.update(running);
            holders.put(id, claimer);
            unlaunched.put(id, next);
            claimed = new Claimed(running, next.request());
        }
        calls.add("claim " + claimed.running().id() + (claimer.equals(replica) ? "" : " for " + claimer));
        return Optional.of(claimed);
    }

    /** Whether an owner runs fewer than its cap, on any replica; under this. */
    private boolean belowCap(String owner, Function<String, Integer> maxConcurrentOf) {
        Integer cap = owner == null ? null : maxConcurrentOf.apply(owner);
        return cap == null || holders.keySet().stream().map(this::runningRow).flatMap(Optional::stream)
                .filter(running -> owner.equals(running.owner())).count() < cap;
    }

    /** The run's row while it is recorded running (as the database counts: until its final state is stored). */
    private Optional<RunState> runningRow(String id) {
        return rows.find(id).filter(state -> state.status() == RunStatus.RUNNING);
    }

    @Override
    public boolean launched(String id) {
        calls.add("launched " + id);
        synchronized (this) {
            unlaunched.remove(id);
            // Still this replica's unless it went back to the queue (and maybe to another replica) meanwhile.
            return !queue.containsKey(id) && (!holders.containsKey(id) || replica().equals(holders.get(id)));
        }
    }

    @Override
    public Optional<RunState> withdraw(String id) {
        calls.add("withdraw " + id);
        synchronized (this) {
            Waiting waiting = queue.remove(id);
            if (waiting == null) {
                return Optional.empty();
            }
            holders.put(id, replica);
            return Optional.of(waiting.state().withReplica(replica));
        }
    }

    @Override
    public synchronized int queueLength() {
        return queue.size();
    }

    @Override
    public boolean requeueIfUnlaunched(String id) {
        calls.add("requeueIfUnlaunched " + id);
        boolean back;
        synchronized (this) {
            back = replica.equals(holders.get(id)) && requeue(id);
        }
        if (back) {
            signal(Signal.QUEUED);
        }
        return back;
    }

    /** Puts an unlaunched claim back in line; under this. */
    private boolean requeue(String id) {
        Waiting claimed = unlaunched.remove(id);
        if (claimed == null || runningRow(id).isEmpty()) {
            return false;
        }
        RunState back = claimed.state().requeued();
        rows.update(back);
        holders.remove(id);
        queue.put(id, new Waiting(back, claimed.request()));
        return true;
    }

    /** The fake has no clock: no replica is ever silent here. */
    @Override
    public int releaseSilentClaims(Duration silence) {
        return 0;
    }

    // ---------------------------------------------------------------- replicas

    @Override
    public void heartbeat(Member me) {
        heartbeats.add(me);
        synchronized (this) {
            replicaRows.put(me.name(), new Replica(me.name(), me.host(), me.url(), me.slots(), 0,
                    me.startedAt(), Instant.now(), true));
        }
    }

    @Override
    public synchronized List<Replica> replicas(Duration silence) {
        List<Replica> list = new ArrayList<>();
        for (Replica row : replicaRows.values()) {
            int running = (int) holders.entrySet().stream().filter(held -> held.getValue().equals(row.name()))
                    .filter(held -> runningRow(held.getKey()).isPresent()).count();
            list.add(new Replica(row.name(), row.host(), row.url(), row.slots(), running, row.startedAt(),
                    row.heartbeatAt(), row.alive()));
        }
        return list;
    }

    @Override
    public Adopted adoptRunsOf(String name) {
        calls.add("adoptRunsOf " + name);
        List<RunState> adopted = new ArrayList<>();
        List<String> callbacks = new ArrayList<>();
        boolean requeued = false;
        synchronized (this) {
            for (String id : List.copyOf(holders.keySet())) {
                if (name.equals(holders.get(id))) {
                    requeued |= requeue(id);
                }
            }
            Set<String> pending = new HashSet<>();
            rows.pendingCallbacks().forEach(callback -> pending.add(callback.runId()));
            for (Map.Entry<String, String> held : holders.entrySet()) {
                if (!held.getValue().equals(name)) {
                    continue;
                }
                Optional<RunState> running = runningRow(held.getKey());
                if (running.isPresent()) {
                    adopted.add(running.get().withReplica(replica));
                } else if (pending.contains(held.getKey())) {
                    callbacks.add(held.getKey());
                } else {
                    continue;
                }
                held.setValue(replica);
            }
        }
        if (requeued) {
            signal(Signal.QUEUED);
        }
        return new Adopted(adopted, callbacks);
    }

    @Override
    public boolean remove(String name) {
        calls.add("remove " + name);
        synchronized (this) {
            return replicaRows.remove(name) != null;
        }
    }

    @Override
    public synchronized Optional<String> urlOf(String name) {
        return Optional.ofNullable(replicaRows.get(name)).map(Replica::url);
    }

    @Override
    public synchronized Optional<String> replicaOf(String runId) {
        return Optional.ofNullable(holders.get(runId));
    }

    // ---------------------------------------------------------------- commands

    @Override
    public long sendCommand(String target, String runId, Command.Action action, String signal, Long graceMs) {
        calls.add("sendCommand " + target + " " + action + " " + runId);
        Command command;
        synchronized (this) {
            command = new Command(++lastCommand, runId, action, signal, graceMs);
            commands.put(command.id(), new Sent(target, command));
        }
        sent.add(new Sent(target, command));
        signal(Signal.command(target));
        Function<Command, CommandOutcome> answer = otherReplicas;
        if (!target.equals(replica) && answer != null) {
            CommandOutcome outcome = answer.apply(command);
            commandDone(command.id(), outcome.errorStatus(), outcome.errorCode(), outcome.errorMessage());
        }
        return command.id();
    }

    @Override
    public synchronized List<Command> pendingCommands() {
        return commands.values().stream().filter(row -> row.replica().equals(replica))
                .map(Sent::command).filter(command -> !outcomes.containsKey(command.id())).toList();
    }

    @Override
    public void commandDone(long id, Integer errorStatus, String errorCode, String errorMessage) {
        calls.add("commandDone " + id);
        synchronized (this) {
            outcomes.put(id, new CommandOutcome(errorStatus, errorCode, errorMessage));
        }
        signal(Signal.done(id));
    }

    @Override
    public synchronized Optional<CommandOutcome> outcome(long id) {
        return Optional.ofNullable(outcomes.get(id));
    }

    // ---------------------------------------------------------------- wake-ups

    @Override
    public void listen(Consumer<String> onSignal) {
        calls.add("listen");
        listeners.add(onSignal);
    }

    @Override
    public void signal(String payload) {
        signals.add(payload);
        for (Consumer<String> listener : listeners) {
            try {
                listener.accept(payload);
            } catch (RuntimeException e) {
                listenerFailures.add(e);
            }
        }
    }

    @Override
    public void close() {
        calls.add("close");
        listeners.clear();
    }

    // ---------------------------------------------------------------- the store as a replica sees it

    /** The rows, each with the replica holding it; recovery sees this replica's and those no replica holds. */
    private final class SharedRows implements RunStore {

        private RunState withHolder(RunState state) {
            return state.withReplica(replicaOf(state.id()).orElse(null));
        }

        private boolean own(String id) {
            String holder = replicaOf(id).orElse(null);
            return holder == null || holder.equals(replica);
        }

        @Override
        public void create(RunState state, RunPlan plan, byte[] pendingRequest) {
            rows.create(state, plan, pendingRequest);
        }

        @Override
        public void started(RunState state) {
            rows.started(state);
        }

        @Override
        public List<Queued> queued() {
            return rows.queued();
        }

        @Override
        public void update(RunState state) {
            rows.update(state);
        }

        @Override
        public void finish(RunState state, byte[] callbackBody) {
            rows.finish(state, callbackBody);
        }

        @Override
        public Optional<RunState> find(String id) {
            return rows.find(id).map(this::withHolder);
        }

        @Override
        public Optional<RunPlan> plan(String id) {
            return rows.plan(id);
        }

        @Override
        public List<RunState> running() {
            return rows.running().stream().filter(state -> own(state.id())).map(this::withHolder).toList();
        }

        @Override
        public Page page(RunStatus status, String owner, int limit, String cursor) {
            Page page = rows.page(status, owner, limit, cursor);
            return new Page(page.runs().stream().map(this::withHolder).toList(), page.next());
        }

        @Override
        public boolean delete(String id) {
            return rows.delete(id);
        }

        @Override
        public List<PendingCallback> pendingCallbacks() {
            return rows.pendingCallbacks().stream().filter(callback -> own(callback.runId())).toList();
        }

        @Override
        public void callbackAttempted(String runId, int httpStatus, boolean delivered, boolean gaveUp, Instant at) {
            rows.callbackAttempted(runId, httpStatus, delivered, gaveUp, at);
        }

        @Override
        public void logOpened() {
            rows.logOpened();
        }

        @Override
        public void close() {
            rows.close();
        }
    }
}
