package dev.lightrun.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;

/**
 * One server of several sharing a PostgreSQL store, as {@code GET /replicas} shows it.
 *
 * @param name        its name ({@code LIGHT_RUN_REPLICA_NAME}, else its data folder's instance id)
 * @param alive       it wrote a heartbeat within the servers' silence setting; a replica that is not may be forgotten
 * @param running     runs it executes now
 * @param slots       runs it may execute at once (its {@code LIGHT_RUN_MAX_CONCURRENT})
 * @param host        the name of its machine
 * @param url         where the other replicas reach its API (null until it listens)
 * @param startedAt   when it joined
 * @param heartbeatAt its last heartbeat
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Replica(String name, boolean alive, int running, int slots, String host, String url, Instant startedAt,
                      Instant heartbeatAt) {
}
