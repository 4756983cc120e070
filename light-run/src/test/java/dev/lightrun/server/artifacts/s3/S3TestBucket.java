package dev.lightrun.server.artifacts.s3;

import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;

/**
 * The bucket of {@code scripts/dev-services.sh}'s s3proxy: {@code LIGHT_RUN_TEST_S3_ENDPOINT} and
 * {@code LIGHT_RUN_TEST_S3_BUCKET}, credentials from {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}. A test
 * that needs it fails (never skips) when they are missing.
 */
public final class S3TestBucket {
    private S3TestBucket() {
    }

    public static String endpoint() {
        return required("LIGHT_RUN_TEST_S3_ENDPOINT");
    }

    public static String bucket() {
        return required("LIGHT_RUN_TEST_S3_BUCKET");
    }

    public static S3Client client() {
        required("AWS_ACCESS_KEY_ID");
        required("AWS_SECRET_ACCESS_KEY");
        return S3Clients.create(URI.create(endpoint()), true, "us-east-1");
    }

    private static String required(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: start s3proxy with"
                    + " eval \"$(scripts/dev-services.sh up)\" (scripts/test.sh does)");
        }
        return value;
    }
}
