package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static dev.lightrun.server.durable.Api.script;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SQLite run store across restarts: a finished run is still there, migrations are recorded once each and not
 * re-applied, and a database from a newer light-run is refused with one clear line.
 */
class StoreMigrationIT {
    private static final Pattern APPLIED = Pattern.compile("\\((\\d+) migration\\(s\\) applied, schema version (\\d+)\\)");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();

    private static void stop(ServerProcess server) {
        server.sigterm();
        server.awaitExit(Duration.ofSeconds(20));
    }

    /** (migrations applied, schema version) from the server's store line. */
    private static int[] storeLine(ServerProcess server) {
        Matcher matcher = APPLIED.matcher(server.log());
        assertThat(matcher.find()).as("store line in the log:%n%s", server.log()).isTrue();
        return new int[] {Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2))};
    }

    private static List<Integer> schemaVersions(Path dataDir) throws SQLException {
        List<Integer> versions = new ArrayList<>();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("light-run.db"));
             Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT version, applied_at FROM schema_version ORDER BY version")) {
            while (rs.next()) {
                assertThat(rs.getString(2)).as("applied_at of version %d", rs.getInt(1)).isNotBlank();
                versions.add(rs.getInt(1));
            }
        }
        return versions;
    }

    @Test
    void aFinishedRunSurvivesRestartsAndMigrationsAreAppliedOnce() throws Exception {
        ServerProcess.Setup setup = ServerProcess.Setup.in(root);
        ServerProcess first = servers.start(setup);
        JsonNode finished = first.api().runSync(script("echo persisted; mkdir -p o; echo a > o/f",
                "extract", List.of("/app/o")));
        String id = finished.path("id").asText();
        assertThat(finished.path("status").asText()).isEqualTo("succeeded");
        String before = first.api().get("/runs/" + id).body();
        int[] firstStore = storeLine(first);
        int latest = firstStore[1];
        assertThat(firstStore[0]).as("a new database gets every migration").isEqualTo(latest).isPositive();
        stop(first);
        assertThat(setup.dataDir().resolve("light-run.db")).isRegularFile();
        assertThat(schemaVersions(setup.dataDir())).isEqualTo(IntStream.rangeClosed(1, latest).boxed().toList());

        ServerProcess second = servers.start(setup);
        assertThat(storeLine(second)).as("nothing re-applied").containsExactly(0, latest);
        assertThat(Api.JSON.readTree(second.api().get("/runs/" + id).body())).isEqualTo(Api.JSON.readTree(before));
        assertThat(Api.json(second.api().get("/runs")).findValuesAsText("id")).contains(id);
        assertThat(second.api().logs(id, "")).isEqualTo("persisted\n");
        assertThat(second.api().get("/runs/" + id + "/artifacts/o/f").body()).isEqualTo("a\n");
        assertThat(second.log()).doesNotContain("ERROR");
        stop(second);

        assertThat(schemaVersions(setup.dataDir())).as("one row per migration")
                .isEqualTo(IntStream.rangeClosed(1, latest).boxed().toList());
    }

    @Test
    void aDatabaseFromANewerLightRunIsRefusedWithOneLine() throws Exception {
        ServerProcess.Setup setup = ServerProcess.Setup.in(root);
        ServerProcess first = servers.start(setup);
        int latest = storeLine(first)[1];
        stop(first);
        int newer = latest + 998;
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + setup.dataDir().resolve("light-run.db"));
             Statement st = db.createStatement()) {
            st.execute("INSERT INTO schema_version(version, applied_at) VALUES (" + newer + ", '2099-01-01T00:00:00Z')");
        }

        Path out = root.resolve("refused.out");
        Path err = root.resolve("refused.err");
        ProcessBuilder builder = new ProcessBuilder(setup.command()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        // The altered SQLite file is what is under test: a PostgreSQL store inherited from a developer's shell is not.
        builder.environment().remove("LIGHT_RUN_STORE_URL");
        Process serve = builder.start();
        boolean exited = serve.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            serve.destroyForcibly();
        }
        assertThat(exited).as("serve gives up").isTrue();
        List<String> stderr = Files.readAllLines(err);
        System.out.printf("[store] serve on a schema-%d database: exit %d, stderr %s%n", newer, serve.exitValue(), stderr);
        assertThat(serve.exitValue()).isEqualTo(1);
        assertThat(stderr).as("stderr").hasSize(1);
        assertThat(stderr.getFirst()).startsWith("light-run: ").contains("schema version " + newer)
                .contains("upgrade light-run").doesNotContain("Exception");
        assertThat(Files.readString(out)).isEmpty();
        assertThat(schemaVersions(setup.dataDir())).as("the database is left as it was")
                .isEqualTo(IntStream.concat(IntStream.rangeClosed(1, latest), IntStream.of(newer)).boxed().toList());
    }
}
