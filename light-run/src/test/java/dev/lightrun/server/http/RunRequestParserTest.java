package dev.lightrun.server.http;

import dev.lightrun.server.callbacks.CallbackGuard;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.FieldError;
import dev.lightrun.server.runs.RunRequest;
import dev.lightrun.server.runs.RunRequestRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The body of {@code POST /run} through the parser and its rules, as a client sees a refusal: 400 {@code bad_request}
 * with each field's path and message. Bodies are written in single quotes for readability and turned into JSON.
 */
class RunRequestParserTest {
    private static final RunPolicy POLICY = RunPolicy.builder().maxMemoryMiB(4096).maxCpus(4).maxPids(4096)
            .runtimes(Set.of("runsc")).build();
    /** One parser for the class: its validator bootstrap is the slow part. */
    private static final RunRequestParser PARSER = new RunRequestParser(
            new RunRequestRules(false, POLICY, new CallbackGuard(List.of())));
    private static final String BASE = "'image': 'alpine:3', 'files': {'main.sh': 'echo hi'}, 'entrypoint': 'sh main.sh'";

    private static RunRequest parse(String fields) {
        return PARSER.parse(("{" + fields.replace('\'', '"') + "}").getBytes(StandardCharsets.UTF_8));
    }

    /** The details of the 400 that parsing {@code fields} answers. */
    private static List<FieldError> refusal(String fields) {
        try {
            parse(fields);
        } catch (ApiException e) {
            assertThat(e.error()).isEqualTo(ApiError.BAD_REQUEST);
            assertThat(e.getMessage()).isEqualTo(e.details().getFirst().path() + ": " + e.details().getFirst().message());
            return e.details();
        }
        throw new AssertionError("accepted: " + fields);
    }

    private static void assertRefused(String fields, String path, String message) {
        assertThat(refusal(fields)).containsExactly(new FieldError(path, message));
    }

    @Test
    void validBodyParsesWithDefaultsFilledIn() {
        RunRequest request = parse(BASE + ", 'timeout': 5000, 'env': {'A_1': 'x'}, 'extract': ['/app/out']");

        assertThat(request.image()).isEqualTo("alpine:3");
        assertThat(request.files().get("main.sh").asText()).isEqualTo("echo hi");
        assertThat(request.timeout()).isEqualTo(5000L);
        assertThat(request.env()).containsEntry("A_1", "x");
        assertThat(request.extract()).containsExactly("/app/out");
        assertThat(request.run()).isEmpty();
        assertThat(request.isDetached()).isFalse();
    }

    @Test
    void unknownFieldIsRefusedByName() {
        assertRefused(BASE + ", 'timout': 5000", "timout", "unknown field");
    }

    @Test
    void emptyBodyIsRefused() {
        assertThatThrownBy(() -> PARSER.parse(new byte[0])).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.details()).containsExactly(new FieldError("$", "body is empty; send a JSON object")));
    }

    @Test
    void bodyThatIsNotAnObjectIsRefused() {
        assertThatThrownBy(() -> PARSER.parse("[1]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(ApiException.class,
                        e -> assertThat(e.details()).containsExactly(new FieldError("$", "body must be a JSON object")));
    }

    @Test
    void malformedJsonIsRefusedAtTheRoot() {
        assertThatThrownBy(() -> PARSER.parse("{\"image\": ".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.details()).singleElement()
                        .satisfies(d -> {
                            assertThat(d.path()).isEqualTo("$");
                            assertThat(d.message()).startsWith("malformed JSON: ");
                        }));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0       | must be greater than 0",
            "-5      | must be greater than 0",
            "3600001 | must be less than or equal to 3600000",
    })
    void timeoutOutOfBoundsIsRefused(String timeout, String message) {
        assertRefused(BASE + ", 'timeout': " + timeout, "timeout", message);
    }

    @Test
    void timeoutOfAnHourIsTheMost() {
        assertThat(parse(BASE + ", 'timeout': 3600000").timeout()).isEqualTo(3_600_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"'10s'", "1.5", "true", "{}"})
    void timeoutOfTheWrongTypeIsRefused(String timeout) {
        assertThat(refusal(BASE + ", 'timeout': " + timeout)).singleElement().satisfies(d -> {
            assertThat(d.path()).isEqualTo("timeout");
            assertThat(d.message()).startsWith("has the wrong type: ");
        });
    }

    @Test
    void wrongTypeInsideAMapNamesTheKey() {
        assertThat(refusal("'image': 'alpine:3', 'files': {'a.txt': 'x'}, 'env': {'A': ['x']}"))
                .singleElement().satisfies(d -> assertThat(d.path()).isEqualTo("env[A]"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "../x        | files[../x]        | file path must not contain '..', '.' or empty segments: '../x'",
            "a/../../x   | files[a/../../x]   | file path must not contain '..', '.' or empty segments: 'a/../../x'",
            "./x         | files[./x]         | file path must not contain '..', '.' or empty segments: './x'",
            "a//b        | files[a//b]        | file path must not contain '..', '.' or empty segments: 'a//b'",
            "/etc/passwd | files[/etc/passwd] | file path must be relative, was '/etc/passwd'",
            "a\\\\b      | files[a\\b]        | file path must not contain NUL or backslash: 'a\\b'",
    })
    void unsafeFilePathIsRefusedNamingThePath(String path, String field, String message) {
        assertRefused("'image': 'alpine:3', 'files': {'" + path + "': 'x'}", field, message);
    }

    @Test
    void fileContentMustBeTextOrBase64() {
        assertRefused("'image': 'alpine:3', 'files': {'a.bin': {'base64': '***'}}", "files[a.bin]",
                "base64 content is not valid base64");
        assertRefused("'image': 'alpine:3', 'files': {'a.bin': 42}", "files[a.bin]",
                "content must be a string or {\"base64\": \"...\"}");
        assertThat(parse("'image': 'alpine:3', 'files': {'a.bin': {'base64': 'AAEC'}}").files()).containsKey("a.bin");
    }

    @Test
    void filesAndImageAreRequired() {
        assertThat(refusal("'entrypoint': 'true'")).containsExactly(
                new FieldError("files", "must not be null"), new FieldError("image", "must not be null"));
        assertRefused("'image': 'alpine:3', 'files': {}", "files", "must contain at least one file");
    }

    @Test
    void imageWithSpacesIsRefused() {
        assertRefused("'image': 'alpine 3', 'files': {'a': 'x'}", "image", "must not contain spaces");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"A-B", "1ABC", "A B", "É"})
    void envNameOutsideThePosixSetIsRefused(String name) {
        assertRefused(BASE + ", 'env': {'" + name + "': 'x'}", "env[" + name + "]",
                "name must match [A-Za-z_][A-Za-z0-9_]*");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "relative/out | extract path must be absolute, was 'relative/out'",
            "/app/../etc  | extract path must be normalized, without '..', '.' or '//': '/app/../etc'",
            "/            | extract path must not be the root folder",
    })
    void unsafeExtractPathIsRefusedByIndex(String path, String message) {
        assertRefused(BASE + ", 'extract': ['/app/ok', '" + path + "']", "extract[1]", message);
    }

    @Test
    void extractPathsSharingALastNameAreRefused() {
        assertRefused(BASE + ", 'extract': ['/a/out', '/b/out/']", "extract[1]",
                "another extract path has the same last name");
    }

    @Test
    void callbackFieldsNeedDetached() {
        assertThat(refusal(BASE + ", 'callbackUrl': 'https://8.8.8.8/hook', 'callbackSecret': '0123456789abcdef'"))
                .containsExactly(new FieldError("callbackSecret", "only allowed with detached: true"),
                        new FieldError("callbackUrl", "only allowed with detached: true"));
    }

    @Test
    void callbackSecretNeedsAUrl() {
        assertRefused(BASE + ", 'detached': true, 'callbackSecret': '0123456789abcdef'", "callbackSecret",
                "needs a callbackUrl");
    }

    @Test
    void callbackSecretShorterThanSixteenIsRefused() {
        assertRefused(BASE + ", 'detached': true, 'callbackUrl': 'https://8.8.8.8/hook', 'callbackSecret': 'short'",
                "callbackSecret", "size must be between 16 and 200");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ftp://8.8.8.8/hook  | must be an http or https URL with a host",
            "https:///hook       | must be an http or https URL with a host",
            "http://10.0.0.7/x   | host 10.0.0.7 resolves to the internal address 10.0.0.7; allow it with LIGHT_RUN_CALLBACK_ALLOW if that is intended",
            "http://[::1]:80/x   | host [::1] resolves to the internal address 0:0:0:0:0:0:0:1; allow it with LIGHT_RUN_CALLBACK_ALLOW if that is intended",
    })
    void callbackUrlMustBeAnHttpUrlToAPublicHost(String url, String message) {
        assertRefused(BASE + ", 'detached': true, 'callbackUrl': '" + url + "'", "callbackUrl", message);
    }

    @Test
    void detachedRunWithACallbackToAPublicAddressIsAccepted() {
        RunRequest request = parse(BASE + ", 'detached': true, 'callbackUrl': 'https://8.8.8.8/hook',"
                + " 'callbackSecret': '0123456789abcdef'");

        assertThat(request.isDetached()).isTrue();
        assertThat(request.callbackUrl()).isEqualTo("https://8.8.8.8/hook");
        assertThat(request.toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    void inputNeedsAnEntrypoint() {
        assertRefused("'image': 'alpine:3', 'files': {'a': 'x'}, 'input': {'n': 1}", "input",
                "needs an entrypoint to read it");
    }

    @Test
    void networkChoiceRules() {
        assertRefused(BASE + ", 'network': 'none', 'networks': ['lab']", "networks",
                "give either network or networks, not both");
        assertRefused(BASE + ", 'network': 'host'", "network", "'host' would share the host's or another container's"
                + " network; the operator has not allowed it (LIGHT_RUN_ALLOW_HOST_NETWORK)");
        assertRefused(BASE + ", 'networks': ['lab', 'lab']", "networks", "must not name a network twice");
        assertRefused(BASE + ", 'networks': ['lab', 'none']", "networks", "'none' cannot be combined with other networks");
        assertRefused(BASE + ", 'network': '-bad'", "network", "'-bad' is not a valid network name");
    }

    @Test
    void resourcesAboveTheServersMaximaAreRefusedNamingTheMaximum() {
        assertRefused(BASE + ", 'memory': 4097", "memory", "must be at most 4096 (MiB), the server's maximum");
        assertRefused(BASE + ", 'memory': 5", "memory", "must be at least 6 (MiB)");
        assertRefused(BASE + ", 'cpus': 4.5", "cpus", "must be at most 4.0, the server's maximum");
        assertRefused(BASE + ", 'pids': 5000", "pids", "must be at most 4096, the server's maximum");
    }

    @Test
    void runtimeOutsideTheAllowListIsRefusedListingTheAllowedOnes() {
        assertRefused(BASE + ", 'runtime': 'kata'", "runtime", "'kata' is not allowed here; allowed: runsc");
        assertThat(parse(BASE + ", 'runtime': 'runsc'").runtime()).isEqualTo("runsc");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"app", "/", "/app/", "/a//b", "/a/../b", "/a/./b"})
    void workdirMustBeAnAbsoluteNormalizedFolder(String workdir) {
        assertRefused(BASE + ", 'workdir': '" + workdir + "'", "workdir",
                "must be an absolute, normalized folder other than /");
    }

    @Test
    void userMustBeUidGidOrAName() {
        assertRefused(BASE + ", 'user': 'root;rm'", "user", "must be uid[:gid] or a user name");
        assertThat(parse(BASE + ", 'user': '1000:1000'").user()).isEqualTo("1000:1000");
    }

    @Test
    void blankBuildStepIsRefusedByIndex() {
        assertRefused(BASE + ", 'run': ['apk add curl', '  ']", "run[1]", "must not be blank");
    }

    @Test
    void everyBrokenFieldIsReportedSortedByPath() {
        assertThat(refusal("'image': 'alpine:3', 'files': {'../x': 'a'}, 'timeout': 0, 'env': {'A-B': 'x'}"))
                .extracting(FieldError::path, FieldError::message).containsExactly(
                        tuple("env[A-B]", "name must match [A-Za-z_][A-Za-z0-9_]*"),
                        tuple("files[../x]", "file path must not contain '..', '.' or empty segments: '../x'"),
                        tuple("timeout", "must be greater than 0"));
    }
}
