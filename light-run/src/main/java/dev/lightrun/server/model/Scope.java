package dev.lightrun.server.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * What a key may do. {@link #ADMIN} may do everything, to every tenant's runs; the others only touch the key's own
 * runs. Written in lower case in the keys file and in error bodies ({@code {"error":"forbidden","scope":"run"}}).
 */
public enum Scope {
    /** Submit runs; cancel, stop, pause, resume and delete its own. */
    RUN,
    /** List and get its own runs, their logs and artifacts. */
    READ,
    /** Requests with build steps ({@code run}). */
    BUILD,
    /** The networks API. */
    NETWORKS,
    /** Everything, every tenant's runs, the audit log. */
    ADMIN;

    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The scope of that name, in any case; {@link IllegalArgumentException} naming the known ones otherwise. */
    @JsonCreator
    public static Scope parse(String name) {
        for (Scope scope : values()) {
            if (scope.name().equalsIgnoreCase(name == null ? "" : name.trim())) {
                return scope;
            }
        }
        throw new IllegalArgumentException("unknown scope '" + name + "'; use run, read, build, networks or admin");
    }
}
