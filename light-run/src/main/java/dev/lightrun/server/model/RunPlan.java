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
 * @param traceparent    the W3C {@code traceparent} of the request that submitted it, when another replica may start
 *                       it (its span is then that request's child there); null otherwise
 */
public record RunPlan(List<String> extract, Duration timeout, String callbackUrl, String callbackSecret,
                      String traceparent) {
    public RunPlan {
        extract = extract == null ? List.of() : List.copyOf(extract);
    }

    /** A plan without a trace parent. */
    public RunPlan(List<String> extract, Duration timeout, String callbackUrl, String callbackSecret) {
        this(extract, timeout, callbackUrl, callbackSecret, null);
    }

    /** This plan, carrying the submitting request's trace parent (null: none). */
    public RunPlan withTraceparent(String value) {
        return new RunPlan(extract, timeout, callbackUrl, callbackSecret, value);
    }

    @Override
    public String toString() {
        return "RunPlan[extract=" + extract + ", timeout=" + timeout + ", callbackUrl=" + callbackUrl
                + ", callbackSecret=" + (callbackSecret == null ? "none" : "<masked>") + "]";
    }
}
