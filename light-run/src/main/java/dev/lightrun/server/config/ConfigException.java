package dev.lightrun.server.config;

/** A setting with a bad value; the message names the setting, and the CLI prints it as one line. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
