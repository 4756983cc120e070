package dev.lightrun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The floor: a minimal HTTP/1.1 client for the Docker Engine API on its unix socket, with nothing between the
 * benchmark and the daemon. One connection per request ({@code Connection: close}; connecting a unix socket costs
 * microseconds); responses framed by {@code Content-Length}, {@code chunked} transfer coding or end of stream; bodies
 * either collected in memory or streamed to a sink. API-version-less paths: the daemon answers in its own version.
 */
final class EngineClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUFFER = 64 * 1024;

    /** A response: status, headers (lower-case names), the body when collected, and how many body bytes came. */
    record Response(int status, Map<String, String> headers, byte[] body, long bodyBytes) {
        String text() {
            return body == null ? "" : new String(body, StandardCharsets.UTF_8);
        }

        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final Path socket;

    EngineClient(Path socket) {
        this.socket = socket;
    }

    /** The socket of {@code DOCKER_HOST} when it is {@code unix://...}, else the default local socket. */
    static EngineClient fromEnvironment() {
        String host = System.getenv("DOCKER_HOST");
        if (host == null || host.isBlank()) {
            return new EngineClient(Path.of("/var/run/docker.sock"));
        }
        if (!host.startsWith("unix://")) {
            throw new IllegalStateException("the floor needs a local unix socket; DOCKER_HOST is " + host);
        }
        return new EngineClient(Path.of(URI.create(host).getPath()));
    }

    // ---------------------------------------------------------------- Engine calls used by the benchmark

    /** POST /containers/create; returns the id. */
    String create(Map<String, Object> config) throws IOException {
        Response r = expect(call("POST", "/containers/create", JSON.writeValueAsBytes(config), "application/json"),
                "create");
        return JSON.readTree(r.body()).get("Id").asText();
    }

    void start(String id) throws IOException {
        expect(call("POST", "/containers/" + id + "/start", new byte[0], null), "start");
    }

    /** POST /containers/{id}/wait: blocks until the container exits; returns its exit code. */
    int await(String id) throws IOException {
        Response r = expect(call("POST", "/containers/" + id + "/wait", new byte[0], null), "wait");
        return JSON.readTree(r.body()).get("StatusCode").asInt();
    }

    /** GET /containers/{id}/logs of a non-TTY container: stdout and stderr demultiplexed. */
    String[] logs(String id) throws IOException {
        return demux(expect(call("GET", "/containers/" + id + "/logs?stdout=1&stderr=1", null, null), "logs").body());
    }

    void putArchive(String id, String path, byte[] tar) throws IOException {
        expect(call("PUT", "/containers/" + id + "/archive?path=" + encode(path), tar, "application/x-tar"),
                "put archive");
    }

    /** GET /containers/{id}/archive: the tar streamed to {@code sink}; returns its size. */
    long getArchive(String id, String path, OutputStream sink) throws IOException {
        return expect(exchange("GET", "/containers/" + id + "/archive?path=" + encode(path), null, null, sink),
                "get archive").bodyBytes();
    }

    void remove(String id) throws IOException {
        Response r = call("DELETE", "/containers/" + id + "?force=1", null, null);
        if (r.status() != 404) {
            expect(r, "remove");
        }
    }

    JsonNode version() throws IOException {
        return JSON.readTree(expect(call("GET", "/version", null, null), "version").body());
    }

    /** Ids of all containers (running or not) that carry {@code label} ({@code key=value}). */
    List<String> containersWithLabel(String label) throws IOException {
        String filters = JSON.writeValueAsString(Map.of("label", List.of(label)));
        Response r = expect(call("GET", "/containers/json?all=1&filters=" + encode(filters), null, null), "list");
        List<String> ids = new ArrayList<>();
        JSON.readTree(r.body()).forEach(c -> ids.add(c.get("Id").asText()));
        return ids;
    }

    /** Labels of all containers that carry {@code label}, by id. */
    Map<String, JsonNode> containerLabels(String label) throws IOException {
        String filters = JSON.writeValueAsString(Map.of("label", List.of(label)));
        Response r = expect(call("GET", "/containers/json?all=1&filters=" + encode(filters), null, null), "list");
        Map<String, JsonNode> out = new LinkedHashMap<>();
        JSON.readTree(r.body()).forEach(c -> out.put(c.get("Id").asText(), c.get("Labels")));
        return out;
    }

    // ---------------------------------------------------------------- HTTP/1.1

    /** A request whose response body is collected in memory. */
    Response call(String method, String path, byte[] body, String contentType) throws IOException {
        return exchange(method, path, body, contentType, null);
    }

    /** One request on a fresh connection; the response body goes to {@code sink}, or into memory when null. */
    Response exchange(String method, String path, byte[] body, String contentType, OutputStream sink)
            throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            StringBuilder head = new StringBuilder()
                    .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: docker\r\n")
                    .append("User-Agent: light-run-bench\r\n")
                    .append("Connection: close\r\n");
            if (body != null) {
                if (contentType != null) {
                    head.append("Content-Type: ").append(contentType).append("\r\n");
                }
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            writeFully(channel, ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.US_ASCII)));
            if (body != null && body.length > 0) {
                writeFully(channel, ByteBuffer.wrap(body));
            }
            InputStream in = new BufferedInputStream(Channels.newInputStream(channel), BUFFER);
            return readResponse(in, sink, method.equals("HEAD"));
        }
    }

    /**
     * GET of {@code url} (plain {@code http}) on a fresh TCP connection, the body streamed to {@code sink}: the same
     * request framing and response reading as the floor's calls, so light-run's download is measured with the same
     * client code (and 64 KiB writes to the file) as the floor's GET archive. The JDK's {@code HttpClient} was ~2x
     * slower than this for a 1 GiB body over loopback, which made the client, not the server, the limit.
     */
    static Response download(URI url, OutputStream sink) throws IOException {
        try (SocketChannel channel = SocketChannel.open(new InetSocketAddress(url.getHost(), url.getPort()))) {
            String head = "GET " + url.getRawPath() + " HTTP/1.1\r\n"
                    + "Host: " + url.getHost() + ":" + url.getPort() + "\r\n"
                    + "User-Agent: light-run-bench\r\n"
                    + "Connection: close\r\n\r\n";
            writeFully(channel, ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            return readResponse(new BufferedInputStream(Channels.newInputStream(channel), BUFFER), sink, false);
        }
    }

    private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /**
     * Reads one response: status line, headers, then the body framed by chunked transfer coding, Content-Length, or
     * end of stream (the connection is closed after it). Interim 1xx responses are skipped.
     */
    static Response readResponse(InputStream in, OutputStream sink, boolean headRequest) throws IOException {
        while (true) {
            String statusLine = readLine(in);
            if (statusLine == null) {
                throw new EOFException("connection closed before a response");
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            line.substring(colon + 1).trim(), (a, b) -> a + ", " + b);
                }
            }
            if (status >= 100 && status < 200) {
                continue;
            }
            ByteArrayOutputStream collected = sink == null ? new ByteArrayOutputStream() : null;
            OutputStream out = sink == null ? collected : sink;
            long bytes;
            String transfer = headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT);
            if (headRequest || status == 204 || status == 304) {
                bytes = 0;
            } else if (transfer.endsWith("chunked")) {
                bytes = copyChunked(in, out);
            } else if (headers.containsKey("content-length")) {
                bytes = copyExactly(in, out, Long.parseLong(headers.get("content-length")));
            } else {
                bytes = in.transferTo(out);
            }
            return new Response(status, headers, collected == null ? null : collected.toByteArray(), bytes);
        }
    }

    /** Decodes chunked transfer coding: hex size [;extensions] CRLF, data CRLF, ..., 0 CRLF, trailers, CRLF. */
    static long copyChunked(InputStream in, OutputStream out) throws IOException {
        long total = 0;
        while (true) {
            String sizeLine = readLine(in);
            if (sizeLine == null) {
                throw new EOFException("chunked body ended without its last chunk");
            }
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size line: '" + sizeLine + "'", e);
            }
            if (size < 0) {
                throw new IOException("bad chunk size line: '" + sizeLine + "'");
            }
            if (size == 0) {
                // Trailer fields until the empty line (or end of stream, which a closing peer may do).
                for (String trailer = readLine(in); trailer != null && !trailer.isEmpty(); trailer = readLine(in)) {
                    // trailers are ignored
                }
                return total;
            }
            total += copyExactly(in, out, size);
            String end = readLine(in);
            if (end == null || !end.isEmpty()) {
                throw new IOException("chunk of " + size + " bytes not followed by CRLF");
            }
        }
    }

    private static long copyExactly(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[(int) Math.min(BUFFER, Math.max(length, 1))];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("body ended " + left + " bytes early");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
        return length;
    }

    /** A line ended by CRLF (or a bare LF), without the terminator; null at end of stream before any byte. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            if (line.size() > 16 * 1024) {
                throw new IOException("header or chunk-size line over 16 KiB");
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Splits a non-TTY log stream (8-byte frame headers: stream, 0, 0, 0, big-endian size) into stdout, stderr. */
    static String[] demux(byte[] raw) throws IOException {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int i = 0;
        while (i + 8 <= raw.length) {
            int stream = raw[i];
            int size = ((raw[i + 4] & 0xff) << 24) | ((raw[i + 5] & 0xff) << 16) | ((raw[i + 6] & 0xff) << 8)
                    | (raw[i + 7] & 0xff);
            if (size < 0 || i + 8 + size > raw.length) {
                throw new IOException("truncated log frame at byte " + i);
            }
            (stream == 2 ? stderr : stdout).write(raw, i + 8, size);
            i += 8 + size;
        }
        if (i != raw.length) {
            throw new IOException("trailing bytes after the last log frame");
        }
        return new String[] {stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8)};
    }

    private static Response expect(Response r, String what) throws IOException {
        if (!r.ok()) {
            throw new IOException("Engine API " + what + " answered " + r.status() + ": " + r.text().trim());
        }
        return r;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
