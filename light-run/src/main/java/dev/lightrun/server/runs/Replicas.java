package dev.lightrun.server.runs;

import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.store.Cluster;

import java.util.List;
import java.util.Optional;

/** What the API shows and does about the replicas sharing the store ({@link #NONE} on a single server). */
public interface Replicas {

    /** This replica's name; empty on a single server. */
    Optional<String> self();

    /** Every replica sharing the store (alive or not). */
    List<Cluster.Replica> list();

    /**
     * The API address of the replica executing a run that is not this process's (its live log is read there); empty
     * when the run is this process's, not executing, or its replica has no address.
     */
    Optional<String> executingElsewhere(RunState state);

    /**
     * Declares a silent replica gone for good: its runs recorded running end failed ({@link RunErrorCode#REPLICA_LOST})
     * with their callbacks sent from here, its claims never started go back to the queue, its undelivered callbacks
     * are delivered from here, and its row is deleted. 404 when there is no such replica (or no replicas); 409 for
     * this replica or one still alive. Returns how many runs ended.
     */
    int forget(String name);

    /** A single server: no replicas. */
    Replicas NONE = new Replicas() {
        @Override
        public Optional<String> self() {
            return Optional.empty();
        }

        @Override
        public List<Cluster.Replica> list() {
            return List.of();
        }

        @Override
        public Optional<String> executingElsewhere(RunState state) {
            return Optional.empty();
        }

        @Override
        public int forget(String name) {
            throw ApiException.notFound("this server is not one of several replicas");
        }
    };
}
