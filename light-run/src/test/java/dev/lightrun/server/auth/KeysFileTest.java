package dev.lightrun.server.auth;

import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The keys file: the documented shape is read; every malformed field is one message naming the key and field. */
class KeysFileTest {
    static final String DIGEST = Tokens.hex(Tokens.sha256("lr_team-a-token"));

    @TempDir
    Path dir;

    private static List<ApiKey> parse(String json) {
        return KeysFile.parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8), "keys.json");
    }

    /** One key with {@code fields} in place of scopes and quota. */
    private static String keyWith(String fields) {
        return "{'keys': [{'name': 'team-a', 'tokenSha256': '" + DIGEST + "', " + fields + "}]}";
    }

    @Test
    void readsTheDocumentedShape() {
        List<ApiKey> keys = parse("""
                {'keys': [
                  {'name': 'team-a', 'tokenSha256': '%s', 'scopes': ['run', 'read'],
                   'quota': {'maxConcurrent': 2, 'maxQueued': 10, 'runsPerMinute': 60, 'maxTimeoutMs': 600000,
                             'maxMemory': 1024, 'maxCpus': 1.0, 'allowedImages': ['python:3.*', 'local/*']}},
                  {'name': 'ops', 'tokenSha256': '%s', 'scopes': ['ADMIN']}
                ]}""".formatted(DIGEST, DIGEST.toUpperCase()));

        assertThat(keys).hasSize(2);
        ApiKey teamA = keys.getFirst();
        assertThat(teamA.name()).isEqualTo("team-a");
        assertThat(teamA.tokenSha256()).isEqualTo(Tokens.sha256("lr_team-a-token"));
        assertThat(teamA.scopes()).containsExactlyInAnyOrder(Scope.RUN, Scope.READ);
        assertThat(teamA.quota()).isEqualTo(new Quota(2, 10, 60, Duration.ofMinutes(10), 1024L, 1.0,
                List.of("python:3.*", "local/*")));
        assertThat(keys.get(1).quota()).isEqualTo(Quota.UNLIMITED);
        assertThat(keys.get(1).tokenSha256()).as("upper-case hex reads the same").isEqualTo(teamA.tokenSha256());
        assertThat(teamA.toString()).doesNotContain(DIGEST).contains("team-a");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            not JSON                 | {'keys': [                                                       | keys.json: not valid JSON at line 1
            not an object            | []                                                               | keys.json: must be an object
            no keys array            | {'keys': {}}                                                     | keys.json: keys: must be an array
            unknown top field        | {'keys': [], 'extra': 1}                                         | keys.json: extra: unknown field
            duplicate JSON key       | {'keys': [], 'keys': []}                                         | keys.json: not valid JSON at line 1
            key not an object        | {'keys': ['team-a']}                                             | keys.json: keys[0]: must be an object
            missing name             | {'keys': [{'scopes': ['run']}]}                                  | keys.json: keys[0]: name: must be 1..64
            bad name                 | {'keys': [{'name': 'a b'}]}                                      | keys.json: keys[0]: name: must be 1..64
            """)
    void refusesAMalformedFile(String what, String json, String message) {
        assertThatThrownBy(() -> parse(json)).as(what).isInstanceOf(KeysFileException.class)
                .hasMessageStartingWith(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            unknown key field         | 'scopes': ['run'], 'token': 'x'                         | key 'team-a': token: unknown field
            no scopes                 | 'quota': {}                                             | key 'team-a': scopes: must be a non-empty array
            empty scopes              | 'scopes': []                                            | key 'team-a': scopes: must be a non-empty array
            unknown scope             | 'scopes': ['run', 'write']                              | key 'team-a': scopes: unknown scope 'write'
            scope not a string        | 'scopes': [1]                                           | key 'team-a': scopes: must be strings
            quota not an object       | 'scopes': ['run'], 'quota': 5                           | key 'team-a': quota: must be an object
            unknown quota field       | 'scopes': ['run'], 'quota': {'maxGpus': 1}              | key 'team-a': quota: maxGpus: unknown field
            zero maxConcurrent        | 'scopes': ['run'], 'quota': {'maxConcurrent': 0}        | key 'team-a': quota.maxConcurrent: must be a whole number >= 1
            negative maxQueued        | 'scopes': ['run'], 'quota': {'maxQueued': -1}           | key 'team-a': quota.maxQueued: must be a whole number >= 0
            fractional runsPerMinute  | 'scopes': ['run'], 'quota': {'runsPerMinute': 1.5}      | key 'team-a': quota.runsPerMinute: must be a whole number
            string maxTimeoutMs       | 'scopes': ['run'], 'quota': {'maxTimeoutMs': '600000'}  | key 'team-a': quota.maxTimeoutMs: must be a whole number
            huge maxMemory            | 'scopes': ['run'], 'quota': {'maxMemory': 99999999999}  | key 'team-a': quota.maxMemory: must be a whole number
            zero maxCpus              | 'scopes': ['run'], 'quota': {'maxCpus': 0}              | key 'team-a': quota.maxCpus: must be a positive number
            empty allowedImages       | 'scopes': ['run'], 'quota': {'allowedImages': []}       | key 'team-a': quota.allowedImages: must be a non-empty array
            blank image glob          | 'scopes': ['run'], 'quota': {'allowedImages': [' ']}    | key 'team-a': quota.allowedImages: must be image globs
            """)
    void refusesABadKeyNamingTheKeyAndField(String what, String fields, String message) {
        assertThatThrownBy(() -> parse(keyWith(fields))).as(what).isInstanceOf(KeysFileException.class)
                .hasMessageStartingWith("keys.json: " + message);
    }

    @Test
    void refusesADigestThatIsNot64HexDigits() {
        for (String digest : List.of("", "abc", DIGEST + "0", DIGEST.substring(1) + "g", "lr_team-a-token")) {
            assertThatThrownBy(() -> parse("{'keys': [{'name': 'team-a', 'tokenSha256': '" + digest
                    + "', 'scopes': ['run']}]}"))
                    .as(digest).isInstanceOf(KeysFileException.class)
                    .hasMessage("keys.json: key 'team-a': tokenSha256: must be the SHA-256 of the token as 64 hex digits");
        }
    }

    @Test
    void refusesTwoKeysOfOneName() {
        String key = "{'name': 'team-a', 'tokenSha256': '" + DIGEST + "', 'scopes': ['run']}";
        assertThatThrownBy(() -> parse("{'keys': [" + key + ", " + key + "]}"))
                .isInstanceOf(KeysFileException.class)
                .hasMessage("keys.json: key 'team-a': name: used by another key");
    }

    @Test
    void aMissingFileIsOneLine() {
        assertThatThrownBy(() -> KeysFile.read(dir.resolve("nope.json")))
                .isInstanceOf(KeysFileException.class).hasMessage(dir.resolve("nope.json") + ": no such file");
    }

    @Test
    void writesAtomicallyWithOwnerOnlyModeAndReadsBackTheSameKeys() throws Exception {
        Path file = dir.resolve("keys.json");
        List<ApiKey> keys = List.of(
                new ApiKey("team-a", Tokens.sha256("t1"), Set.of(Scope.READ, Scope.RUN),
                        new Quota(2, 0, null, Duration.ofSeconds(30), null, 0.5, List.of("local/*"))),
                new ApiKey("ops", Tokens.sha256("t2"), Set.of(Scope.ADMIN), Quota.UNLIMITED));

        KeysFile.write(file, keys);

        assertThat(KeysFile.read(file)).isEqualTo(keys);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(file)).contains("\"scopes\" : [ \"run\", \"read\" ]")
                .doesNotContain("\"t1\"").doesNotContain("maxConcurrent\" : null");
        try (var left = Files.list(dir)) {
            assertThat(left).as("no temporary file left").containsExactly(file);
        }
    }
}
