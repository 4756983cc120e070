package dev.lightrun.client;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;

/**
 * {@code GET /replicas}: the servers sharing the answering server's store, alive or not.
 *
 * @param self     the name of the replica that answered; null on a server that runs alone (SQLite store)
 * @param replicas every replica, the answering one included; empty on a server that runs alone
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReplicaList(String self, List<Replica> replicas) {
    public ReplicaList {
        replicas = replicas == null ? List.of() : List.copyOf(replicas);
    }

    /** Whether the server is one of several replicas (false: it runs alone, there is nothing to list or forget). */
    @JsonIgnore
    public boolean isReplicated() {
        return self != null;
    }
}
