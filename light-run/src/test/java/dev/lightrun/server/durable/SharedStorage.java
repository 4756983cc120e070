package dev.lightrun.server.durable;

import dev.lightrun.server.artifacts.s3.S3TestBucket;
import dev.lightrun.server.store.PostgresTestDatabase;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.Comparator;
import java.util.UUID;

/**
 * What the replicas of one test share: a PostgreSQL schema of its own and a prefix of its own in the test bucket,
 * both made before the test and dropped after it. Register it before (and with a lower {@code @Order} than) the
 * {@link ServerProcesses} that use it, so that the servers are stopped before their database goes.
 */
final class SharedStorage implements BeforeEachCallback, AfterEachCallback {
    private PostgresTestDatabase database;
    private String prefix;

    @Override
    public void beforeEach(ExtensionContext context) {
        database = PostgresTestDatabase.create();
        prefix = "replicas-it-" + UUID.randomUUID();
    }

    PostgresTestDatabase database() {
        return database;
    }

    /** {@code LIGHT_RUN_ARTIFACTS_URL} of every replica: artifacts and finished logs in the bucket, under the prefix. */
    String artifactsUrl() {
        return "s3://" + S3TestBucket.bucket() + "/" + prefix;
    }

    /** A replica's setup on this storage: its own folders under {@code setup}, the shared store and bucket. */
    ServerProcess.Setup replica(ServerProcess.Setup setup, String name) {
        return setup.withEnv("LIGHT_RUN_STORE_URL", database.url())
                .withEnv("LIGHT_RUN_REPLICA_NAME", name)
                .withEnv("LIGHT_RUN_ARTIFACTS_URL", artifactsUrl())
                .withEnv("LIGHT_RUN_S3_ENDPOINT", S3TestBucket.endpoint());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try (S3Client s3 = S3TestBucket.client()) {
            // Children first: s3proxy's filesystem backend lists its folders as keys ending in /.
            s3.listObjectsV2Paginator(b -> b.bucket(S3TestBucket.bucket()).prefix(prefix + "/")).contents().stream()
                    .map(S3Object::key).sorted(Comparator.reverseOrder())
                    .forEach(key -> s3.deleteObject(b -> b.bucket(S3TestBucket.bucket()).key(key)));
        } finally {
            database.close();
        }
    }
}
