package dev.lightrun.server.callbacks;

import dev.lightrun.server.store.RunStore;
import dev.lightrun.server.store.RunStore.PendingCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;

/**
 * Delivers callbacks from the store's outbox: a finished run's callback is recorded in the same transaction as its
 * final state, then sent; a 2xx answer marks it delivered. What was not delivered when the server stopped (or
 * crashed) is sent again at the next start.
 */
public final class CallbackOutbox {
    private static final Logger log = LoggerFactory.getLogger(CallbackOutbox.class);

    private final RunStore store;
    private final CallbackSender sender;

    public CallbackOutbox(RunStore store, CallbackSender sender) {
        this.store = store;
        this.sender = sender;
    }

    /** Sends in the background; never blocks the caller. */
    public void send(PendingCallback callback) {
        sender.send(callback.runId(), callback.url(), callback.secret(), callback.body()).thenAccept(status -> {
            boolean delivered = status >= 200 && status < 300;
            try {
                store.callbackAttempted(callback.runId(), status, delivered, Instant.now());
            } catch (RuntimeException e) {
                log.warn("run {} - could not record the callback attempt: {}", callback.runId(), e.toString());
            }
        });
    }

    /** At start-up: everything still pending, oldest first. */
    public int sendPending() {
        var pending = store.pendingCallbacks();
        pending.forEach(this::send);
        if (!pending.isEmpty()) {
            log.info("callbacks - {} pending from before the restart, sending", pending.size());
        }
        return pending.size();
    }
}
