package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.store.PostgresTestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import static dev.lightrun.server.durable.Api.script;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real server process on the PostgreSQL store ({@code LIGHT_RUN_STORE_URL}, a schema of its own in the server of
 * {@code scripts/dev-services.sh}): a run it served is in the database, and after a {@code kill -9} and a restart it is
 * still listed, with its output; the store's password is in no line the server printed.
 */
class PostgresStoreIT {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();

    @Test
    void aRunServedOnPostgresIsStillListedAfterAKillAndARestart() throws Exception {
        try (PostgresTestDatabase database = PostgresTestDatabase.create()) {
            ServerProcess.Setup setup = ServerProcess.Setup.in(root).withEnv("LIGHT_RUN_STORE_URL", database.url());
            ServerProcess first = servers.start(setup);
            JsonNode done = first.api().runSync(script("echo hello from postgres"));
            String id = done.path("id").asText();
            assertThat(done.path("status").asText()).isEqualTo("succeeded");
            assertThat(storedStatus(database, id)).as("the row in PostgreSQL").isEqualTo("succeeded");

            first.kill9();
            ServerProcess second = servers.start(setup);

            List<String> listed = new ArrayList<>();
            Api.json(second.api().get("/runs")).forEach(run -> listed.add(run.path("id").asText()));
            assertThat(listed).containsExactly(id);
            JsonNode after = second.api().run(id);
            assertThat(after.path("status").asText()).isEqualTo("succeeded");
            assertThat(after.path("logs").path("stdout").asText()).isEqualTo("hello from postgres\n");
            assertThat(setup.dataDir().resolve("light-run.db")).as("no SQLite store beside it").doesNotExist();

            String password = URLDecoder.decode(database.url().replaceFirst(".*[?&]password=([^&]*).*", "$1"),
                    StandardCharsets.UTF_8);
            for (ServerProcess server : List.of(first, second)) {
                assertThat(server.log()).contains("store - jdbc:postgresql://", "password=<masked>")
                        .doesNotContain(password);
            }
            assertThat(Files.exists(setup.dataDir().resolve("instance-id"))).isTrue();
            second.close();
        }
    }

    private static String storedStatus(PostgresTestDatabase database, String id) throws Exception {
        try (Connection db = database.connect();
             PreparedStatement st = db.prepareStatement("SELECT status FROM runs WHERE id = ?")) {
            st.setString(1, id);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
