package dev.lightrun.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The store URLs the replicas scenario gives its servers, and the form output shows them in (no credentials). */
class PgSchemaTest {

    @Test
    void theSchemaIsAddedToTheQuery() {
        assertThat(PgSchema.withSchema("jdbc:postgresql://127.0.0.1:55432/lightrun?user=lr&password=pw", "bench_0a"))
                .isEqualTo("jdbc:postgresql://127.0.0.1:55432/lightrun?user=lr&password=pw&currentSchema=bench_0a");
        assertThat(PgSchema.withSchema("jdbc:postgresql://db/lightrun", "bench_0a"))
                .isEqualTo("jdbc:postgresql://db/lightrun?currentSchema=bench_0a");
    }

    @Test
    void redactedUrlsKeepNeitherQueryNorUserInfo() {
        assertThat(PgSchema.redacted("jdbc:postgresql://127.0.0.1:55432/lightrun?user=lr&password=secret"))
                .isEqualTo("jdbc:postgresql://127.0.0.1:55432/lightrun");
        assertThat(PgSchema.redacted("jdbc:postgresql://lr:secret@db.example:5432/lightrun"))
                .isEqualTo("jdbc:postgresql://db.example:5432/lightrun");
        assertThat(PgSchema.redacted("jdbc:postgresql://db/lightrun")).isEqualTo("jdbc:postgresql://db/lightrun");
    }

    @Test
    void onlyPostgresUrlsAreAccepted() {
        assertThat(PgSchema.isPostgresUrl("jdbc:postgresql://db/lightrun")).isTrue();
        assertThat(PgSchema.isPostgresUrl("jdbc:sqlite:/tmp/runs.db")).isFalse();
        assertThat(PgSchema.isPostgresUrl("postgres://db/lightrun")).isFalse();
    }
}
