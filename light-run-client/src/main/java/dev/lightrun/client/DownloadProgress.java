package dev.lightrun.client;

/**
 * Told how a download is going, on the downloading thread, after each chunk written to disk (and once at the start
 * with 0 bytes). Keep it quick: the download waits for it.
 */
@FunctionalInterface
public interface DownloadProgress {
    DownloadProgress NONE = (path, bytes, totalBytes) -> { };

    /**
     * @param path       the artifact's path in the run ({@code out/big.bin})
     * @param bytes      bytes of it written so far
     * @param totalBytes its size ({@code Content-Length}), or -1 when the server did not say
     */
    void update(String path, long bytes, long totalBytes);
}
