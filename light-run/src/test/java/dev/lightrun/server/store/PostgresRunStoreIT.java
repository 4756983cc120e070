package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The store contract on PostgreSQL (the server of {@code scripts/dev-services.sh}, each test in a schema of its own),
 * and what only a shared database has: Flyway's migrations recorded once, two stores (two replicas) on one database,
 * finish and outbox as one transaction, concurrent writers, and a password that no message shows.
 */
class PostgresRunStoreIT extends RunStoreContract {
    private PostgresTestDatabase database;
    private final List<RunStore> opened = new ArrayList<>();

    @Override
    protected RunStore openStore() {
        if (database == null) {
            database = PostgresTestDatabase.create();
        }
        RunStore store = new PostgresRunStore(database.url());
        opened.add(store);
        return store;
    }

    @Override
    protected int overwriteRow(String id, String stateJson, String planJson) throws Exception {
        try (Connection db = database.connect();
             PreparedStatement st = db.prepareStatement("UPDATE runs SET state = ?, plan = ? WHERE id = ?")) {
            st.setString(1, stateJson);
            st.setString(2, planJson);
            st.setString(3, id);
            return st.executeUpdate();
        }
    }

    @AfterEach
    void dropSchema() {
        opened.forEach(RunStore::close);
        if (database != null) {
            database.close();
        }
    }

    private static RunPlan planWithCallback() {
        return new RunPlan(List.of(), Duration.ofSeconds(30), "https://hooks.example/x", "a-secret-of-16-chars");
    }

    private List<String> appliedMigrations() throws Exception {
        try (Connection db = database.connect();
             PreparedStatement st = db.prepareStatement(
                     "SELECT version || ':' || success FROM flyway_schema_history ORDER BY installed_rank");
             ResultSet rs = st.executeQuery()) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
            return rows;
        }
    }

    @Test
    void migrationsFromAnEmptyDatabaseAreRecordedOnce() throws Exception {
        assertThat(appliedMigrations()).containsExactly("1:true", "2:true");

        RunStore second = openStore();
        second.close();

        assertThat(appliedMigrations()).as("opening again migrates nothing").containsExactly("1:true", "2:true");
        try (Connection db = database.connect();
             ResultSet tables = db.getMetaData().getTables(null, database.schema(), "%", new String[] {"TABLE"})) {
            Set<String> names = new HashSet<>();
            while (tables.next()) {
                names.add(tables.getString("TABLE_NAME"));
            }
            assertThat(names).containsExactlyInAnyOrder("runs", "callbacks", "replicas", "queue_turns", "run_commands",
                    "flyway_schema_history");
        }
    }

    @Test
    void aSecondStoreOnTheSameDatabaseSeesTheFirstsRows() {
        RunStore replica = openStore();
        String id = "00000000-0000-7000-8000-000000000101";
        store.create(RunState.running(id, "img", "admin", true, Instant.now()), planWithCallback(), null);

        assertThat(replica.find(id)).map(RunState::status).contains(RunStatus.RUNNING);
        assertThat(replica.running()).extracting(RunState::id).containsExactly(id);

        replica.finish(finished(id), "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(store.find(id)).map(RunState::status).contains(RunStatus.FAILED);
        assertThat(store.pendingCallbacks()).extracting(RunStore.PendingCallback::runId).containsExactly(id);
        store.callbackAttempted(id, 200, true, false, Instant.now());
        assertThat(replica.pendingCallbacks()).isEmpty();
        assertThat(replica.find(id).orElseThrow().callback().deliveredAt()).isNotNull();
    }

    @Test
    void aFailedOutboxWriteRollsTheFinalStateBack() {
        String id = "00000000-0000-7000-8000-000000000111";
        RunState running = RunState.running(id, "img", "admin", true, Instant.now());
        store.create(running, planWithCallback(), null);
        // A failure between the two writes of finish: the state's UPDATE has run when the outbox INSERT fails.
        database.execute("""
                CREATE FUNCTION refuse_callback() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'outbox refused for the test'; END $$;
                CREATE TRIGGER refuse_callback BEFORE INSERT ON callbacks FOR EACH ROW EXECUTE FUNCTION refuse_callback();
                """);

        assertThatThrownBy(() -> store.finish(finished(id), "{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("cannot record the end of run " + id)
                .hasMessageContaining("outbox refused for the test");

        assertThat(store.find(id)).as("the final state was rolled back with the outbox row").contains(running);
        assertThat(store.running()).extracting(RunState::id).containsExactly(id);
        assertThat(store.pendingCallbacks()).isEmpty();

        database.execute("DROP TRIGGER refuse_callback ON callbacks");
        store.finish(finished(id), "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(store.find(id).orElseThrow().status()).isEqualTo(RunStatus.FAILED);
        assertThat(store.pendingCallbacks()).extracting(RunStore.PendingCallback::runId).containsExactly(id);
    }

    @Test
    void eightConcurrentWritersOnTwoStoresLoseNothing() throws Exception {
        RunStore replica = openStore();
        int threads = 8;
        int runsEach = 25;
        List<Future<?>> writers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                RunStore target = t % 2 == 0 ? store : replica;
                int thread = t;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < runsEach; i++) {
                        String id = "00000000-0000-7000-8000-%012d".formatted(thread * 1000 + i);
                        RunState queued = RunState.queued(id, "img", "owner-" + thread, true, Instant.now());
                        target.create(queued, planWithCallback(), "{}".getBytes(StandardCharsets.UTF_8));
                        target.started(queued.startedNow());
                        target.finish(finished(id), ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
                    }
                    return null;
                }));
            }
            for (Future<?> writer : writers) {
                writer.get(60, TimeUnit.SECONDS);
            }
        }

        int total = threads * runsEach;
        Set<String> listed = new HashSet<>();
        String cursor = null;
        do {
            RunStore.Page page = replica.page(RunStatus.FAILED, null, 37, cursor);
            page.runs().forEach(run -> assertThat(listed.add(run.id())).as("listed once: %s", run.id()).isTrue());
            cursor = page.next();
        } while (cursor != null);
        assertThat(listed).hasSize(total);
        assertThat(store.queued()).isEmpty();
        assertThat(store.running()).isEmpty();
        assertThat(store.pendingCallbacks()).hasSize(total);
    }

    @Test
    void aBadPasswordFailsInOneMessageThatDoesNotShowIt() {
        String wrong = database.url().replaceFirst("password=[^&]*", "password=not-the-password-42");

        assertThatThrownBy(() -> new PostgresRunStore(wrong))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("cannot open the run store at jdbc:postgresql://")
                .hasMessageContaining("password=<masked>")
                .hasMessageContaining("password authentication failed")
                .hasMessageNotContaining("not-the-password-42");
    }
}
