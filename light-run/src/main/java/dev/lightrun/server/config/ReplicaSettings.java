package dev.lightrun.server.config;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * How this server takes part when several replicas share one PostgreSQL store (ignored on SQLite).
 *
 * @param name      this replica's name; null: the data folder's instance id, stable across restarts
 * @param url       where the other replicas reach this one's API (they proxy live logs of its runs there); null:
 *                  {@code http://<host>:<port>} as it listens (the machine's name for a wildcard address; a loopback
 *                  address reaches only replicas on the same machine)
 * @param heartbeat how often it writes its heartbeat row
 * @param silence   how long without a heartbeat before the others count it gone and put its unstarted claims back in
 *                  the queue
 */
public record ReplicaSettings(String name, String url, Duration heartbeat, Duration silence) {
    /** A replica name is a label, a path segment and a payload: a safe alphabet. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    public ReplicaSettings {
        name = name == null || name.isBlank() ? null : name.strip();
        url = url == null || url.isBlank() ? null : url.strip().replaceAll("/+$", "");
        if (name != null && !NAME.matcher(name).matches()) {
            throw new ConfigException(Setting.REPLICA_NAME, "must be 1-63 letters, digits, '.', '_' or '-' (not first),"
                    + " was '" + name + "'");
        }
        if (url != null && !url.matches("https?://[^/\\s]+")) {
            throw new ConfigException(Setting.REPLICA_URL, "must be http(s)://host:port, was '" + url + "'");
        }
        if (heartbeat.isNegative() || heartbeat.compareTo(Duration.ofMillis(100)) < 0) {
            throw new ConfigException(Setting.REPLICA_HEARTBEAT_MS, "must be >= 100, was " + heartbeat.toMillis());
        }
        if (silence.compareTo(heartbeat.multipliedBy(3)) < 0) {
            throw new ConfigException(Setting.REPLICA_SILENCE_MS, "must be at least 3 heartbeats ("
                    + heartbeat.multipliedBy(3).toMillis() + "), was " + silence.toMillis());
        }
    }

    static ReplicaSettings defaults() {
        return new ReplicaSettings(null, null, Defaults.REPLICA_HEARTBEAT, Defaults.REPLICA_SILENCE);
    }
}
