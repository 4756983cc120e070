package dev.lightrun.client;

import java.util.List;
import java.util.Optional;

/**
 * One page of {@code GET /runs}, newest first.
 *
 * @param runs       the runs of this page
 * @param nextCursor the cursor of the next page (the server's {@code X-Next-Cursor}), null on the last page
 */
public record RunPage(List<RunState> runs, String nextCursor) {
    public RunPage {
        runs = runs == null ? List.of() : List.copyOf(runs);
    }

    /** The next page's cursor, for {@link LightRunClient#list}, if there is a next page. */
    public Optional<String> next() {
        return Optional.ofNullable(nextCursor);
    }
}
