package dev.lightrun.server.config;

/**
 * A setting with a bad value. The message is one line naming the setting (by flag and variable when it is one of
 * {@code light-run serve}'s), the rule and the value: {@code invalid --max-queue / LIGHT_RUN_MAX_QUEUE: must be >= 0,
 * was -1}; the CLI prints it after {@code light-run: } and exits with 2.
 */
public class ConfigException extends RuntimeException {
    public ConfigException(Setting setting, String problem) {
        this(setting.label(), problem);
    }

    /** A setting only code sets (a builder's field name), e.g. {@code defaultMemoryMiB}. */
    public ConfigException(String setting, String problem) {
        super("invalid " + setting + ": " + problem);
    }
}
