package dev.lightrun.server.artifacts.s3;

import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.time.Duration;

/** The one place an {@link S3Client} is configured. */
public final class S3Clients {
    /** One request (a 16 MiB part on a slow link included); reading a download's body is bounded by the socket. */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofMinutes(5);

    private S3Clients() {
    }

    /**
     * A client for AWS S3 or an S3-compatible store. Credentials come from the SDK's default chain
     * ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, a profile, an instance role), read when first needed.
     *
     * @param endpoint  null for AWS itself; else the store's URL, e.g. {@code http://127.0.0.1:9000}
     * @param pathStyle {@code http://host/bucket/key} instead of {@code http://bucket.host/key}
     * @param region    e.g. {@code us-east-1}; S3-compatible stores mostly ignore it, but it is signed
     */
    public static S3Client create(URI endpoint, boolean pathStyle, String region) {
        var builder = S3Client.builder()
                .region(Region.of(region))
                .forcePathStyle(pathStyle)
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                // The SDK's default (since 2.30) adds CRC trailers in aws-chunked bodies, which many S3-compatible
                // stores refuse; a checksum only where the API requires one (DeleteObjects) works everywhere.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .apiCallAttemptTimeout(ATTEMPT_TIMEOUT).build());
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return builder.build();
    }
}
