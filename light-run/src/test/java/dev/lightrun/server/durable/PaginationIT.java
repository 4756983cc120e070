package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static dev.lightrun.server.durable.Api.inline;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** GET /runs over 200 real runs: pages of 37 with no duplicate and no gap, the status filter, and bad parameters. */
class PaginationIT {
    private static final int RUNS = 200;
    private static final int FAILING_EVERY = 10;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path root;
    private static ServerProcess server;
    private static final List<String> succeeded = new ArrayList<>();
    private static final List<String> failed = new ArrayList<>();

    @BeforeAll
    static void twoHundredRuns() {
        server = ServerProcess.Setup.in(root).start();
        long began = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> posts = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            // Every tenth run fails, so that the status filter has something to tell apart. No network: these runs
            // need none, and sparing the daemon 200 bridge endpoints halves the time they take.
            posts.add(server.api().postAsync("/run", inline(i % FAILING_EVERY == 0 ? "exit 3" : "true",
                    "detached", true, "network", "none"), Duration.ofSeconds(60)));
        }
        for (int i = 0; i < RUNS; i++) {
            HttpResponse<String> accepted = posts.get(i).join();
            assertThat(accepted.statusCode()).as("POST /run #%d: %s", i, accepted.body()).isEqualTo(202);
            (i % FAILING_EVERY == 0 ? failed : succeeded).add(Api.json(accepted).path("id").asText());
        }
        await("all 200 runs finished").atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500))
                .until(() -> server.api().runningIds().isEmpty());
        System.out.printf("[pagination] %d detached runs submitted and finished in %d ms%n", RUNS,
                (System.nanoTime() - began) / 1_000_000);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
            server.setup().removeLeftoverContainers();
        }
    }

    /** Follows X-Next-Cursor from the first page to the last; returns the ids in the order they were listed. */
    private static List<String> pageThrough(String filter, int limit, List<Integer> pageSizes) {
        List<String> listed = new ArrayList<>();
        String cursor = null;
        do {
            HttpResponse<String> page = server.api().get("/runs?" + filter + "limit=" + limit
                    + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
            JsonNode runs = Api.json(page);
            assertThat(runs.isArray()).isTrue();
            pageSizes.add(runs.size());
            runs.forEach(run -> listed.add(run.path("id").asText()));
            cursor = page.headers().firstValue("X-Next-Cursor").orElse(null);
            if (cursor != null) {
                assertThat(cursor).isEqualTo(listed.getLast());
                assertThat(page.headers().firstValue("Link").orElseThrow()).contains("cursor=" + cursor)
                        .contains("rel=\"next\"");
            }
            assertThat(pageSizes.size()).as("pages").isLessThanOrEqualTo(RUNS);
        } while (cursor != null);
        return listed;
    }

    @Test
    void pagesOf37ListEveryRunOnceNewestFirst() {
        List<Integer> pageSizes = new ArrayList<>();
        List<String> listed = pageThrough("", 37, pageSizes);

        Set<String> all = new HashSet<>(succeeded);
        all.addAll(failed);
        assertThat(listed).as("no duplicate").doesNotHaveDuplicates();
        assertThat(listed).as("no gap").containsExactlyInAnyOrderElementsOf(all);
        assertThat(listed).as("newest first").isSortedAccordingTo(Comparator.reverseOrder());
        assertThat(pageSizes).containsExactly(37, 37, 37, 37, 37, 15);
    }

    @Test
    void statusFilterListsOnlyRunsInThatState() {
        List<Integer> failedPages = new ArrayList<>();
        assertThat(pageThrough("status=failed&", 7, failedPages)).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(failed);
        assertThat(failedPages).containsExactly(7, 7, 6);
        assertThat(pageThrough("status=succeeded&", 1000, new ArrayList<>())).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(succeeded);
        assertThat(Api.json(server.api().get("/runs?status=cancelled"))).isEmpty();
        assertThat(Api.json(server.api().get("/runs?status=running"))).isEmpty();
        JsonNode defaultPage = Api.json(server.api().get("/runs"));
        assertThat(defaultPage).as("default limit").hasSize(100);
        Api.json(server.api().get("/runs?status=failed&limit=1000")).forEach(run -> {
            assertThat(run.path("status").asText()).isEqualTo("failed");
            assertThat(run.path("exitCode").asInt()).isEqualTo(3);
        });
    }

    @Test
    void badLimitCursorOrStatusIs400() {
        for (String query : List.of("limit=0", "limit=1001", "limit=-5", "limit=ten", "cursor=not-a-run-id",
                "cursor=" + succeeded.getFirst().toUpperCase(), "status=done", "status=RUNNING", "status=")) {
            HttpResponse<String> response = server.api().get("/runs?" + query);
            assertThat(response.statusCode()).as("GET /runs?%s: %s", query, response.body()).isEqualTo(400);
            JsonNode error = Api.json(response);
            assertThat(error.path("error").asText()).isEqualTo("bad_request");
            assertThat(error.path("details").get(0).path("path").asText()).isEqualTo(query.substring(0, query.indexOf('=')));
        }
        assertThat(server.api().get("/runs?limit=1000").statusCode()).isEqualTo(200);
        assertThat(server.api().get("/runs?limit=1").headers().firstValue("X-Next-Cursor")).isPresent();
    }
}
