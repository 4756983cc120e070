package dev.lightrun.server.cli.client;

import dev.lightrun.client.DownloadProgress;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr for downloads of at least 1 MiB, redrawn at most ten times a second:
 * {@code out/big.bin [########------------] 42% 2.1/5.0 MiB}. Only for a terminal: {@link #forConsole} gives
 * {@link DownloadProgress#NONE} otherwise, so pipes and logs never see carriage returns.
 */
final class TerminalProgress implements DownloadProgress {
    private static final long MIN_BYTES = 1024 * 1024;
    private static final long REDRAW_NANOS = 100_000_000;
    private static final int WIDTH = 20;

    private final PrintWriter err;
    private long lastDraw;

    private TerminalProgress(PrintWriter err) {
        this.err = err;
    }

    static DownloadProgress forConsole(PrintWriter err) {
        return System.console() == null ? DownloadProgress.NONE : new TerminalProgress(err);
    }

    @Override
    public void update(String path, long bytes, long totalBytes) {
        if (totalBytes < MIN_BYTES) {
            return;
        }
        boolean done = bytes >= totalBytes;
        long now = System.nanoTime();
        if (!done && bytes > 0 && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        err.print("\r" + line(path, bytes, totalBytes) + (done ? "\n" : ""));
        err.flush();
    }

    static String line(String path, long bytes, long totalBytes) {
        int filled = (int) (WIDTH * bytes / totalBytes);
        return String.format(Locale.ROOT, "%s [%s%s] %3d%% %.1f/%.1f MiB", path, "#".repeat(filled),
                "-".repeat(WIDTH - filled), 100 * bytes / totalBytes, bytes / 1048576.0, totalBytes / 1048576.0);
    }
}
