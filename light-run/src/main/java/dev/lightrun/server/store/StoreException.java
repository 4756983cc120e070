package dev.lightrun.server.store;

/** The run store failed (disk full, corrupt file, ...). The server answers 500 and logs it once. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
