package dev.lightrun.server.cli;

import dev.lightrun.server.auth.ApiKey;
import dev.lightrun.server.auth.KeyRing;
import dev.lightrun.server.auth.KeysFile;
import dev.lightrun.server.model.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code light-run keys add|list|remove}, in-process. */
class KeysCommandTest {
    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = LightRunCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(exit, out.toString(), err.toString());
    }

    private Path file() {
        return dir.resolve("conf").resolve("keys.json");
    }

    @Test
    void addPrintsATokenOnceAndStoresOnlyItsDigest() throws Exception {
        Result added = run("keys", "add", "team-a", "--scopes", "run,read", "--max-concurrent", "2", "--max-queued",
                "10", "--runs-per-minute", "60", "--max-timeout-ms", "600000", "--max-memory", "1024", "--max-cpus",
                "1.5", "--allowed-images", "python:3.*,local/*", "--file", file().toString());

        assertThat(added.exit()).as(added.err()).isZero();
        String token = added.out().strip();
        assertThat(token).matches("lr_[A-Za-z0-9_-]{43}");
        assertThat(added.err()).contains("key 'team-a' added to").doesNotContain(token);
        String stored = Files.readString(file());
        assertThat(stored).doesNotContain(token).doesNotContain(token.substring(3));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-------");

        ApiKey key = KeysFile.read(file()).getFirst();
        assertThat(key.scopes()).containsExactlyInAnyOrder(Scope.RUN, Scope.READ);
        assertThat(key.quota().maxConcurrent()).isEqualTo(2);
        assertThat(key.quota().maxQueued()).isEqualTo(10);
        assertThat(key.quota().runsPerMinute()).isEqualTo(60);
        assertThat(key.quota().maxTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(key.quota().maxMemoryMib()).isEqualTo(1024L);
        assertThat(key.quota().maxCpus()).isEqualTo(1.5);
        assertThat(key.quota().allowedImages()).containsExactly("python:3.*", "local/*");
        assertThat(new KeyRing(List.of(key)).find(token).orElseThrow().name()).isEqualTo("team-a");
    }

    @Test
    void listShowsNamesScopesAndQuotasButNoDigest() {
        run("keys", "add", "team-a", "--scopes", "read,run", "--max-concurrent", "2", "--file", file().toString());
        run("keys", "add", "ops", "--scopes", "admin", "--file", file().toString());

        Result listed = run("keys", "list", "--file", file().toString());

        assertThat(listed.exit()).isZero();
        assertThat(listed.out().lines().toList()).containsExactly(
                "team-a\trun,read\t{\"maxConcurrent\":2}",
                "ops\tadmin");
        for (ApiKey key : KeysFile.read(file())) {
            assertThat(listed.out()).doesNotContain(dev.lightrun.server.auth.Tokens.hex(key.tokenSha256()));
        }
    }

    @Test
    void removeTakesTheKeyOut() {
        run("keys", "add", "team-a", "--scopes", "run", "--file", file().toString());
        run("keys", "add", "team-b", "--scopes", "run", "--file", file().toString());

        Result removed = run("keys", "remove", "team-a", "--file", file().toString());

        assertThat(removed.exit()).isZero();
        assertThat(KeysFile.read(file())).extracting(ApiKey::name).containsExactly("team-b");
    }

    @Test
    void badInputIsOneLineAndExitCode2() {
        String path = file().toString();
        run("keys", "add", "team-a", "--scopes", "run", "--file", path);

        assertInvalid(run("keys", "add", "team-a", "--scopes", "run", "--file", path),
                "light-run: a key named 'team-a' is already in " + path + "; remove it first to issue a new token");
        assertInvalid(run("keys", "add", "team-b", "--scopes", "run,write", "--file", path),
                "light-run: invalid --scopes: unknown scope 'write'; use run, read, build, networks or admin");
        assertInvalid(run("keys", "add", "team b", "--scopes", "run", "--file", path),
                "light-run: invalid NAME 'team b': use 1..64 of A-Z a-z 0-9 . _ - starting with a letter or digit");
        assertInvalid(run("keys", "add", "team-b", "--scopes", "run", "--max-concurrent", "0", "--file", path),
                "light-run: invalid --max-concurrent: must be a whole number >= 1, was 0");
        assertInvalid(run("keys", "add", "team-b", "--scopes", ",", "--file", path),
                "light-run: invalid --scopes: name at least one of run, read, build, networks, admin");
        assertInvalid(run("keys", "remove", "nobody", "--file", path),
                "light-run: no key named 'nobody' in " + path);
        assertThat(run("keys", "add", "team-b", "--scopes", "run").exit()).isEqualTo(2);
        assertThat(KeysFile.read(file())).extracting(ApiKey::name).containsExactly("team-a");
    }

    @Test
    void aBrokenFileIsNotOverwritten() throws Exception {
        Files.createDirectories(file().getParent());
        Files.writeString(file(), "{\"keys\": [");

        Result result = run("keys", "add", "team-a", "--scopes", "run", "--file", file().toString());

        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err()).startsWith("light-run: " + file() + ": not valid JSON");
        assertThat(Files.readString(file())).isEqualTo("{\"keys\": [");
    }

    private static void assertInvalid(Result result, String line) {
        assertThat(result.exit()).as(result.err()).isEqualTo(2);
        assertThat(result.err().lines().toList()).containsExactly(line);
        assertThat(result.out()).isEmpty();
    }
}
