package dev.lightrun.client;

import com.fasterxml.jackson.databind.JavaType;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Streams a run's artifact to disk: a file in 64 KiB chunks (never whole in memory) into a temporary file beside the
 * target, moved into place once complete, so a failed download leaves no truncated file; a folder file by file.
 */
final class ArtifactDownload {
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final JavaType ARTIFACT_LIST = Json.MAPPER.getTypeFactory()
            .constructCollectionType(List.class, RunState.Artifact.class);

    private final Transport transport;
    private final String runId;
    private final Path targetDir;
    private final DownloadProgress progress;

    ArtifactDownload(Transport transport, String runId, Path targetDir, DownloadProgress progress) {
        this.transport = transport;
        this.runId = runId;
        this.targetDir = targetDir.toAbsolutePath().normalize();
        this.progress = progress;
    }

    /** Downloads {@code path} (a file, or a folder with everything in it) to {@code targetDir/path}. */
    Path download(String path) {
        Path target = targetOf(path);
        HttpRequest request = transport.request("/runs/" + Transport.segment(runId) + "/artifacts"
                + Transport.path(path)).GET().build();
        HttpResponse<InputStream> response = transport.send(request);
        // A file comes as an attachment; a folder as the JSON listing of what is inside it.
        if (response.headers().firstValue("Content-Disposition").isEmpty()) {
            List<RunState.Artifact> inside = readListing(request, response);
            try {
                Files.createDirectories(target);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + target, e);
            }
            for (RunState.Artifact artifact : inside) {
                if (!artifact.isDirectory()) {
                    download(artifact.path());
                }
            }
            return target;
        }
        long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        writeFile(request, response, path, target, total);
        return target;
    }

    private List<RunState.Artifact> readListing(HttpRequest request, HttpResponse<InputStream> response) {
        try (InputStream body = response.body()) {
            return Json.MAPPER.readValue(body, ARTIFACT_LIST);
        } catch (IOException e) {
            throw new LightRunException(LightRunException.INVALID_RESPONSE, request.uri().getPath()
                    + " is neither a file nor a folder listing: " + e.getMessage(), e);
        }
    }

    /**
     * Body -> temporary file -> target. A failed read is the server's or the network's ({@code unreachable}); a failed
     * write is the local disk's ({@link UncheckedIOException}).
     */
    private void writeFile(HttpRequest request, HttpResponse<InputStream> response, String path, Path target,
                           long total) {
        Path partial = null;
        try (InputStream body = response.body()) {
            Files.createDirectories(target.getParent());
            // Not Files.createTempFile: its owner-only permissions would stay on the file; this one gets the umask's.
            partial = target.resolveSibling("." + target.getFileName() + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".part");
            long written;
            try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                written = copy(request, body, out, path, total);
            }
            if (total >= 0 && written != total) {
                throw new LightRunException(LightRunException.UNREACHABLE, "download of " + path + " of run "
                        + runId + " ended after " + written + " of " + total + " bytes", null);
            }
            move(partial, target);
            partial = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        } finally {
            if (partial != null) {
                try {
                    Files.deleteIfExists(partial);
                } catch (IOException ignored) {
                    // Best effort: a leftover .part file is visible and harmless.
                }
            }
        }
    }

    private long copy(HttpRequest request, InputStream in, OutputStream out, String path, long total)
            throws IOException {
        byte[] buffer = new byte[CHUNK_BYTES];
        long written = 0;
        progress.update(path, 0, total);
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                throw transport.unreachable(request, e);
            }
            if (n < 0) {
                return written;
            }
            out.write(buffer, 0, n);
            written += n;
            progress.update(path, written, total);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {@code targetDir/path}, refusing a path that would leave {@code targetDir} (the server sent it, not us). */
    private Path targetOf(String path) {
        Path target = targetDir.resolve(path).normalize();
        if (!target.startsWith(targetDir) || target.equals(targetDir)) {
            throw new IllegalArgumentException("artifact path " + path + " leaves the target folder " + targetDir);
        }
        return target;
    }
}
