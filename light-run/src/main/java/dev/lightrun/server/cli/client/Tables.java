package dev.lightrun.server.cli.client;

import dev.lightrun.client.Replica;
import dev.lightrun.client.ReplicaList;
import dev.lightrun.client.RunState;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Runs and replicas as people read them: aligned columns of a list, and one run as {@code name: value} lines. */
final class Tables {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private Tables() {
    }

    static void runs(PrintWriter out, List<RunState> runs) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "STATUS", "EXIT", "DURATION", "QUEUED", "OWNER", "IMAGE"});
        for (RunState run : runs) {
            rows.add(new String[] {run.id(), run.status().json(), text(run.exitCode()), duration(run.duration()),
                    time(run.queuedAt()), text(run.owner()), text(run.image())});
        }
        columns(out, rows);
    }

    /** The replicas in the server's order; {@code *} after a name marks the replica that answered. */
    static void replicas(PrintWriter out, ReplicaList list) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "ALIVE", "RUNNING/SLOTS", "HOST", "URL", "LAST HEARTBEAT"});
        for (Replica replica : list.replicas()) {
            rows.add(new String[] {replica.name() + (replica.name().equals(list.self()) ? " *" : ""),
                    replica.alive() ? "yes" : "no", replica.running() + "/" + replica.slots(), text(replica.host()),
                    text(replica.url()), time(replica.heartbeatAt())});
        }
        columns(out, rows);
    }

    /** Rows as left-aligned columns two spaces apart, the first row a header. */
    private static void columns(PrintWriter out, List<String[]> rows) {
        int[] widths = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format(Locale.ROOT, "%-" + widths[i] + "s  ", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    static void run(PrintWriter out, RunState run) {
        field(out, "id", run.id());
        field(out, "status", run.status().json());
        field(out, "image", run.image());
        field(out, "owner", text(run.owner()));
        field(out, "exit code", text(run.exitCode()));
        field(out, "duration", duration(run.duration()));
        field(out, "queued", time(run.queuedAt()));
        field(out, "started", time(run.startedAt()));
        field(out, "finished", time(run.finishedAt()));
        if (run.replica() != null) {
            field(out, "replica", run.replica());
        }
        if (run.error() != null) {
            field(out, "error", run.errorCode() + ": " + run.error());
        }
        if (run.timedOut() || run.oomKilled()) {
            field(out, "killed", run.timedOut() ? "timed out" : "out of memory");
        }
        for (RunState.Artifact artifact : run.artifacts()) {
            field(out, "artifact", artifact.path() + (artifact.isDirectory() ? "/" : " (" + artifact.bytes() + " bytes)"));
        }
        if (run.callback() != null) {
            RunState.Callback callback = run.callback();
            field(out, "callback", callback.attempts() + " attempt(s), last status " + text(callback.lastStatus())
                    + (callback.deliveredAt() != null ? ", delivered " + time(callback.deliveredAt())
                    : callback.gaveUp() ? ", gave up" : ""));
        }
    }

    private static void field(PrintWriter out, String name, String value) {
        out.println(String.format(Locale.ROOT, "%-10s %s", name + ":", value));
    }

    static String duration(Duration value) {
        if (value == null) {
            return "-";
        }
        long ms = value.toMillis();
        return ms < 1000 ? ms + "ms" : String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }

    static String time(Instant value) {
        return value == null ? "-" : TIME.format(value);
    }

    static String text(Object value) {
        return value == null ? "-" : value.toString();
    }
}
