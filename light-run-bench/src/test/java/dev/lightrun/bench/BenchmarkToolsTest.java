package dev.lightrun.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Keeps the benchmark honest without Docker: its statistics, and the floor client's HTTP framing. */
class BenchmarkToolsTest {

    private static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void nearestRankPercentiles() {
        List<Double> oneToHundred = IntStream.rangeClosed(1, 100).mapToObj(i -> (double) i).toList();
        Stats s = Stats.of(oneToHundred);
        assertThat(s.n()).isEqualTo(100);
        assertThat(s.min()).isEqualTo(1);
        assertThat(s.p50()).isEqualTo(50);
        assertThat(s.p90()).isEqualTo(90);
        assertThat(s.p99()).isEqualTo(99);
        assertThat(s.max()).isEqualTo(100);
        assertThat(s.mean()).isEqualTo(50.5);

        // Unsorted input, small n: ranks ceil(0.5*5)=3, ceil(0.9*5)=5, ceil(0.99*5)=5.
        Stats five = Stats.of(List.of(30.0, 10.0, 50.0, 20.0, 40.0));
        assertThat(five.p50()).isEqualTo(30);
        assertThat(five.p90()).isEqualTo(50);
        assertThat(five.p99()).isEqualTo(50);
        // Even count: the lower middle. With 50 samples p99 is the maximum.
        assertThat(Stats.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2);
        List<Double> fifty = IntStream.rangeClosed(1, 50).mapToObj(i -> (double) i).toList();
        assertThat(Stats.of(fifty).p99()).isEqualTo(50);
        assertThat(Stats.percentile(List.of(7.0), 1)).isEqualTo(7);
        assertThat(Stats.of(List.of()).n()).isZero();
        assertThat(Stats.of(List.of()).p50()).isNaN();
        assertThatThrownBy(() -> Stats.percentile(List.of(1.0), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ratiosAndRounding() {
        assertThat(Stats.ratio(300, 200)).isEqualTo(1.5);
        assertThat(Stats.ratio(1, 3)).isCloseTo(0.3333, within(1e-4));
        assertThat(Stats.ratio(1, 0)).isNaN();
        assertThat(Stats.ratio(Double.NaN, 2)).isNaN();
        assertThat(Stats.round3(Stats.ratio(1, 3))).isEqualTo(0.333);
        assertThat(Stats.round(12.345)).isEqualTo(12.3);
        assertThat(Stats.round(Double.NaN)).isNull();
    }

    @Test
    void decodesAChunkedResponseWithExtensionsAndTrailers() throws IOException {
        String raw = "HTTP/1.1 200 OK\r\n"
                + "Content-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n"
                + "\r\n"
                + "5\r\n{\"Sta\r\n"
                + "A;name=value\r\ntusCode\":0\r\n"
                + "1\r\n}\r\n"
                + "0\r\n"
                + "X-Trailer: yes\r\n"
                + "\r\n"
                + "HTTP/1.1 this is the next response and must not be read";
        InputStream in = bytes(raw);
        EngineClient.Response r = EngineClient.readResponse(in, null, false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers()).containsEntry("transfer-encoding", "chunked");
        assertThat(r.text()).isEqualTo("{\"StatusCode\":0}");
        assertThat(r.bodyBytes()).isEqualTo(16);
        assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 this is the next");
    }

    @Test
    void streamsAChunkedBinaryBodyToASinkAndSkipsInterimResponses() throws IOException {
        byte[] payload = new byte[70_000];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31);
        }
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.writeBytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        raw.writeBytes("10000\r\n".getBytes(StandardCharsets.ISO_8859_1));
        raw.write(payload, 0, 0x10000);
        raw.writeBytes(("\r\n" + Integer.toHexString(payload.length - 0x10000) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        raw.write(payload, 0x10000, payload.length - 0x10000);
        raw.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        EngineClient.Response r = EngineClient.readResponse(new ByteArrayInputStream(raw.toByteArray()), sink, false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isNull();
        assertThat(r.bodyBytes()).isEqualTo(payload.length);
        assertThat(sink.toByteArray()).isEqualTo(payload);
    }

    @Test
    void contentLengthNoBodyAndEndOfStreamFraming() throws IOException {
        InputStream in = bytes("HTTP/1.1 201 Created\r\nContent-Length: 9\r\n\r\n{\"Id\":1}\nEXTRA");
        EngineClient.Response r = EngineClient.readResponse(in, null, false);
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.text()).isEqualTo("{\"Id\":1}\n");
        assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("EXTRA");

        assertThat(EngineClient.readResponse(bytes("HTTP/1.1 204 No Content\r\n\r\n"), null, false).bodyBytes()).isZero();
        // Neither length nor chunked: the body runs to the end of the stream (Connection: close).
        assertThat(EngineClient.readResponse(bytes("HTTP/1.0 200 OK\nServer: x\n\nto the end"), null, false).text())
                .isEqualTo("to the end");
    }

    @Test
    void refusesBrokenFraming() {
        assertThatThrownBy(() -> EngineClient.readResponse(
                bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), null, false))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> EngineClient.readResponse(
                bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), null, false))
                .hasMessageContaining("chunk size");
        assertThatThrownBy(() -> EngineClient.readResponse(
                bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n"), null, false))
                .hasMessageContaining("CRLF");
        assertThatThrownBy(() -> EngineClient.readResponse(
                bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"), null, false))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> EngineClient.readResponse(bytes(""), null, false)).isInstanceOf(IOException.class);
    }

    @Test
    void demultiplexesLogFrames() throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.writeBytes(new byte[] {1, 0, 0, 0, 0, 0, 0, 3});
        raw.writeBytes("hi\n".getBytes(StandardCharsets.UTF_8));
        raw.writeBytes(new byte[] {2, 0, 0, 0, 0, 0, 0, 4});
        raw.writeBytes("err\n".getBytes(StandardCharsets.UTF_8));
        assertThat(EngineClient.demux(raw.toByteArray())).containsExactly("hi\n", "err\n");
        assertThatThrownBy(() -> EngineClient.demux(new byte[] {1, 0, 0, 0, 0, 0, 0, 9, 'x'}))
                .isInstanceOf(IOException.class);
    }

    @Test
    void tarHeadersAreValidUstar() {
        byte[] tar = Tar.of(Map.of("a.txt", "hello".getBytes(StandardCharsets.US_ASCII)));
        assertThat(tar.length).isEqualTo(512 + 512 + 1024);
        assertThat(new String(tar, 0, 5, StandardCharsets.US_ASCII)).isEqualTo("a.txt");
        assertThat(new String(tar, 124, 11, StandardCharsets.US_ASCII)).isEqualTo("00000000005");
        assertThat(new String(tar, 257, 5, StandardCharsets.US_ASCII)).isEqualTo("ustar");
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : tar[i] & 0xff;
        }
        assertThat(Long.parseLong(new String(tar, 148, 6, StandardCharsets.US_ASCII), 8)).isEqualTo(sum);
        assertThat(new String(tar, 512, 5, StandardCharsets.US_ASCII)).isEqualTo("hello");
    }

    /** The rule of the repository: only light-runner's Docker backend imports docker-java. */
    @Test
    void theBenchmarkDoesNotImportDockerJava() throws IOException {
        List<Path> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (Files.readAllLines(p).stream().anyMatch(l -> l.startsWith("import com.github.dockerjava"))) {
                    offenders.add(p);
                }
            }
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void downloadSendsOneGetAndStreamsTheBodyToTheSink() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> requestHead = CompletableFuture.supplyAsync(() -> {
                try (Socket socket = server.accept()) {
                    String head = EngineClient.readLine(socket.getInputStream());
                    for (String line = head; line != null && !line.isEmpty(); ) {
                        line = EngineClient.readLine(socket.getInputStream());
                    }
                    socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    return head;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            EngineClient.Response response = EngineClient.download(
                    URI.create("http://127.0.0.1:" + server.getLocalPort() + "/runs/r1/artifacts/out/big"), sink);

            assertThat(requestHead.get()).isEqualTo("GET /runs/r1/artifacts/out/big HTTP/1.1");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyBytes()).isEqualTo(5);
            assertThat(sink.toString(StandardCharsets.ISO_8859_1)).isEqualTo("hello");
        }
    }

    @Test
    void serverJvmOptionsAreReadAsTheLauncherReadsThem(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path options = Files.writeString(dir.resolve("jvm.options"),
                "# a comment\n\n  -XX:+UseSerialGC  \n-XX:SharedArchiveFile={jar}.jsa\n");

        List<String> read = ServerProcess.jvmOptions(options, Path.of("/w/server.jar"));

        assertThat(read).containsExactly("-XX:+UseSerialGC", "-XX:SharedArchiveFile=/w/server.jsa");
        assertThat(ServerProcess.classArchive(read)).contains(Path.of("/w/server.jsa"));
        assertThat(ServerProcess.classArchive(List.of("-Xmx128m"))).isEmpty();
    }
}
