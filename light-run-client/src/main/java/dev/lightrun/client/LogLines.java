package dev.lightrun.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The JSON lines of a log response as {@link LogLine}s, read one at a time as they arrive. Closing the stream closes
 * the response body, which ends the HTTP exchange (a live follow stops on the server too).
 */
final class LogLines implements Iterator<LogLine> {
    private final BufferedReader reader;
    private final Transport transport;
    private final HttpRequest request;
    private LogLine next;

    private LogLines(InputStream body, Transport transport, HttpRequest request) {
        this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        this.transport = transport;
        this.request = request;
    }

    static Stream<LogLine> stream(InputStream body, Transport transport, HttpRequest request) {
        LogLines lines = new LogLines(body, transport, request);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(lines,
                        Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(lines::close);
    }

    /** One record of the API's log format; a line that is not one fails the read. */
    static LogLine parse(String json) {
        try {
            return Json.MAPPER.readValue(json, LogLine.class);
        } catch (IOException | RuntimeException e) {
            throw new LightRunException(LightRunException.INVALID_RESPONSE, "not a log record: "
                    + (json.length() > 200 ? json.substring(0, 200) + "..." : json), e);
        }
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        String line;
        try {
            do {
                line = reader.readLine();
            } while (line != null && line.isBlank());
        } catch (IOException e) {
            throw transport.unreachable(request, e);
        }
        if (line == null) {
            return false;
        }
        next = parse(line);
        return true;
    }

    @Override
    public LogLine next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        LogLine line = next;
        next = null;
        return line;
    }

    private void close() {
        try {
            reader.close();
        } catch (IOException e) {
            // Closing only gives the connection up; nothing is lost if that fails.
        }
    }
}
