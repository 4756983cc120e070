package dev.lightrun.server.artifacts.s3;

import dev.lightrun.server.artifacts.BoundedInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Uploads one file: a {@code PutObject} up to the part size, else a multipart upload whose parts are read from the
 * file as they are sent (the SDK may read a part twice, to sign it and to send it: each read opens the range again),
 * so memory stays flat whatever the file's size. A failed multipart upload is aborted, so no parts are left billed.
 */
final class S3Uploader {
    private static final String OCTETS = "application/octet-stream";

    private final S3Client client;
    private final String bucket;
    private final long partBytes;

    S3Uploader(S3Client client, String bucket, long partBytes) {
        if (partBytes < 5L * 1024 * 1024) {
            throw new IllegalArgumentException("partBytes must be >= 5 MiB (S3's smallest part), was " + partBytes);
        }
        this.client = client;
        this.bucket = bucket;
        this.partBytes = partBytes;
    }

    /** @return the bytes uploaded */
    long upload(Path file, String key) throws IOException {
        long size = Files.size(file);
        if (size <= partBytes) {
            client.putObject(b -> b.bucket(bucket).key(key).contentType(OCTETS), RequestBody.fromFile(file));
            return size;
        }
        String uploadId = client.createMultipartUpload(b -> b.bucket(bucket).key(key).contentType(OCTETS)).uploadId();
        try {
            List<CompletedPart> done = new ArrayList<>();
            for (S3Keys.Part part : S3Keys.parts(size, partBytes)) {
                String etag = client.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                                .partNumber(part.number()).contentLength(part.length()),
                        RequestBody.fromContentProvider(range(file, part), part.length(), OCTETS)).eTag();
                done.add(CompletedPart.builder().partNumber(part.number()).eTag(etag).build());
            }
            client.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(done)));
            return size;
        } catch (SdkException | UncheckedIOException e) {
            try {
                client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (SdkException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    /** A new stream of one part's bytes on each call. */
    private static ContentStreamProvider range(Path file, S3Keys.Part part) {
        return () -> {
            try {
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                InputStream in = Channels.newInputStream(channel.position(part.offset()));
                return new BoundedInputStream(in, part.length());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read part " + part.number() + " of " + file, e);
            }
        };
    }
}
