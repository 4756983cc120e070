package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.ExtractPolicy;
import dev.lightrun.runner.ExtractedEntry;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.RunError;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.SkippedEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Copies the paths a run asked for out of its exited container into the extraction destination: from the Engine's
 * archive, or straight from the host when they lie in the bind-mounted workdir. All or nothing: a refused extraction
 * deletes what it wrote. Used by the run's own thread only.
 */
final class ContainerFilesExtractor {
    private static final Logger log = LoggerFactory.getLogger(ContainerFilesExtractor.class);

    /** What extraction produced; {@code error} set when it was refused. */
    record Extracted(List<ExtractedEntry> entries, List<String> missing, List<SkippedEntry> skipped, RunError error) {
        static final Extracted NOTHING = new Extracted(List.of(), List.of(), List.of(), null);
    }

    /** Where a path to extract is on the host: {@code source} set, missing, or not known here (ask the Engine). */
    private record Local(Path source, boolean missing) {
        static final Local NOT_LOCAL = new Local(null, false);
        static final Local MISSING = new Local(null, true);
    }

    private final DockerClient docker;
    private final RunSpec spec;

    ContainerFilesExtractor(DockerClient docker, RunSpec spec) {
        this.docker = docker;
        this.spec = spec;
    }

    /**
     * Whether to extract at all: when paths were asked for, and the policy says always or the run exited 0 by itself.
     */
    boolean wanted(int exitCode, boolean exitedByItself) {
        Extraction extraction = spec.extraction();
        if (extraction == null || extraction.paths().isEmpty()) {
            return false;
        }
        return extraction.policy() == ExtractPolicy.ALWAYS || (exitCode == 0 && exitedByItself);
    }

    /**
     * @param bindFolder the host folder mounted at the workdir, or null when the files were uploaded
     */
    Extracted extract(String containerId, Path bindFolder) {
        Extraction extraction = spec.extraction();
        ArchiveExtractor extractor = new ArchiveExtractor(extraction.destination(), extraction.maxEntryBytes(),
                extraction.maxTotalBytes());
        List<String> missing = new ArrayList<>();
        try {
            for (String path : extraction.paths()) {
                Local local = bindFolder == null ? Local.NOT_LOCAL : local(path, bindFolder);
                if (local.missing()) {
                    missing.add(path);
                    continue;
                }
                if (local.source() != null) {
                    extractor.copyTree(local.source(), lastName(path));
                    continue;
                }
                try (InputStream tar = docker.copyArchiveFromContainerCmd(containerId, path).exec()) {
                    extractor.extract(tar);
                } catch (NotFoundException e) {
                    missing.add(path);
                }
            }
        } catch (RunnerException e) {
            deleteExtracted(extraction);
            return new Extracted(List.of(), missing, extractor.skipped(), e.toRunError());
        } catch (IOException e) {
            deleteExtracted(extraction);
            return new Extracted(List.of(), missing, extractor.skipped(), new RunError(ErrorCode.EXTRACTION_REFUSED,
                    "extracting the files of run " + spec.runId() + " failed: " + e));
        } catch (RuntimeException e) {
            deleteExtracted(extraction);
            throw DockerErrors.translate(e, "extracting the files of run " + spec.runId(), ErrorCode.DOCKER_ERROR);
        }
        return new Extracted(extractor.entries(), missing, extractor.skipped(), null);
    }

    /**
     * A path at or under the workdir lies in the bind-mounted folder, which the container (exited: none of its
     * processes is left) can no longer change, so it is read from the host, sparing the Engine's archive round trip.
     * Every folder on the way must be a real folder, not a link: anything else is left to the Engine, whose
     * answer is the reference.
     */
    private Local local(String path, Path bindFolder) {
        String workdir = spec.workdir();
        // A trailing slash asks for a folder: the Engine follows a link named so, hence the last name must then be a
        // real folder too, like every one on the way.
        boolean folderWanted = path.endsWith("/");
        String trimmed = folderWanted ? path.substring(0, path.length() - 1) : path;
        String relative;
        if (trimmed.equals(workdir)) {
            relative = "";
        } else if (trimmed.startsWith(workdir + "/")) {
            relative = trimmed.substring(workdir.length() + 1);
        } else {
            return Local.NOT_LOCAL;
        }
        Path current = bindFolder;
        String[] segments = relative.isEmpty() ? new String[0] : relative.split("/");
        for (int i = 0; i < segments.length; i++) {
            current = current.resolve(segments[i]);
            boolean last = i == segments.length - 1 && !folderWanted;
            if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
                return Files.isDirectory(current.getParent(), LinkOption.NOFOLLOW_LINKS)
                        ? Local.MISSING : Local.NOT_LOCAL;
            }
            if (!last && !Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
                return Local.NOT_LOCAL;
            }
        }
        return new Local(current, false);
    }

    /**
     * The name a path is extracted under, as the Engine's archive names it: its last name, a trailing slash ignored
     * ({@code /app/out/} is {@code out}, never the destination itself).
     */
    static String lastName(String path) {
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }

    /** A refused extraction leaves nothing half-written behind: every top-level name we write is ours to delete. */
    private void deleteExtracted(Extraction extraction) {
        for (String path : extraction.paths()) {
            Path target = extraction.destination().resolve(lastName(path));
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> tree = Files.walk(target)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                log.warn("run {} - could not delete partial extraction {}: {}", spec.runId(), target, e.toString());
            }
        }
    }
}
