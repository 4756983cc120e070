package dev.lightrun.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.lightrun.server.model.RunIds;
import dev.lightrun.server.tracing.HttpTracing;
import dev.lightrun.server.tracing.LogCorrelation;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;

/**
 * {@code LIGHT_RUN_LOG_FORMAT=json}: one JSON object per line, {@code {"time", "level", "logger", "thread",
 * "message", "runId", "owner", "traceId", "error"}} (the last four only when known), written by Jackson so every
 * value is escaped. A line about a run names it ({@code run <id> - ...}, or a request's {@code run=<id>}); its owner
 * and trace id come from {@link LogCorrelation}, a request's trace id from the MDC. It writes what the readable format
 * writes, nothing more: the server's messages never hold a token, an env value, an input or a secret.
 */
public final class JsonLogLayout extends LayoutBase<ILoggingEvent> {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int RUN_ID_LENGTH = 36;
    /** Frames of a stack trace kept per exception: enough to locate it, bounded so one line stays readable. */
    private static final int MAX_FRAMES = 30;

    @Override
    public String doLayout(ILoggingEvent event) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
            json.writeStringField("level", event.getLevel().toString());
            json.writeStringField("logger", event.getLoggerName());
            json.writeStringField("thread", event.getThreadName());
            String message = event.getFormattedMessage();
            json.writeStringField("message", message);
            Map<String, String> mdc = event.getMDCPropertyMap();
            String runId = runIdOf(message);
            LogCorrelation.Entry run = runId == null ? null : LogCorrelation.of(runId);
            if (runId != null) {
                json.writeStringField("runId", runId);
            }
            if (run != null && run.owner() != null) {
                json.writeStringField("owner", run.owner());
            }
            String traceId = mdc == null ? null : mdc.get(HttpTracing.MDC_TRACE_ID);
            if (traceId == null && run != null) {
                traceId = run.traceId();
            }
            if (traceId != null) {
                json.writeStringField("traceId", traceId);
            }
            if (event.getThrowableProxy() != null) {
                json.writeStringField("error", stackTrace(event.getThrowableProxy()));
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("a StringWriter does not fail", e);
        }
        return out.append(CoreConstants.LINE_SEPARATOR).toString();
    }

    /** The run a message is about: {@code run <id> - ...} (the lifecycle lines) or {@code ... run=<id>} (requests). */
    static String runIdOf(String message) {
        if (message == null) {
            return null;
        }
        if (message.startsWith("run ") && message.length() >= 4 + RUN_ID_LENGTH) {
            String id = message.substring(4, 4 + RUN_ID_LENGTH);
            if (RunIds.looksValid(id)) {
                return id;
            }
        }
        int at = message.lastIndexOf(" run=");
        if (at >= 0 && message.length() >= at + 5 + RUN_ID_LENGTH) {
            String id = message.substring(at + 5, at + 5 + RUN_ID_LENGTH);
            if (RunIds.looksValid(id)) {
                return id;
            }
        }
        return null;
    }

    private static String stackTrace(IThrowableProxy error) {
        StringBuilder text = new StringBuilder();
        for (IThrowableProxy t = error; t != null; t = t.getCause()) {
            if (t != error) {
                text.append("\nCaused by: ");
            }
            text.append(t.getClassName()).append(": ").append(t.getMessage());
            StackTraceElementProxy[] frames = t.getStackTraceElementProxyArray();
            for (int i = 0; i < Math.min(frames.length, MAX_FRAMES); i++) {
                text.append("\n\tat ").append(frames[i].getStackTraceElement());
            }
        }
        return text.toString();
    }
}
