package dev.lightrun.server.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One path of a run's files as a store found it: a file with its size, or a folder (whose listing the run's state
 * gives). Opening it costs one look-up (a {@code stat}, an S3 {@code HeadObject}); reading costs nothing until
 * {@link #stream} is called.
 */
public interface ArtifactObject {

    /** The last segment of the path, for {@code Content-Disposition}. */
    String name();

    boolean isFolder();

    /** The file's size in bytes; 0 for a folder. */
    long size();

    /**
     * {@code length} bytes from {@code offset} (both within {@link #size()}), read as they are consumed: nothing is
     * held in memory beyond a buffer. The caller closes the stream.
     *
     * @throws IOException when the file is gone or the store does not answer
     */
    InputStream stream(long offset, long length) throws IOException;

    /**
     * The file on this machine, when the store keeps it here: the routes then send it with positioned reads into
     * direct buffers, which Jetty writes to the socket without a copy. Empty for a remote store.
     */
    default Optional<Path> localFile() {
        return Optional.empty();
    }
}
