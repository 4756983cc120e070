package dev.lightrun.server.artifacts.s3;

import dev.lightrun.server.logs.LogArchive;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Finished runs' logs in the artifacts bucket: {@code prefix/.logs/<run id>/<n>.jsonl}, one object per segment as
 * {@link dev.lightrun.server.logs.RunLogs} wrote it, and {@code dropped} (the bytes the cap dropped) when any were.
 * Thread-safe.
 */
public final class S3LogArchive implements LogArchive {
    private static final String SEGMENT_SUFFIX = ".jsonl";
    private static final String DROPPED = "dropped";

    private final S3Client client;
    private final String bucket;
    private final S3Keys keys;
    private final S3Uploader uploader;

    public S3LogArchive(S3Client client, S3Location location) {
        this.client = Objects.requireNonNull(client, "client was not specified");
        this.bucket = location.bucket();
        this.keys = new S3Keys(location);
        this.uploader = new S3Uploader(client, bucket, S3ArtifactStore.DEFAULT_PART_BYTES);
    }

    @Override
    public void store(String runId, List<Path> segments, long droppedBytes) throws IOException {
        String prefix = keys.logPrefix(runId);
        try {
            for (Path segment : segments) {
                // <run id>.<n>.jsonl on disk -> <n>.jsonl here.
                String name = segment.getFileName().toString();
                uploader.upload(segment, prefix + name.substring(runId.length() + 1));
            }
            if (droppedBytes > 0) {
                client.putObject(b -> b.bucket(bucket).key(prefix + DROPPED),
                        RequestBody.fromString(Long.toString(droppedBytes), StandardCharsets.UTF_8));
            }
        } catch (SdkException e) {
            throw new IOException("cannot archive the log of run " + runId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<Long> segments(String runId) throws IOException {
        String prefix = keys.logPrefix(runId);
        List<Long> numbers = new ArrayList<>();
        try {
            for (var page : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))) {
                for (S3Object object : page.contents()) {
                    String name = object.key().substring(prefix.length());
                    if (name.endsWith(SEGMENT_SUFFIX)) {
                        try {
                            numbers.add(Long.parseLong(name.substring(0, name.length() - SEGMENT_SUFFIX.length())));
                        } catch (NumberFormatException notASegment) {
                            // Not ours: ignored.
                        }
                    }
                }
            }
        } catch (SdkException e) {
            throw new IOException("cannot list the archived log of run " + runId + ": " + e.getMessage(), e);
        }
        numbers.sort(null);
        return numbers;
    }

    @Override
    public InputStream open(String runId, long segment) throws IOException {
        try {
            return client.getObject(b -> b.bucket(bucket).key(keys.logPrefix(runId) + segment + SEGMENT_SUFFIX));
        } catch (SdkException e) {
            throw new IOException("cannot read segment " + segment + " of the log of run " + runId + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public long droppedBytes(String runId) throws IOException {
        try {
            return Long.parseLong(client.getObjectAsBytes(b -> b.bucket(bucket).key(keys.logPrefix(runId) + DROPPED))
                    .asUtf8String().trim());
        } catch (NoSuchKeyException none) {
            return 0;
        } catch (SdkException | NumberFormatException e) {
            throw new IOException("cannot read the dropped bytes of the log of run " + runId + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String runId) throws IOException {
        String prefix = keys.logPrefix(runId);
        try {
            for (var page : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))) {
                for (S3Object object : page.contents()) {
                    client.deleteObject(b -> b.bucket(bucket).key(object.key()));
                }
            }
        } catch (SdkException e) {
            throw new IOException("cannot delete the archived log of run " + runId + ": " + e.getMessage(), e);
        }
    }
}
