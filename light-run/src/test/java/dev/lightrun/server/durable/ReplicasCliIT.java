package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.cli.LightRunCli;
import dev.lightrun.server.store.PostgresTestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.lightrun.server.durable.Api.script;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code light-run replicas list|forget} against two real replicas on one PostgreSQL store: the table while both are
 * alive, the refusals (an alive replica, the answering one), and after a {@code kill -9} of the replica executing a
 * run: its run's logs and cancel through the other are 503 {@code unavailable}, then forgetting it ends the run
 * {@code REPLICA_LOST}.
 */
class ReplicasCliIT {
    /** Short, so the killed replica counts as gone within a second or two (the default is 10 s). */
    private static final List<String> QUICK_SILENCE = List.of("--replica-heartbeat-ms", "200",
            "--replica-silence-ms", "1000");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();

    /** Exit code, stdout and stderr of one in-process CLI call. */
    record Outcome(int exitCode, String out, String err) {
        List<String> outLines() {
            return out.lines().toList();
        }
    }

    private static Outcome cli(ServerProcess server, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", server.api().uri("/").toString().replaceAll("/$", "")));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new LightRunCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(all.toArray(String[]::new));
        return new Outcome(code, out.toString(), err.toString());
    }

    private ServerProcess replica(PostgresTestDatabase database, String name) {
        List<String> flags = new ArrayList<>(List.of("--replica-name", name));
        flags.addAll(QUICK_SILENCE);
        return servers.start(ServerProcess.Setup.in(root.resolve(name), flags.toArray(String[]::new))
                .withEnv("LIGHT_RUN_STORE_URL", database.url()));
    }

    @Test
    void aKilledReplicaIsListedSilentItsRunIsUnavailableThenForgettingItEndsTheRun() throws Exception {
        try (PostgresTestDatabase database = PostgresTestDatabase.create()) {
            // B alone first, so the run is B's: the one replica there is claims it.
            ServerProcess b = replica(database, "replica-b");
            HttpResponse<String> accepted = b.api().post("/run", withDetached(script("echo started; sleep 120")));
            assertThat(accepted.statusCode()).as("POST /run: %s", accepted.body()).isEqualTo(202);
            String id = Api.json(accepted).path("id").asText();
            await("run " + id + " running on replica-b").atMost(Duration.ofSeconds(30))
                    .until(() -> b.api().status(id).equals("running"));
            ServerProcess a = replica(database, "replica-a");

            Outcome both = cli(a, "replicas", "list");
            assertThat(both.exitCode()).as(both.err()).isZero();
            assertThat(both.outLines().getFirst()).matches("NAME +ALIVE +RUNNING/SLOTS +HOST +URL +LAST HEARTBEAT");
            assertThat(both.outLines()).hasSize(3)
                    .anySatisfy(line -> assertThat(line).matches("replica-a \\* +yes +0/16 +.*"))
                    .anySatisfy(line -> assertThat(line).matches("replica-b +yes +1/16 +.*"));
            Outcome alive = cli(a, "replicas", "forget", "replica-b");
            assertThat(alive.exitCode()).isEqualTo(1);
            assertThat(alive.err()).startsWith("light-run: conflict: replica 'replica-b' is alive");
            Outcome self = cli(a, "replicas", "forget", "replica-a");
            assertThat(self.exitCode()).isEqualTo(1);
            assertThat(self.err()).startsWith("light-run: conflict: replica 'replica-a' is this one");

            b.kill9();
            await("replica-b counted gone").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cli(a, "replicas", "list").outLines().stream()
                            .anyMatch(line -> line.matches("replica-b +no +.*")));

            HttpResponse<String> logs = a.api().get("/runs/" + id + "/logs");
            assertThat(logs.statusCode()).as("logs through replica-a: %s", logs.body()).isEqualTo(503);
            assertThat(Api.json(logs).path("error").asText()).isEqualTo("unavailable");
            HttpResponse<String> cancel = a.api().post("/runs/" + id + "/cancel", "");
            assertThat(cancel.statusCode()).as("cancel through replica-a: %s", cancel.body()).isEqualTo(503);
            assertThat(Api.json(cancel).path("error").asText()).isEqualTo("unavailable");

            Outcome forget = cli(a, "replicas", "forget", "replica-b");
            assertThat(forget.exitCode()).as(forget.err()).isZero();
            assertThat(forget.out().strip())
                    .isEqualTo("replica replica-b forgotten: 1 run(s) it was executing ended failed (REPLICA_LOST)");
            JsonNode ended = a.api().run(id);
            assertThat(ended.path("status").asText()).isEqualTo("failed");
            assertThat(ended.path("errorCode").asText()).isEqualTo("REPLICA_LOST");
            assertThat(ended.path("error").asText()).contains("its replica 'replica-b' was declared gone");
            // The replica that forgot it took the run over (it sends its callback), but the state still names the
            // replica it executed on: that is where it was lost.
            assertThat(ended.path("replica").asText()).isEqualTo("replica-b");
            assertThat(cli(a, "get", id).outLines()).contains("replica:   replica-b");
            Outcome after = cli(a, "replicas", "list");
            assertThat(after.outLines()).hasSize(2).last().asString().startsWith("replica-a *");
            Outcome again = cli(a, "replicas", "forget", "replica-b");
            assertThat(again.exitCode()).isEqualTo(1);
            assertThat(again.err().strip()).isEqualTo("light-run: not_found: replica 'replica-b' is not known");
        }
    }

    private static Map<String, Object> withDetached(Map<String, Object> request) {
        Map<String, Object> body = new LinkedHashMap<>(request);
        body.put("detached", true);
        return body;
    }
}
