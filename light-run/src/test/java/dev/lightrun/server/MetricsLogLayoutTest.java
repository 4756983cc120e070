package dev.lightrun.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.tracing.LogCorrelation;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link JsonLogLayout}: one parseable object per line, properly escaped, with the run's id, owner and trace id. */
class MetricsLogLayoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final JsonLogLayout layout = new JsonLogLayout();

    MetricsLogLayoutTest() {
        layout.setContext(context);
        layout.start();
    }

    private LoggingEvent event(String message, Object... args) {
        return new LoggingEvent("test", context.getLogger("dev.lightrun.server.runs.RunService"), Level.INFO, message,
                null, args);
    }

    private JsonNode line(LoggingEvent event) throws Exception {
        String text = layout.doLayout(event);
        assertThat(text).endsWith("\n");
        assertThat(text.strip()).doesNotContain("\n");
        return JSON.readTree(text);
    }

    @Test
    void writesOneObjectPerLineWithRunIdAndOwner() throws Exception {
        String id = "01a2323f-5838-7000-9e6e-ddc496dd67a6";
        LogCorrelation.EVENTS.accepted(RunState.running(id, "alpine:3", "team-a", false, Instant.now()));
        JsonNode line = line(event("run {} - accepted (image {}, {})", id, "alpine:3", "sync"));
        assertThat(line.path("level").asText()).isEqualTo("INFO");
        assertThat(line.path("logger").asText()).isEqualTo("dev.lightrun.server.runs.RunService");
        assertThat(line.path("message").asText()).isEqualTo("run " + id + " - accepted (image alpine:3, sync)");
        assertThat(line.path("runId").asText()).isEqualTo(id);
        assertThat(line.path("owner").asText()).isEqualTo("team-a");
        assertThat(Instant.parse(line.path("time").asText())).isNotNull();

        JsonNode request = line(event("POST /run 200 12 ms run=" + id));
        assertThat(request.path("runId").asText()).isEqualTo(id);
    }

    @Test
    void escapesQuotesNewlinesAndControlCharacters() throws Exception {
        String nasty = "a \"quoted\" \\ back\nslash\ttab \u0001 and </script> \u2028 é";
        JsonNode line = line(event("{}", nasty));
        assertThat(line.path("message").asText()).isEqualTo(nasty);
        assertThat(line.has("runId")).isFalse();
    }

    @Test
    void takesTheTraceIdFromTheMdcAndWritesErrorsOnOneLine() throws Exception {
        MDC.put("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
        try {
            LoggingEvent failed = new LoggingEvent("test", context.getLogger("x"), Level.ERROR, "boom",
                    new IllegalStateException("outer", new RuntimeException("inner")), null);
            JsonNode line = line(failed);
            assertThat(line.path("traceId").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(line.path("error").asText()).contains("IllegalStateException: outer", "Caused by: ",
                    "inner", "\tat ");
        } finally {
            MDC.remove("trace_id");
        }
    }

    @Test
    void logFormatIsJsonOnlyWhenAsked() {
        assertThat(ServerLogging.json("json")).isTrue();
        assertThat(ServerLogging.json(" JSON ")).isTrue();
        assertThat(ServerLogging.json(null)).isFalse();
        assertThat(ServerLogging.json("text")).isFalse();
    }
}
