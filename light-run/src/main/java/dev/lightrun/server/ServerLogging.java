package dev.lightrun.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The server's logging, set up in code (logback finds this class through {@code META-INF/services}) so that no start-up
 * pays for logback's XML configuration machinery: one line per event on stderr, {@code LIGHT_RUN_LOG_LEVEL} (default
 * INFO) for the root, WARN for chatty libraries. {@code LIGHT_RUN_LOG_FORMAT=json} writes each event as one JSON
 * object ({@link JsonLogLayout}) instead of the readable line. With {@code -Dlogback.configurationFile=<file>} that
 * file is used instead.
 */
public final class ServerLogging extends ContextAwareBase implements Configurator {
    /** {@code json} for one JSON object per line; the readable format otherwise. */
    static final String FORMAT_ENV = "LIGHT_RUN_LOG_FORMAT";
    private static final List<String> QUIET = List.of("com.github.dockerjava", "org.eclipse.jetty", "io.javalin",
            "org.hibernate.validator", "com.zaxxer.hikari", "org.flywaydb");

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        Encoder<ILoggingEvent> encoder = json(System.getenv(FORMAT_ENV)) ? jsonEncoder(context) : readableEncoder(context);
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getenv("LIGHT_RUN_LOG_LEVEL"), Level.INFO));
        root.addAppender(stderr);
        QUIET.forEach(name -> context.getLogger(name).setLevel(Level.WARN));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Whether {@code LIGHT_RUN_LOG_FORMAT} asks for JSON lines; anything else (unset: the default) is readable. */
    static boolean json(String format) {
        return format != null && format.trim().equalsIgnoreCase("json");
    }

    private static Encoder<ILoggingEvent> readableEncoder(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} - %msg%n");
        encoder.start();
        return encoder;
    }

    private static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
        JsonLogLayout layout = new JsonLogLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.start();
        return encoder;
    }
}
