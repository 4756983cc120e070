package dev.lightrun.server.store;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StoreUrlsTest {
    private static final String URL = "jdbc:postgresql://db:5432/lightrun?user=lightrun&password=s3cr%26t&ssl=true";

    @Test
    void maskedShowsEverythingButThePassword() {
        assertThat(StoreUrls.masked(URL))
                .isEqualTo("jdbc:postgresql://db:5432/lightrun?user=lightrun&password=<masked>&ssl=true");
        assertThat(StoreUrls.masked("jdbc:postgresql://db/x?PASSWORD=abc")).isEqualTo("jdbc:postgresql://db/x?password=<masked>");
        assertThat(StoreUrls.masked("jdbc:postgresql://me:abc@db/x")).isEqualTo("jdbc:postgresql://me:<masked>@db/x");
        assertThat(StoreUrls.masked("jdbc:postgresql://db/x")).isEqualTo("jdbc:postgresql://db/x");
        assertThat(StoreUrls.masked(null)).isNull();
    }

    @Test
    void thePasswordIsTakenOutOfTheUrlAndDecoded() {
        assertThat(StoreUrls.password(URL)).contains("s3cr&t");
        assertThat(StoreUrls.withoutPassword(URL)).isEqualTo("jdbc:postgresql://db:5432/lightrun?user=lightrun&ssl=true");
        assertThat(StoreUrls.withoutPassword("jdbc:postgresql://db/x?password=p")).isEqualTo("jdbc:postgresql://db/x");
        assertThat(StoreUrls.password("jdbc:postgresql://db/x?user=u")).isEmpty();
    }

    @Test
    void onlyPostgresUrlsAreTaken() {
        assertThat(StoreUrls.isPostgres("jdbc:postgresql://db/x")).isTrue();
        assertThat(StoreUrls.isPostgres("jdbc:postgresql:x")).isTrue();
        assertThat(StoreUrls.isPostgres("jdbc:sqlite:x.db")).isFalse();
        assertThat(StoreUrls.isPostgres(null)).isFalse();
    }
}
