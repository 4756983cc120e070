package dev.lightrun.server.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.lightrun.client.Replica;
import dev.lightrun.client.ReplicaList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code light-run replicas list|forget} against a fake server on loopback that answers canned JSON: the table, the
 * JSON, the exit codes and error lines, the token; the real routes are checked by ClientCliIT and the replica ITs.
 */
class ReplicasCommandTest {
    private static final String TWO_REPLICAS = """
            {"self":"replica-a","replicas":[
             {"name":"replica-a","alive":true,"running":2,"slots":4,"host":"node-1","url":"http://10.0.0.5:3000",
              "startedAt":"2026-12-01T18:00:00Z","heartbeatAt":"2026-12-01T18:11:15.250Z"},
             {"name":"replica-long-name","alive":false,"running":1,"slots":16,"host":"node-2","url":null,
              "startedAt":"2026-12-01T17:00:00Z","heartbeatAt":"2026-12-01T18:01:00Z"}]}""";

    /** What a test has the fake answer: {@code "GET /replicas"} -> status and body. */
    private record Answer(int status, String json) {
    }

    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
                Answer answer = answers.getOrDefault(exchange.getRequestMethod() + " "
                                + exchange.getRequestURI().getRawPath(),
                        new Answer(404, "{\"error\":\"not_found\",\"message\":\"no such route\"}"));
                byte[] body = answer.json().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(answer.status(), body.length);
                exchange.getResponseBody().write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** Exit code, stdout and stderr of one call of the command. */
    private record Outcome(int exitCode, String out, String err) {
    }

    private Outcome replicas(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ReplicasCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] withServer = new String[args.length + 4];
        System.arraycopy(args, 0, withServer, 0, args.length);
        System.arraycopy(new String[] {"--url", "http://127.0.0.1:" + server.getAddress().getPort(),
                "--token", "adm1n"}, 0, withServer, args.length, 4);
        int code = cli.execute(withServer);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void listIsATableOfEveryReplicaWithTheOneThatAnsweredMarked() {
        answers.put("GET /replicas", new Answer(200, TWO_REPLICAS));

        Outcome outcome = replicas("list");

        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.err()).isEmpty();
        assertThat(outcome.out().lines()).containsExactly(
                "NAME               ALIVE  RUNNING/SLOTS  HOST    URL                   LAST HEARTBEAT",
                "replica-a *        yes    2/4            node-1  http://10.0.0.5:3000  2026-12-01 18:11:15Z",
                "replica-long-name  no     1/16           node-2  -                     2026-12-01 18:01:00Z");
        assertThat(authorizations).containsExactly("Bearer adm1n");
    }

    @Test
    void listJsonIsTheApisAnswer() throws IOException {
        answers.put("GET /replicas", new Answer(200, TWO_REPLICAS));

        Outcome outcome = replicas("list", "--json");

        assertThat(outcome.exitCode()).isZero();
        JsonNode json = ClientCommand.JSON.readTree(outcome.out());
        assertThat(json).isEqualTo(ClientCommand.JSON.readTree(TWO_REPLICAS));
    }

    @Test
    void aServerThatRunsAloneListsNothingAndSaysWhy() {
        answers.put("GET /replicas", new Answer(200, "{\"self\":null,\"replicas\":[]}"));

        Outcome outcome = replicas("list");

        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.out()).isEmpty();
        assertThat(outcome.err().strip()).isEqualTo("light-run: http://127.0.0.1:" + server.getAddress().getPort()
                + " runs alone: replicas share a PostgreSQL store (LIGHT_RUN_STORE_URL)");
    }

    @Test
    void forgetSaysHowManyRunsEnded() throws IOException {
        answers.put("DELETE /replicas/replica-b", new Answer(200, "{\"replica\":\"replica-b\",\"runsEnded\":3}"));

        Outcome outcome = replicas("forget", "replica-b");
        Outcome json = replicas("forget", "replica-b", "--json");

        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.out().strip())
                .isEqualTo("replica replica-b forgotten: 3 run(s) it was executing ended failed (REPLICA_LOST)");
        assertThat(ClientCommand.JSON.readTree(json.out()))
                .isEqualTo(ClientCommand.JSON.readTree("{\"replica\":\"replica-b\",\"runsEnded\":3}"));
    }

    @Test
    void forgettingAnAliveOrUnknownReplicaIsOneLineAndExit1() {
        answers.put("DELETE /replicas/replica-a", new Answer(409, "{\"error\":\"conflict\",\"message\":\"replica"
                + " 'replica-a' is alive (last heartbeat 2026-12-01T18:11:15Z); stop it before forgetting it\"}"));
        answers.put("DELETE /replicas/nobody", new Answer(404,
                "{\"error\":\"not_found\",\"message\":\"replica 'nobody' is not known\"}"));

        Outcome alive = replicas("forget", "replica-a");
        Outcome unknown = replicas("forget", "nobody");

        assertThat(alive.exitCode()).isEqualTo(ClientCommand.EXIT_FAILED);
        assertThat(alive.out()).isEmpty();
        assertThat(alive.err().lines()).containsExactly("light-run: conflict: replica 'replica-a' is alive (last"
                + " heartbeat 2026-12-01T18:11:15Z); stop it before forgetting it");
        assertThat(unknown.exitCode()).isEqualTo(ClientCommand.EXIT_FAILED);
        assertThat(unknown.err().lines()).containsExactly("light-run: not_found: replica 'nobody' is not known");
    }

    @Test
    void aKeyWithoutTheAdminScopeIsOneLineAndExit1() {
        answers.put("GET /replicas", new Answer(403, "{\"error\":\"forbidden\",\"scope\":\"admin\","
                + "\"message\":\"this key lacks the admin scope\"}"));

        Outcome outcome = replicas("list");

        assertThat(outcome.exitCode()).isEqualTo(ClientCommand.EXIT_FAILED);
        assertThat(outcome.err().lines()).containsExactly("light-run: forbidden: this key lacks the admin scope");
    }

    @Test
    void withoutASubcommandItPrintsItsUsage() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new ReplicasCommand());
        cli.setOut(new PrintWriter(out, true));

        int code = cli.execute();

        assertThat(code).isZero();
        assertThat(out.toString()).contains("Usage: replicas", "list", "forget");
        assertThat(authorizations).as("nothing was asked of the server").isEmpty();
    }

    @Test
    void aReplicaWithoutHostOrUrlShowsDashes() {
        StringWriter out = new StringWriter();

        Tables.replicas(new PrintWriter(out, true), new ReplicaList("b", List.of(new Replica("b", true, 0, 1, null,
                null, Instant.EPOCH, Instant.parse("2026-12-01T18:11:15Z")))));

        assertThat(out.toString().lines()).containsExactly(
                "NAME  ALIVE  RUNNING/SLOTS  HOST  URL  LAST HEARTBEAT",
                "b *   yes    0/1            -     -    2026-12-01 18:11:15Z");
    }
}
