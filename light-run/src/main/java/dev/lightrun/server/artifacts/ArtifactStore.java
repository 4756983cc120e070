package dev.lightrun.server.artifacts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where runs' extracted files live. A local folder today ({@link LocalArtifactStore}); an object store later. Keeps a
 * running total of bytes so eviction never has to rescan the tree.
 */
public interface ArtifactStore {

    /** The folder a run's files are extracted into (it may not exist yet). */
    Path folderOf(String runId);

    /** Records the size of a finished run's files and returns it added to the total. */
    void recordFinished(String runId, long bytes);

    /** Deletes a run's files; a run without files is fine. */
    void delete(String runId) throws IOException;

    /** A file or folder of a run, resolved safely: empty when it does not exist or would leave the run's folder. */
    Optional<Path> resolve(String runId, String relativePath);

    long totalBytes();

    /** Run ids that have a folder, whatever the store knows (a cheap listing, for start-up reconciliation). */
    Set<String> runsOnDisk();

    /** Run ids with files, oldest first, for eviction. */
    List<String> runsOldestFirst();
}
