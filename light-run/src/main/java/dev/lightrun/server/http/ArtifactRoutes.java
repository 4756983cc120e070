package dev.lightrun.server.http;

import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.runs.RunService;
import dev.lightrun.server.runs.RunState;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLConnection;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Lists a run's artifacts and streams them from disk, with HTTP Range support, never loading a file in memory. */
final class ArtifactRoutes {
    private static final int BUFFER_BYTES = 64 * 1024;

    private final RunService runs;
    private final ArtifactStore artifacts;

    ArtifactRoutes(RunService runs, ArtifactStore artifacts) {
        this.runs = runs;
        this.artifacts = artifacts;
    }

    void list(Context ctx) {
        String id = RunRoutes.runId(ctx);
        ctx.json(runs.get(id).artifacts());
    }

    void download(Context ctx) throws IOException {
        String id = RunRoutes.runId(ctx);
        RunState state = runs.get(id);
        String path = ctx.pathParam("path");
        Path file = artifacts.resolve(id, path)
                .orElseThrow(() -> ApiException.notFound("artifact " + path + " of run " + id + " not found"));
        if (Files.isDirectory(file)) {
            String prefix = path.endsWith("/") ? path : path + "/";
            List<RunState.Artifact> inside = state.artifacts().stream()
                    .filter(a -> a.path().startsWith(prefix))
                    .toList();
            ctx.json(inside);
            return;
        }
        stream(ctx, file);
    }

    private static void stream(Context ctx, Path file) throws IOException {
        long size = Files.size(file);
        String name = file.getFileName().toString();
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
        try (SeekableByteChannel channel = Files.newByteChannel(file);
             InputStream in = Channels.newInputStream(channel.position(first))) {
            OutputStream out = ctx.res().getOutputStream();
            byte[] buffer = new byte[BUFFER_BYTES];
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
}
