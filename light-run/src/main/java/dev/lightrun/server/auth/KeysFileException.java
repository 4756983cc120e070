package dev.lightrun.server.auth;

/**
 * A keys file that cannot be used: unreadable, not JSON, or a key with a bad field. The message is one line naming the
 * file, the key and the field: {@code keys.json: key 'team-a': scopes: unknown scope 'write'; use run, read, ...}.
 */
public class KeysFileException extends RuntimeException {
    public KeysFileException(String message) {
        super(message);
    }

    public KeysFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
