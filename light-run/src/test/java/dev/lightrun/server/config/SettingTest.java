package dev.lightrun.server.config;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class SettingTest {

    @Test
    void flagAndVariableAreDerivedFromOneName() {
        assertThat(Setting.MAX_ARTIFACTS_BYTES.flag()).isEqualTo("--max-artifacts-bytes");
        assertThat(Setting.MAX_ARTIFACTS_BYTES.env()).isEqualTo("LIGHT_RUN_MAX_ARTIFACTS_BYTES");
        assertThat(Setting.MAX_ARTIFACTS_BYTES.label()).isEqualTo("--max-artifacts-bytes / LIGHT_RUN_MAX_ARTIFACTS_BYTES");
        assertThat(Setting.byFlag("--callback-backoff-ms")).contains(Setting.CALLBACK_BACKOFF_MS);
        assertThat(Setting.byFlag("--help")).isEmpty();
        assertThat(Arrays.stream(Setting.values()).map(Setting::env)).doesNotHaveDuplicates()
                .allMatch(env -> env.matches("LIGHT_RUN_[A-Z0-9_]+"));
    }

    @Test
    void defaultTextIsTheDefaultAsTheCommandLineWritesIt() {
        assertThat(Setting.PORT.defaultText()).isEqualTo(Integer.toString(Defaults.PORT));
        assertThat(Setting.DEFAULT_TIMEOUT_MS.defaultText()).isEqualTo("60000");
        assertThat(Setting.BUILD_CACHE_MAX_AGE_MS.defaultText()).isEqualTo(Long.toString(7L * 24 * 3600 * 1000));
        assertThat(Setting.FILES_MODE.defaultText()).isEqualTo("auto");
        assertThat(Setting.ALLOW_BUILD.defaultText()).isEqualTo("true");
        assertThat(Setting.TOKEN.defaultText()).isNull();
    }
}
