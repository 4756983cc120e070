package dev.lightrun.server.artifacts;

import dev.lightrun.server.model.RunIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Run files in {@code <root>/<run id>/}. Sizes come from the run store (each finished run's state lists its files),
 * loaded once at start-up and then kept as runs finish and are deleted: eviction never walks the tree.
 * Downloads are resolved so that neither {@code ..} nor a link planted by a workload leads outside the run's folder.
 */
public final class LocalArtifactStore implements ArtifactStore {
    private static final Logger log = LoggerFactory.getLogger(LocalArtifactStore.class);

    private final Path root;
    private final RunSizes sizes = new RunSizes();

    public LocalArtifactStore(Path root) {
        try {
            this.root = Files.createDirectories(root).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the artifacts folder " + root, e);
        }
    }

    /** Run ids that have a folder here (one listing of the top level, no walk of the trees). */
    @Override
    public Set<String> runsOnDisk() {
        try (Stream<Path> folders = Files.list(root)) {
            return folders.filter(f -> Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS))
                    .map(f -> f.getFileName().toString()).filter(RunIds::looksValid)
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the artifacts folder " + root, e);
        }
    }

    @Override
    public Path folderOf(String runId) {
        if (!RunIds.looksValid(runId)) {
            throw new IllegalArgumentException("not a run id: " + runId);
        }
        return root.resolve(runId);
    }

    @Override
    public void recordFinished(String runId, long bytes) {
        sizes.record(runId, bytes);
    }

    @Override
    public void delete(String runId) throws IOException {
        Folders.deleteTree(folderOf(runId));
        sizes.remove(runId);
    }

    @Override
    public Optional<ArtifactObject> open(String runId, String relativePath) {
        return resolve(runId, relativePath).flatMap(LocalArtifactStore::object);
    }

    /** Files here are already where they are served from. */
    @Override
    public void publish(String runId) {
    }

    private static Optional<ArtifactObject> object(Path real) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
            return Optional.of(new LocalObject(real, attributes.isDirectory(),
                    attributes.isDirectory() ? 0 : attributes.size()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.warn("artifacts - cannot read {}: {}", real, e.toString());
            return Optional.empty();
        }
    }

    /** A resolved file or folder of this store; {@link #localFile()} lets the routes read it with direct buffers. */
    private record LocalObject(Path file, boolean isFolder, long size) implements ArtifactObject {
        @Override
        public String name() {
            return file.getFileName().toString();
        }

        @Override
        public InputStream stream(long offset, long length) throws IOException {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            return new BoundedInputStream(Channels.newInputStream(channel.position(offset)), length);
        }

        @Override
        public Optional<Path> localFile() {
            return Optional.of(file);
        }
    }

    /** A file or folder of a run, resolved safely: empty when it does not exist or would leave the run's folder. */
    Optional<Path> resolve(String runId, String relativePath) {
        if (!RunIds.looksValid(runId) || relativePath == null) {
            return Optional.empty();
        }
        for (String segment : relativePath.split("/", -1)) {
            if (!ArtifactPaths.isSafe(segment)) {
                return Optional.empty();
            }
        }
        Path folder = folderOf(runId);
        Path candidate = folder.resolve(relativePath).normalize();
        if (!candidate.startsWith(folder)) {
            return Optional.empty();
        }
        try {
            Path real = candidate.toRealPath();
            // Links inside the folder must not lead out of it (we never extract links, but the folder is on disk).
            return real.startsWith(folder.toRealPath()) ? Optional.of(real) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.warn("artifacts - cannot resolve {} of run {}: {}", relativePath, runId, e.toString());
            return Optional.empty();
        }
    }

    @Override
    public long totalBytes() {
        return sizes.total();
    }

    @Override
    public List<String> runsOldestFirst() {
        return sizes.oldestFirst();
    }
}
