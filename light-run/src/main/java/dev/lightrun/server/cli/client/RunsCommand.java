package dev.lightrun.server.cli.client;

import dev.lightrun.client.LightRunClient;
import dev.lightrun.client.RunPage;
import dev.lightrun.client.RunStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code light-run runs}: one page of runs, newest first; the next page's cursor on stderr. */
@Command(name = "runs", description = "List runs, newest first.")
public final class RunsCommand extends ClientCommand {
    @Option(names = "--status", paramLabel = "STATUS",
            description = "Only runs with this status: queued, running, succeeded, failed, cancelled.")
    String status;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "Runs per page, 1..1000"
            + " (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--cursor", paramLabel = "CURSOR", description = "The next page, as the previous one printed.")
    String cursor;

    @Option(names = "--json", description = "The page as the API's JSON array.")
    boolean json;

    @Override
    int execute(LightRunClient client) {
        RunPage page = client.list(status == null ? null : statusOf(status), limit, cursor);
        if (json) {
            out().println(json(page.runs()));
        } else {
            Tables.runs(out(), page.runs());
        }
        out().flush();
        page.next().ifPresent(next -> {
            err().println("more: light-run runs --cursor " + next + (status == null ? "" : " --status " + status)
                    + " --limit " + limit);
            err().flush();
        });
        return 0;
    }

    private static RunStatus statusOf(String value) {
        for (RunStatus s : RunStatus.values()) {
            if (s != RunStatus.UNKNOWN && s.json().equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("--status " + value + ": must be queued, running, succeeded, failed or"
                + " cancelled");
    }
}
