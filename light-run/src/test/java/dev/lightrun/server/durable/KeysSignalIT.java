package dev.lightrun.server.durable;

import dev.lightrun.server.auth.ApiKey;
import dev.lightrun.server.auth.KeysFile;
import dev.lightrun.server.auth.Tokens;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The real process: {@code kill -HUP} reloads the keys file (a change the file watch cannot see), a broken file is one
 * log line and the keys stay, and no token, env value or input ever reaches the log or the audit file.
 */
class KeysSignalIT {
    static final String ADMIN = "admin-token-9e1b77";
    static final String FIRST = "lr_first-token-0c4d2a";
    static final String SECOND = "lr_second-token-5b3e1";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;

    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static HttpResponse<String> send(ServerProcess server, String token, String method, String path,
                                             String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.api().uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return ServerProcess.send(CLIENT, request.build());
    }

    private static void writeTeamA(Path file, String token) throws Exception {
        KeysFile.write(file, List.of(new ApiKey("team-a", Tokens.sha256(token), Set.of(Scope.RUN, Scope.READ),
                Quota.UNLIMITED)));
    }

    private static void hangUp(ServerProcess server) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(server.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    @Test
    void sighupReloadsTheKeysAndNoSecretReachesTheLog() throws Exception {
        Path keys = root.resolve("keys.json");
        writeTeamA(keys, FIRST);
        ServerProcess server = servers.start(ServerProcess.Setup.in(root, "--token", ADMIN, "--keys-file",
                keys.toString()));

        String body = Api.JSON.writeValueAsString(Map.of("image", Api.BUSYBOX, "entrypoint", "cat; echo",
                "files", Map.of("a.txt", "file-secret-6d1f"), "env", Map.of("PASS", "env-secret-2a9c"),
                "input", Map.of("password", "input-secret-77e0")));
        HttpResponse<String> run = send(server, FIRST, "POST", "/run", body);
        assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
        assertThat(run.body()).contains("\"owner\":\"team-a\"").doesNotContain(FIRST);
        assertThat(send(server, "lr_wrong-guess-1234", "GET", "/runs", null).statusCode()).isEqualTo(401);

        // Same size, same inode, same modification time: the file watch sees no change; only SIGHUP reloads it.
        FileTime modified = Files.getLastModifiedTime(keys);
        byte[] next = KeysFile.toJson(List.of(new ApiKey("team-a", Tokens.sha256(SECOND), Set.of(Scope.RUN,
                Scope.READ), Quota.UNLIMITED)));
        assertThat(next.length).isEqualTo(Files.size(keys));
        Files.write(keys, next);
        Files.setLastModifiedTime(keys, modified);
        hangUp(server);
        await("SIGHUP reloads the keys").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> send(server, SECOND, "GET", "/runs", null).statusCode() == 200);
        assertThat(send(server, FIRST, "GET", "/runs", null).statusCode()).isEqualTo(401);

        Files.writeString(keys, "{\"keys\": [{\"name\": \"team-a\", \"scopes\": [\"write\"]}]}");
        hangUp(server);
        await("a broken file is refused in one log line").atMost(Duration.ofSeconds(10))
                .until(() -> server.log().contains("not reloaded"));
        assertThat(send(server, SECOND, "GET", "/runs", null).statusCode()).as("the previous keys stay").isEqualTo(200);
        assertThat(send(server, ADMIN, "GET", "/runs", null).statusCode()).isEqualTo(200);
        assertThat(server.isAlive()).isTrue();

        await("the watch reads the broken file no more than once").during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5)).until(() -> true);
        String log = server.log();
        assertThat(log.lines().filter(line -> line.contains("not reloaded")))
                .as("one line per refused reload (SIGHUP; the watch does not repeat it)").hasSizeBetween(1, 2)
                .allSatisfy(line -> assertThat(line).contains("key 'team-a': tokenSha256"));
        assertThat(log).contains("keys - reloaded");
        String audit = Files.readString(server.setup().dataDir().resolve("audit.jsonl"));
        assertThat(audit).contains("\"key\":\"team-a\"").contains("\"route\":\"/run\"");
        for (String secret : List.of(ADMIN, FIRST, SECOND, "lr_wrong-guess-1234", "file-secret-6d1f",
                "env-secret-2a9c", "input-secret-77e0")) {
            assertThat(log).as("the server's log holds %s", secret).doesNotContain(secret);
            assertThat(audit).as("the audit log holds %s", secret).doesNotContain(secret);
        }
    }

    @Test
    void aBrokenKeysFileAtStartIsOneLineAndExitCode2() throws Exception {
        Path keys = root.resolve("keys.json");
        Files.writeString(keys, "{\"keys\": [{\"name\": \"team-a\", \"tokenSha256\": \"abc\", \"scopes\": [\"run\"]}]}");
        ServerProcess.Setup setup = ServerProcess.Setup.in(root, "--keys-file", keys.toString());
        Process serve = new ProcessBuilder(setup.command()).redirectErrorStream(true).start();
        assertThat(serve.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> output = new String(serve.getInputStream().readAllBytes()).lines()
                .filter(line -> !line.startsWith("WARNING")).toList();
        assertThat(serve.exitValue()).isEqualTo(2);
        assertThat(output).containsExactly("light-run: invalid --keys-file / LIGHT_RUN_KEYS_FILE: " + keys
                + ": key 'team-a': tokenSha256: must be the SHA-256 of the token as 64 hex digits");
    }
}
