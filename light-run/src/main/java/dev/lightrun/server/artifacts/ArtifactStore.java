package dev.lightrun.server.artifacts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where runs' extracted files live: a local folder ({@link LocalArtifactStore}) or an S3-compatible bucket
 * ({@link dev.lightrun.server.artifacts.s3.S3ArtifactStore}). A run's files are always extracted into a local folder
 * first ({@link #folderOf}); {@link #publish} then moves them where the store keeps them. Reads are streams
 * ({@link #open}), so the routes serve both stores the same way. Keeps a running total of bytes so eviction never has
 * to rescan the store. Thread-safe.
 */
public interface ArtifactStore {

    /** The local folder a run's files are extracted into (it may not exist yet). */
    Path folderOf(String runId);

    /**
     * Called once a run's files are extracted and before its final state is stored: makes them readable through
     * {@link #open} from any server sharing the store. The local store has nothing to do; the S3 store uploads each
     * file of {@link #folderOf} and then deletes that folder. A run without a folder is fine.
     *
     * @throws IOException when a file cannot be read or stored (what was uploaded of the run is removed again)
     */
    void publish(String runId) throws IOException;

    /** Records the size of a finished run's files and returns it added to the total. */
    void recordFinished(String runId, long bytes);

    /** Deletes a run's files; a run without files is fine. */
    void delete(String runId) throws IOException;

    /**
     * A file or folder of a run, resolved safely: empty when it does not exist or would leave the run's files
     * ({@code ..}, an absolute path, a link out of the folder).
     */
    Optional<ArtifactObject> open(String runId, String relativePath);

    long totalBytes();

    /** Run ids that have files, whatever the store knows (a cheap listing, for start-up reconciliation). */
    Set<String> runsOnDisk();

    /** Run ids with files, oldest first, for eviction. */
    List<String> runsOldestFirst();
}
