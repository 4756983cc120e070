package dev.lightrun.server.http;

import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.artifacts.ArtifactObject;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.runs.RunService;
import dev.lightrun.server.model.RunState;
import io.javalin.http.Context;
import org.eclipse.jetty.ee10.servlet.HttpOutput;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * Lists a run's artifacts and streams them from the artifact store (a local file or an S3 object), with HTTP Range
 * support, never loading a file in memory.
 */
final class ArtifactRoutes {
    private static final int HEAP_BUFFER_BYTES = 64 * 1024;
    /** 256 KiB: 64 KiB buffers gained little over the heap loop, 1 MiB no more than 256 KiB. */
    private static final DirectBuffers BUFFERS = new DirectBuffers(256 * 1024, 4);

    private final RunService runs;
    private final ArtifactStore artifacts;

    ArtifactRoutes(RunService runs, ArtifactStore artifacts) {
        this.runs = runs;
        this.artifacts = artifacts;
    }

    void list(Context ctx) {
        ctx.json(RunRoutes.visibleRun(ctx, runs).artifacts());
    }

    void download(Context ctx) throws IOException {
        RunState state = RunRoutes.visibleRun(ctx, runs);
        String id = state.id();
        String path = ctx.pathParam("path");
        ArtifactObject file = artifacts.open(id, path)
                .orElseThrow(() -> ApiException.notFound("artifact " + path + " of run " + id + " not found"));
        if (file.isFolder()) {
            String prefix = path.endsWith("/") ? path : path + "/";
            List<RunState.Artifact> inside = state.artifacts().stream()
                    .filter(a -> a.path().startsWith(prefix))
                    .toList();
            ctx.json(inside);
            return;
        }
        stream(ctx, file);
    }

    private static void stream(Context ctx, ArtifactObject file) throws IOException {
        long size = file.size();
        String name = file.name();
        String type = URLConnection.getFileNameMap().getContentTypeFor(name);
        ctx.header("Accept-Ranges", "bytes");
        ctx.header("Content-Type", type == null ? "application/octet-stream" : type);
        // Artifacts are written by untrusted code: never let a browser run them in our origin.
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Content-Security-Policy", "sandbox");
        ctx.header("Content-Disposition", "attachment; filename=\"" + name.replaceAll("[\"\\\\\\r\\n]", "_") + "\"");
        ByteRange range;
        try {
            range = ByteRange.parse(ctx.header("Range"), size);
        } catch (ByteRange.Unsatisfiable e) {
            ctx.status(416).header("Content-Range", "bytes */" + size);
            return;
        }
        long first = range == null ? 0 : range.first();
        long length = range == null ? size : range.length();
        if (range != null) {
            ctx.status(206).header("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + size);
        }
        ctx.header("Content-Length", Long.toString(length));
        if (ctx.method().name().equals("HEAD")) {
            return;
        }
        Optional<Path> local = file.localFile();
        if (local.isEmpty()) {
            // A remote store: its ranged stream, through the heap.
            try (InputStream in = file.stream(first, length)) {
                copy(in, length, ctx.res().getOutputStream());
            }
            return;
        }
        try (FileChannel channel = FileChannel.open(local.get(), StandardOpenOption.READ)) {
            OutputStream out = ctx.res().getOutputStream();
            if (out instanceof HttpOutput jetty) {
                sendDirect(channel, first, length, jetty);
            } else {
                copy(Channels.newInputStream(channel.position(first)), length, out);
            }
        }
    }

    /**
     * File -> direct buffer -> Jetty, which writes a direct buffer to the socket without copying it: a 1 GiB file to
     * curl over loopback took ~0.44 s instead of ~0.72 s with the heap loop, and ~20% less server CPU (2-core machine).
     */
    private static void sendDirect(FileChannel channel, long first, long length, HttpOutput out) throws IOException {
        ByteBuffer buffer = BUFFERS.take();
        long position = first;
        long end = first + length;
        while (position < end) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
            int n = channel.read(buffer, position);
            if (n < 0) {
                break;
            }
            position += n;
            out.write(buffer.flip());
        }
        out.flush();
        // Not in a finally: after a failed write Jetty may still hold the buffer, so that one is left to the GC.
        BUFFERS.giveBack(buffer);
    }

    /** A remote store's stream, or any other servlet container's output: the portable, copying way. */
    private static void copy(InputStream in, long length, OutputStream out) throws IOException {
        byte[] buffer = new byte[HEAP_BUFFER_BYTES];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                break;
            }
            out.write(buffer, 0, n);
            left -= n;
        }
        out.flush();
    }
}
