package dev.lightrun.server.model;

import java.time.Duration;
import java.util.List;

/**
 * What the server must still know to finish a run after a restart: which paths to extract, when its timeout
 * expires, and where its callback goes. Stored next to the run; {@link #toString()} masks the callback secret.
 *
 * @param extract        container paths to copy out
 * @param timeout        the run's timeout, counted from its start (time in the queue does not count)
 * @param callbackUrl    null when there is no callback
 * @param callbackSecret null when the callback is unsigned
 */
public record RunPlan(List<String> extract, Duration timeout, String callbackUrl, String callbackSecret) {
    public RunPlan {
        extract = extract == null ? List.of() : List.copyOf(extract);
    }

    @Override
    public String toString() {
        return "RunPlan[extract=" + extract + ", timeout=" + timeout + ", callbackUrl=" + callbackUrl
                + ", callbackSecret=" + (callbackSecret == null ? "none" : "<masked>") + "]";
    }
}
