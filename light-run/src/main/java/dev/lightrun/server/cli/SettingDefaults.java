package dev.lightrun.server.cli;

import dev.lightrun.server.config.Setting;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The value of an option not given on the command line: its {@code LIGHT_RUN_*} variable when set and not blank, else
 * the setting's default ({@link Setting#defaultText()}; none for a few). picocli converts either like a flag's value,
 * so a bad variable fails exactly like a bad flag, and {@code --help}'s {@code ${DEFAULT-VALUE}} shows what a start
 * without the flag would use.
 */
final class SettingDefaults implements CommandLine.IDefaultValueProvider {
    private final Map<String, String> env;

    /** picocli's constructor: the process environment. */
    SettingDefaults() {
        this(System.getenv());
    }

    SettingDefaults(Map<String, String> env) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env was not specified"));
    }

    @Override
    public String defaultValue(ArgSpec argument) {
        return settingOf(argument).map(setting -> {
            String value = env.get(setting.env());
            return value == null || value.isBlank() ? setting.defaultText() : value;
        }).orElse(null);
    }

    /** The setting an option stands for; empty for {@code --help}, {@code --version} and positional arguments. */
    static Optional<Setting> settingOf(ArgSpec argument) {
        return argument instanceof OptionSpec option ? Setting.byFlag(option.longestName()) : Optional.empty();
    }
}
