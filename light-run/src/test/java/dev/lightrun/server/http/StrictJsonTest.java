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

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Request bodies are read strictly: no coercion, no duplicate keys, nothing after the document. No network. */
class StrictJsonTest {
    private static final RunRequestParser PARSER = new RunRequestParser(
            new RunRequestRules(false, RunPolicy.builder().build(), new CallbackGuard(List.of())));
    private static final String FILES = "\"files\": {\"a.txt\": \"x\"}";

    private static FieldError refusal(String body) {
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> PARSER.parse(body.getBytes(StandardCharsets.UTF_8)));
        assertThat(e).as("refused: %s", body).isNotNull();
        assertThat(e.error()).isEqualTo(ApiError.BAD_REQUEST);
        assertThat(e.details()).isNotEmpty();
        return e.details().getFirst();
    }

    @Test
    void validBodyIsAccepted() {
        RunRequest request = PARSER.parse(("{\"image\": \"busybox\", \"entrypoint\": \"true\", \"cpus\": 1,"
                + " \"env\": {\"A\": \"1\"}, \"files\": {\"a\": \"x\", \"b\": {\"base64\": \"eA==\"}}}")
                .getBytes(StandardCharsets.UTF_8));

        assertThat(request.cpus()).as("an integer where a fraction is expected loses nothing").isEqualTo(1.0);
        assertThat(request.env()).containsEntry("A", "1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"image\": 123, FILES}                            | image      | must be a string",
            "{\"image\": true, FILES}                           | image      | must be a string",
            "{\"image\": \"b\", \"entrypoint\": 1, FILES}       | entrypoint | must be a string",
            "{\"image\": \"b\", \"network\": 1, FILES}          | network    | must be a string",
            "{\"image\": \"b\", \"env\": {\"A\": 1}, FILES}     | env[A]     | must be a string",
            "{\"image\": \"b\", \"env\": {\"A\": {}}, FILES}    | env[A]     | must be a string",
            "{\"image\": \"b\", \"run\": [\"ok\", 2], FILES}    | run[1]     | must be a string",
            "{\"image\": \"b\", \"timeout\": \"5\", FILES}      | timeout    | must be an integer",
            "{\"image\": \"b\", \"timeout\": 1.5, FILES}        | timeout    | must be an integer",
            "{\"image\": \"b\", \"detached\": \"true\", FILES}  | detached   | must be true or false",
            "{\"image\": \"b\", \"detached\": 1, FILES}         | detached   | must be true or false",
            "{\"image\": \"b\", \"cpus\": \"1\", FILES}         | cpus       | must be a number",
            "{\"image\": \"b\", \"env\": \"\", FILES}           | env        | must be an object",
    })
    void scalarOfAnotherTypeIsRefusedNamingTheField(String body, String path, String message) {
        FieldError error = refusal(body.replace("FILES", FILES));

        assertThat(error.path()).isEqualTo(path);
        assertThat(error.message()).isEqualTo(message);
    }

    @Test
    void filesKeepTheirTwoDocumentedForms() {
        FieldError error = refusal("{\"image\": \"b\", \"files\": {\"a\": 1}}");

        assertThat(error.path()).isEqualTo("files[a]");
        assertThat(error.message()).contains("string or {\"base64\"");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"image\": \"a\", \"image\": \"b\", FILES}                   | image",
            "{\"image\": \"a\", \"env\": {\"A\": \"1\", \"A\": \"2\"}, FILES} | env[A]",
            "{\"image\": \"a\", \"files\": {\"x\": \"1\", \"x\": \"2\"}}      | files[x]",
    })
    void duplicateKeyIsRefusedNamingIt(String body, String path) {
        FieldError error = refusal(body.replace("FILES", FILES));

        assertThat(error.path()).isEqualTo(path);
        assertThat(error.message()).isEqualTo("duplicate key");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"image\": \"b\", FILES} {}",
            "{\"image\": \"b\", FILES} 1",
            "{\"image\": \"b\", FILES}x",
            "{\"image\": \"b\", FILES}}",
    })
    void contentAfterTheDocumentIsRefused(String body) {
        FieldError error = refusal(body.replace("FILES", FILES));

        assertThat(error.path()).isEqualTo("$");
        assertThat(error.message()).startsWith("malformed JSON");
    }

    @Test
    void trailingWhitespaceIsFine() {
        assertThat(PARSER.parse(("{\"image\": \"b\", " + FILES + "}\n \r\n").getBytes(StandardCharsets.UTF_8)).image())
                .isEqualTo("b");
    }

    @Test
    void controlBodiesAreAsStrict() {
        ApiException duplicate = catchThrowableOfType(ApiException.class, () -> JsonBodies.object(
                "{\"signal\": \"INT\", \"signal\": \"KILL\"}".getBytes(StandardCharsets.UTF_8),
                Set.of("signal", "grace"), true));
        ApiException trailing = catchThrowableOfType(ApiException.class, () -> JsonBodies.object(
                "{\"grace\": 1} []".getBytes(StandardCharsets.UTF_8), Set.of("signal", "grace"), true));
        ApiException fraction = catchThrowableOfType(ApiException.class, () -> JsonBodies.integer(
                JsonBodies.object("{\"maxAgeMs\": 1.5}".getBytes(StandardCharsets.UTF_8), Set.of("maxAgeMs"), true),
                "maxAgeMs"));

        assertThat(duplicate.details().getFirst().path()).isEqualTo("signal");
        assertThat(trailing.details().getFirst().path()).isEqualTo("$");
        assertThat(fraction.details().getFirst().path()).isEqualTo("maxAgeMs");
    }
}
