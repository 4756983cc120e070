package dev.lightrun.server.artifacts.s3;

import dev.lightrun.server.artifacts.ArtifactObject;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.artifacts.BoundedInputStream;
import dev.lightrun.server.artifacts.Folders;
import dev.lightrun.server.artifacts.RunSizes;
import dev.lightrun.server.model.RunIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs' files in an S3-compatible bucket, under {@code prefix/<run id>/}. A run's files are extracted into a local
 * staging folder ({@link #folderOf}); {@link #publish} uploads them (multipart for large ones, from file ranges: never
 * a whole file in memory) and removes the folder. Downloads are ranged {@code GetObject}s streamed through. Sizes
 * are the run store's, as for the local store: nothing lists the bucket but start-up reconciliation
 * ({@link #runsOnDisk}) and the deletion of a run. Thread-safe.
 */
public final class S3ArtifactStore implements ArtifactStore, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(S3ArtifactStore.class);
    /** 16 MiB parts: 16 requests for a 256 MiB file; S3's minimum is 5 MiB (all parts but the last). */
    public static final long DEFAULT_PART_BYTES = 16L * 1024 * 1024;
    /** DeleteObjects takes at most 1,000 keys. */
    private static final int DELETE_BATCH = 1000;

    private final S3Client client;
    private final S3Location location;
    private final S3Keys keys;
    private final Path staging;
    private final S3Uploader uploader;
    private final RunSizes sizes = new RunSizes();
    /** False once the store refused a batch delete. */
    private volatile boolean batchDelete = true;

    /**
     * @param staging   local folder runs are extracted into before upload (created when missing)
     * @param partBytes files larger than this are uploaded in parts of this size
     */
    public S3ArtifactStore(S3Client client, S3Location location, Path staging, long partBytes) {
        this.client = Objects.requireNonNull(client, "client was not specified");
        this.location = Objects.requireNonNull(location, "location was not specified");
        this.keys = new S3Keys(location);
        this.uploader = new S3Uploader(client, location.bucket(), partBytes);
        try {
            this.staging = Files.createDirectories(staging).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the artifacts staging folder " + staging, e);
        }
    }

    public S3Location location() {
        return location;
    }

    @Override
    public Path folderOf(String runId) {
        if (!RunIds.looksValid(runId)) {
            throw new IllegalArgumentException("not a run id: " + runId);
        }
        return staging.resolve(runId);
    }

    @Override
    public void publish(String runId) throws IOException {
        Path folder = folderOf(runId);
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        long began = System.nanoTime();
        List<Path> files = regularFiles(folder);
        long bytes = 0;
        try {
            for (Path file : files) {
                String relative = folder.relativize(file).toString().replace('\\', '/');
                String key = keys.key(runId, relative).orElseThrow(() -> new IOException("run " + runId
                        + " has a file whose path cannot be a key: " + relative));
                bytes += uploader.upload(file, key);
            }
        } catch (IOException | SdkException | UncheckedIOException e) {
            deleteObjects(runId);
            throw e instanceof IOException io ? io : new IOException("cannot upload the files of run " + runId
                    + " to " + location + ": " + e.getMessage(), e);
        }
        Folders.deleteTree(folder);
        log.info("run {} - {} file(s), {} bytes uploaded to {} in {} ms", runId, files.size(), bytes, location,
                (System.nanoTime() - began) / 1_000_000);
    }

    /** Regular files only, links not followed: a link a workload planted is not uploaded, nor is its target. */
    private static List<Path> regularFiles(Path folder) throws IOException {
        List<Path> files = new ArrayList<>();
        Files.walkFileTree(folder, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile()) {
                    files.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return files;
    }

    @Override
    public void recordFinished(String runId, long bytes) {
        sizes.record(runId, bytes);
    }

    @Override
    public void delete(String runId) throws IOException {
        Folders.deleteTree(folderOf(runId));
        try {
            deleteObjects(runId);
        } catch (SdkException e) {
            throw new IOException("cannot delete the files of run " + runId + " in " + location + ": "
                    + e.getMessage(), e);
        }
        sizes.remove(runId);
    }

    /** Lists and deletes everything under {@code prefix/<run id>/}, a page (at most 1,000 keys) at a time. */
    private void deleteObjects(String runId) {
        ListObjectsV2Request list = ListObjectsV2Request.builder().bucket(location.bucket())
                .prefix(keys.runPrefix(runId)).maxKeys(DELETE_BATCH).build();
        for (var page : client.listObjectsV2Paginator(list)) {
            if (page.contents().isEmpty()) {
                continue;
            }
            if (!batchDelete) {
                page.contents().forEach(o -> client.deleteObject(b -> b.bucket(location.bucket()).key(o.key())));
                continue;
            }
            List<ObjectIdentifier> batch = page.contents().stream()
                    .map(o -> ObjectIdentifier.builder().key(o.key()).build()).toList();
            DeleteObjectsResponse response;
            try {
                response = client.deleteObjects(b -> b.bucket(location.bucket())
                        .delete(Delete.builder().objects(batch).quiet(true).build()));
            } catch (S3Exception e) {
                if (e.statusCode() != 501) {
                    throw e;
                }
                // DeleteObjects must carry a checksum header, and the SDK's (CRC32) is not one every S3-compatible
                // store knows (s3proxy 2.6 answers 501): one DeleteObject per key from now on.
                log.warn("artifacts - {} does not take DeleteObjects as this SDK sends it ({}); deleting one object"
                        + " at a time", location, e.getMessage());
                batchDelete = false;
                page.contents().forEach(o -> client.deleteObject(b -> b.bucket(location.bucket()).key(o.key())));
                continue;
            }
            if (response.hasErrors() && !response.errors().isEmpty()) {
                throw S3Exception.builder().message("could not delete " + response.errors().size() + " object(s) of run "
                        + runId + ", first " + response.errors().getFirst().key() + ": "
                        + response.errors().getFirst().message()).build();
            }
        }
    }

    @Override
    public Optional<ArtifactObject> open(String runId, String relativePath) {
        Optional<String> key = keys.key(runId, relativePath);
        if (key.isEmpty()) {
            return Optional.empty();
        }
        String name = key.get().substring(key.get().lastIndexOf('/') + 1);
        if (!key.get().equals(keys.root() + runId)) {
            try {
                HeadObjectResponse head = client.headObject(b -> b.bucket(location.bucket()).key(key.get()));
                return Optional.of(new S3File(name, key.get(), head.contentLength()));
            } catch (NoSuchKeyException e) {
                // Not a file: maybe a folder.
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e;
                }
            }
        }
        // S3 has no folders: a path is one when a key is below it.
        var below = client.listObjectsV2(b -> b.bucket(location.bucket()).prefix(key.get() + "/").maxKeys(1));
        return below.keyCount() != null && below.keyCount() > 0 || !below.contents().isEmpty()
                ? Optional.of(new S3Folder(name)) : Optional.empty();
    }

    @Override
    public long totalBytes() {
        return sizes.total();
    }

    /** Run folders in the bucket (one listing by common prefix, no walk) and staging folders left here. */
    @Override
    public Set<String> runsOnDisk() {
        Set<String> runs = new HashSet<>();
        ListObjectsV2Request list = ListObjectsV2Request.builder().bucket(location.bucket()).prefix(keys.root())
                .delimiter("/").build();
        for (var page : client.listObjectsV2Paginator(list)) {
            for (CommonPrefix common : page.commonPrefixes()) {
                keys.runIdOf(common.prefix()).ifPresent(runs::add);
            }
        }
        try (Stream<Path> folders = Files.list(staging)) {
            runs.addAll(folders.filter(f -> Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS))
                    .map(f -> f.getFileName().toString()).filter(RunIds::looksValid).collect(Collectors.toSet()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the artifacts staging folder " + staging, e);
        }
        return runs;
    }

    @Override
    public List<String> runsOldestFirst() {
        return sizes.oldestFirst();
    }

    @Override
    public void close() {
        client.close();
    }

    private record S3Folder(String name) implements ArtifactObject {
        @Override
        public boolean isFolder() {
            return true;
        }

        @Override
        public long size() {
            return 0;
        }

        @Override
        public InputStream stream(long offset, long length) {
            return InputStream.nullInputStream();
        }
    }

    private final class S3File implements ArtifactObject {
        private final String name;
        private final String key;
        private final long size;

        S3File(String name, String key, long size) {
            this.name = name;
            this.key = key;
            this.size = size;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean isFolder() {
            return false;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public InputStream stream(long offset, long length) throws IOException {
            if (length == 0) {
                return InputStream.nullInputStream();
            }
            try {
                return new BoundedInputStream(client.getObject(b -> b.bucket(location.bucket()).key(key)
                        .range(S3Keys.range(offset, length))), length);
            } catch (NoSuchKeyException e) {
                throw new IOException("artifact " + key + " is gone from " + location, e);
            } catch (SdkException e) {
                throw new IOException("cannot read " + key + " from " + location + ": " + e.getMessage(), e);
            }
        }
    }
}
