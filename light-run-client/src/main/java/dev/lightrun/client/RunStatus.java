package dev.lightrun.client;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * A run's status: {@code queued -> running -> succeeded | failed | cancelled}. {@link #UNKNOWN} stands for a status a
 * newer server sends that this client does not know.
 */
public enum RunStatus {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    @JsonEnumDefaultValue
    UNKNOWN;

    /** The API's spelling ({@code "succeeded"}). */
    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Succeeded, failed or cancelled: the state will not change any more. */
    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
