package dev.lightrun.client;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The records and their JSON, without a server. */
class ModelTest {
    @Test
    void aStatusOfANewerServerReadsAsUnknownAndAFinishTimeStillEndsIt() throws Exception {
        RunState state = Json.MAPPER.readValue("""
                {"id":"x","status":"archived","finishedAt":"2026-11-27T07:12:31Z","newField":true}""",
                RunState.class);

        assertThat(state.status()).isEqualTo(RunStatus.UNKNOWN);
        assertThat(state.isFinished()).isTrue();
        assertThat(state.artifacts()).isEmpty();
        assertThat(state.logs()).isEqualTo(RunState.Logs.EMPTY);
        assertThat(state.replica()).as("an older server, or one that runs alone, names no replica").isNull();
    }

    @Test
    void aStateIsWrittenBackTheWayTheApiWritesIt() throws Exception {
        String json = """
                {"id":"x","status":"failed","image":"img","detached":true,"owner":null,\
                "queuedAt":"2026-11-27T07:12:30.700Z","startedAt":null,"finishedAt":"2026-11-27T07:12:31Z",\
                "exitCode":3,"durationMs":1500,"timedOut":false,"oomKilled":false,"artifacts":[],\
                "error":"container exited with code 3","errorCode":"NONZERO_EXIT",\
                "logs":{"stdout":"","stderr":"","stdoutTruncated":false,"stderrTruncated":false},\
                "timings":{"run":1500},"callback":null,"replica":"replica-b"}""";

        RunState state = Json.MAPPER.readValue(json, RunState.class);

        assertThat(state.duration()).isEqualTo(Duration.ofMillis(1500));
        assertThat(state.replica()).isEqualTo("replica-b");
        assertThat(Json.MAPPER.readTree(LightRunClient.jsonMapper().writeValueAsString(state)))
                .isEqualTo(Json.MAPPER.readTree(json));
    }

    @Test
    void logLineOfStderr() {
        LogLine line = LogLines.parse("{\"t\":\"2026-11-27T07:12:31.5Z\",\"stream\":\"stderr\",\"line\":\"oops\"}");

        assertThat(line.stream()).isEqualTo(LogLine.Stream.STDERR);
        assertThat(line.line()).isEqualTo("oops");
        assertThat(line.time()).hasToString("2026-11-27T07:12:31.500Z");
    }

    @Test
    void utf8FilesAreSentAsTextOthersAsBase64() {
        assertThat(FileContent.detect("héllo\n".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(FileContent.text("héllo\n"));
        assertThat(FileContent.detect(new byte[] {(byte) 0xc3, (byte) 0x28})).isInstanceOf(FileContent.Binary.class);
        assertThat(FileContent.detect(new byte[] {'a', 0, 'b'})).isInstanceOf(FileContent.Binary.class);
    }

    @Test
    void requestToStringMasksSecrets() {
        RunRequest request = RunRequest.builder("img").file("secret.txt", "file-content").env("API_KEY", "s3cr3t")
                .input("the-input").callback("https://h.example", "callback-secret-123").build();

        assertThat(request.toString()).contains("API_KEY", "secret.txt", "<masked>")
                .doesNotContain("s3cr3t", "the-input", "callback-secret-123", "file-content");
    }

    @Test
    void aRequestNeedsAnImage() {
        assertThatThrownBy(() -> RunRequest.builder().file("a", "b").build())
                .isInstanceOf(IllegalStateException.class).hasMessage("image was not specified");
    }

    @Test
    void inputThatIsNotJsonIsRefusedAtOnce() {
        assertThatThrownBy(() -> RunRequest.builder("img").inputJson("{nope"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("input is not valid JSON");
    }

    @Test
    void clientSettingsAreChecked() {
        assertThatThrownBy(() -> LightRunClient.builder().url(URI.create("ftp://x")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("url must be an http or https URL");
        assertThatThrownBy(() -> LightRunClient.builder().requestTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("requestTimeout must be a positive duration; got PT0S");
        assertThat(LightRunClient.builder().token("tok3n").toString()).doesNotContain("tok3n");
    }
}
