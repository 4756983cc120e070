package dev.lightrun.server.artifacts;

import dev.lightrun.server.model.RunIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Run files in {@code <root>/<run id>/}. Sizes come from the run store (each finished run's state lists its files),
 * loaded once at start-up and then kept as runs finish and are deleted: eviction never walks the tree. Downloads are resolved so that neither {@code ..} nor a link planted by a workload leads outside the run's
 * folder.
 */
public final class LocalArtifactStore implements ArtifactStore {
    private static final Logger log = LoggerFactory.getLogger(LocalArtifactStore.class);

    private final Path root;
    private final ConcurrentHashMap<String, Long> sizes = new ConcurrentHashMap<>();
    private final AtomicLong total = new AtomicLong();

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
        Long previous = sizes.put(runId, bytes);
        total.addAndGet(bytes - (previous == null ? 0 : previous));
    }

    @Override
    public void delete(String runId) throws IOException {
        Path folder = folderOf(runId);
        if (Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        Long size = sizes.remove(runId);
        if (size != null) {
            total.addAndGet(-size);
        }
    }

    @Override
    public Optional<Path> resolve(String runId, String relativePath) {
        if (!RunIds.looksValid(runId) || relativePath == null) {
            return Optional.empty();
        }
        for (String segment : relativePath.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".") || segment.indexOf('\0') >= 0 || segment.indexOf('\\') >= 0) {
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
        return total.get();
    }

    @Override
    public List<String> runsOldestFirst() {
        return sizes.keySet().stream().sorted().toList();
    }
}
