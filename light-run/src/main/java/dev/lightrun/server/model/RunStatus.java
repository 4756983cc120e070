package dev.lightrun.server.model;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A run's state as the API shows it: {@code queued -> running -> succeeded | failed | cancelled} (a queued run can
 * also be cancelled); a terminal one is final.
 */
public enum RunStatus {
    QUEUED("queued"),
    RUNNING("running"),
    SUCCEEDED("succeeded"),
    FAILED("failed"),
    CANCELLED("cancelled");

    private final String json;

    RunStatus(String json) {
        this.json = json;
    }

    @JsonValue
    public String json() {
        return json;
    }

    public boolean isTerminal() {
        return this != RUNNING && this != QUEUED;
    }
}
