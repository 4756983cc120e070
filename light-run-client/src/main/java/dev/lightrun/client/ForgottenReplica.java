package dev.lightrun.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * {@code DELETE /replicas/{name}}: a silent replica declared gone for good.
 *
 * @param replica   its name
 * @param runsEnded its runs that were executing there, now ended {@code failed} with error code
 *                  {@code REPLICA_LOST}; runs it had claimed but not started went back to the queue
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ForgottenReplica(String replica, int runsEnded) {
}
