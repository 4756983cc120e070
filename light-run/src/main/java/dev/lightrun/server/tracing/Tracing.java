package dev.lightrun.server.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * OpenTelemetry traces, configured only by the standard {@code OTEL_*} variables (the SDK's autoconfigure): on when
 * {@code OTEL_TRACES_EXPORTER} names an exporter ({@code otlp}), off when it is unset or {@code none}. Off, nothing of
 * the SDK is even initialised: no exporter, no thread, no span. Only traces: metrics and logs exporters default to
 * {@code none} here (Prometheus serves the metrics), and the service name defaults to {@value #SERVICE_NAME}.
 */
public final class Tracing implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Tracing.class);
    static final String SERVICE_NAME = "light-run";
    static final String INSTRUMENTATION = "dev.lightrun.server";

    private final OpenTelemetry otel;
    private final AutoCloseable sdk;
    private final RunTracing runs;
    private final HttpTracing http;

    /** Tracing over {@code otel}; {@code sdk} is closed (flushing what is buffered) by {@link #close()}. */
    public Tracing(OpenTelemetry otel, AutoCloseable sdk) {
        this.otel = otel;
        this.sdk = sdk;
        this.runs = new RunTracing(otel.getTracer(INSTRUMENTATION));
        this.http = new HttpTracing(otel.getTracer(INSTRUMENTATION), otel.getPropagators().getTextMapPropagator());
    }

    /** Tracing as the process environment and system properties say; empty when it is off. */
    public static Optional<Tracing> fromEnvironment() {
        return fromEnvironment(System.getenv(), System::getProperty);
    }

    static Optional<Tracing> fromEnvironment(Map<String, String> env, Function<String, String> properties) {
        String exporter = properties.apply("otel.traces.exporter");
        if (exporter == null) {
            exporter = env.get("OTEL_TRACES_EXPORTER");
        }
        if (!enabled(exporter)) {
            return Optional.empty();
        }
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                // Defaults only: OTEL_* variables and otel.* properties win.
                .addPropertiesSupplier(() -> Map.of("otel.service.name", SERVICE_NAME, "otel.metrics.exporter", "none",
                        "otel.logs.exporter", "none"))
                // Closed by the server after its last span, not by a hook racing the server's own shutdown.
                .disableShutdownHook()
                .build().getOpenTelemetrySdk();
        // Not the endpoint: a URL may carry credentials.
        log.info("tracing - on: exporter {}", exporter.trim());
        return Optional.of(new Tracing(sdk, sdk));
    }

    /** Whether {@code OTEL_TRACES_EXPORTER} turns tracing on: set, not blank, not {@code none}. */
    static boolean enabled(String exporter) {
        return exporter != null && !exporter.isBlank() && !exporter.trim().toLowerCase(Locale.ROOT).equals("none");
    }

    public RunTracing runs() {
        return runs;
    }

    public HttpTracing http() {
        return http;
    }

    public OpenTelemetry openTelemetry() {
        return otel;
    }

    /** Ends tracing: spans still buffered are exported (bounded by the SDK's export timeout). */
    @Override
    public void close() {
        try {
            sdk.close();
        } catch (Exception e) {
            log.warn("tracing - could not flush and stop: {}", e.toString());
        }
    }
}
