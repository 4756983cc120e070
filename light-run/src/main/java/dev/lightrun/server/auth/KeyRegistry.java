package dev.lightrun.server.auth;

import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The keys in force: the server's {@code --token} (a key named {@value #TOKEN_KEY_NAME} with scope admin) and the keys
 * file's, reloaded on demand ({@link #reload()}, what SIGHUP calls) and when the file changes ({@link #watch}). A file
 * that cannot be used is refused with one log line and the previous keys stay in force. Thread-safe.
 */
public final class KeyRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KeyRegistry.class);
    /** The name of the key of {@code --token}. */
    public static final String TOKEN_KEY_NAME = "admin";
    /** The owner of runs on an open server; no key may take it, or it would inherit those runs. */
    static final String RESERVED_NAME = "anonymous";

    private final ApiKey tokenKey;
    private final Path file;
    private final ReentrantLock reloading = new ReentrantLock();
    private volatile KeyRing ring;
    /** Size and modification time of the file as last read (or refused), so one change is read and logged once. */
    private volatile Stamp seen;
    private volatile Thread watcher;

    private record Stamp(long size, long modifiedNanos, Object fileKey) {
    }

    /**
     * Reads the keys file at once.
     *
     * @param token the server's token, or null
     * @param file  the keys file, or null
     * @throws KeysFileException when the file cannot be used
     */
    public KeyRegistry(String token, Path file) {
        this.tokenKey = tokenKeyOf(token);
        this.file = file;
        this.seen = stamp();
        this.ring = load();
        if (file != null) {
            log.info("keys - {} key(s) from {}{}", ring.size() - (tokenKey == null ? 0 : 1), file,
                    tokenKey == null ? "" : ", and the token's (admin)");
        }
    }

    /** Whether requests need a key at all (a token or a keys file was given). */
    public boolean enabled() {
        return tokenKey != null || file != null;
    }

    public KeyRing ring() {
        return ring;
    }

    /**
     * The quota of the key named {@code owner} in the keys now in force; unlimited for a name no key has (the token's
     * {@code admin}, {@code anonymous}, a removed key). Restart recovery uses it for the runs it puts back in line.
     */
    public Quota quotaOf(String owner) {
        return ring.keys().stream().filter(key -> key.name().equals(owner)).findFirst()
                .map(ApiKey::quota).orElse(Quota.UNLIMITED);
    }

    /**
     * Reads the file again. On success the new keys are in force for the next request (requests under way and runs
     * are not touched); otherwise one WARN line says why and the previous keys stay.
     *
     * @return whether the new keys are in force
     */
    public boolean reload() {
        if (file == null) {
            return true;
        }
        reloading.lock();
        try {
            seen = stamp();
            KeyRing next;
            try {
                next = load();
            } catch (KeysFileException e) {
                log.warn("keys - not reloaded, the previous {} key(s) stay in force: {}", ring.size(), e.getMessage());
                return false;
            }
            ring = next;
            log.info("keys - reloaded {}: {} key(s)", file, next.size() - (tokenKey == null ? 0 : 1));
            return true;
        } finally {
            reloading.unlock();
        }
    }

    /** Reloads when the file's size, modification time or identity changed since it was last read. */
    public boolean reloadIfChanged() {
        if (file == null || Objects.equals(stamp(), seen)) {
            return false;
        }
        return reload();
    }

    /** Checks the file for changes every {@code interval} on a virtual thread until {@link #close()}. */
    public void watch(Duration interval) {
        if (file == null || watcher != null) {
            return;
        }
        watcher = Thread.ofVirtual().name("keys-watch").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(interval);
                    reloadIfChanged();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    log.warn("keys - checking {} for changes failed: {}", file, e.toString());
                }
            }
        });
    }

    /**
     * Checks a token and keys file as the constructor would read them, without keeping or logging anything: what
     * {@code serve} does before it starts anything else.
     *
     * @throws KeysFileException when the file cannot be used
     */
    public static void validate(String token, Path file) {
        new KeyRegistry(tokenKeyOf(token), file, false);
    }

    private KeyRegistry(ApiKey tokenKey, Path file, boolean unused) {
        this.tokenKey = tokenKey;
        this.file = file;
        this.ring = load();
    }

    private static ApiKey tokenKeyOf(String token) {
        return token == null ? null
                : new ApiKey(TOKEN_KEY_NAME, Tokens.sha256(token), Set.of(Scope.ADMIN), Quota.UNLIMITED);
    }

    private KeyRing load() {
        List<ApiKey> keys = new ArrayList<>();
        if (tokenKey != null) {
            keys.add(tokenKey);
        }
        if (file != null) {
            for (ApiKey key : KeysFile.read(file)) {
                if (key.name().equals(RESERVED_NAME)) {
                    throw new KeysFileException(file + ": key '" + RESERVED_NAME + "': name: reserved for the runs"
                            + " of an open server");
                }
                if (tokenKey != null && key.name().equals(TOKEN_KEY_NAME)) {
                    throw new KeysFileException(file + ": key '" + TOKEN_KEY_NAME + "': name: reserved for the"
                            + " server's --token / LIGHT_RUN_TOKEN while one is set");
                }
                keys.add(key);
            }
        }
        return new KeyRing(keys);
    }

    private Stamp stamp() {
        if (file == null) {
            return null;
        }
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(attributes.size(), attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                    attributes.fileKey());
        } catch (NoSuchFileException e) {
            return new Stamp(-1, -1, null);
        } catch (IOException e) {
            return new Stamp(-2, -2, null);
        }
    }

    @Override
    public void close() {
        Thread thread = watcher;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
