package dev.lightrun.server.auth;

import dev.lightrun.server.model.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The keys in force: the token's, the file's, and what a reload does with a good and a broken file. */
class KeyRegistryTest {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("keys.json");
    }

    private void write(String... names) throws Exception {
        List<ApiKey> keys = new ArrayList<>();
        for (String name : names) {
            keys.add(new ApiKey(name, Tokens.sha256("lr_" + name), Set.of(Scope.RUN), null));
        }
        KeysFile.write(file(), keys);
    }

    @Test
    void theTokenIsAnAdminKeyBesideTheFilesKeys() throws Exception {
        write("team-a");
        try (KeyRegistry keys = new KeyRegistry("server-token", file())) {
            assertThat(keys.enabled()).isTrue();
            assertThat(keys.ring().find("server-token").orElseThrow().name()).isEqualTo("admin");
            assertThat(keys.ring().find("server-token").orElseThrow().isAdmin()).isTrue();
            assertThat(keys.ring().find("lr_team-a").orElseThrow().name()).isEqualTo("team-a");
        }
        try (KeyRegistry open = new KeyRegistry(null, null)) {
            assertThat(open.enabled()).isFalse();
        }
    }

    @Test
    void reloadAddsAndRemovesKeys() throws Exception {
        write("team-a");
        try (KeyRegistry keys = new KeyRegistry(null, file())) {
            write("team-b");
            assertThat(keys.reloadIfChanged()).isTrue();
            assertThat(keys.ring().find("lr_team-a")).isEmpty();
            assertThat(keys.ring().find("lr_team-b")).isPresent();
            assertThat(keys.reloadIfChanged()).as("nothing changed since").isFalse();
        }
    }

    @Test
    void aBrokenFileKeepsThePreviousKeys() throws Exception {
        write("team-a");
        try (KeyRegistry keys = new KeyRegistry("server-token", file())) {
            Files.writeString(file(), "{\"keys\": [{\"name\": \"team-b\"");
            assertThat(keys.reload()).isFalse();
            assertThat(keys.ring().find("lr_team-a")).isPresent();
            assertThat(keys.ring().find("server-token")).isPresent();

            Files.delete(file());
            assertThat(keys.reloadIfChanged()).isFalse();
            assertThat(keys.ring().find("lr_team-a")).isPresent();

            write("team-c");
            assertThat(keys.reloadIfChanged()).isTrue();
            assertThat(keys.ring().find("lr_team-c")).isPresent();
            assertThat(keys.ring().find("lr_team-a")).isEmpty();
        }
    }

    @Test
    void reservedNamesAreRefused() throws Exception {
        write("anonymous");
        assertThatThrownBy(() -> new KeyRegistry(null, file())).isInstanceOf(KeysFileException.class)
                .hasMessageContaining("key 'anonymous': name: reserved");
        write("admin");
        assertThatThrownBy(() -> new KeyRegistry("server-token", file())).isInstanceOf(KeysFileException.class)
                .hasMessageContaining("key 'admin': name: reserved for the server's --token");
        try (KeyRegistry withoutToken = new KeyRegistry(null, file())) {
            assertThat(withoutToken.ring().find("lr_admin").orElseThrow().name()).isEqualTo("admin");
        }
    }
}
