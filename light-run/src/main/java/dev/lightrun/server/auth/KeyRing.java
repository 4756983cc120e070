package dev.lightrun.server.auth;

import dev.lightrun.server.model.Caller;

import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * An immutable set of keys and the one way to find the caller of a token. Thread-safe.
 *
 * <p>The token is hashed and its digest compared with every key's in constant time ({@link MessageDigest#isEqual}),
 * always with all of them: neither a token's content nor which key (first, last) it matched shows in the time taken.
 */
public final class KeyRing {
    private final List<ApiKey> keys;

    public KeyRing(List<ApiKey> keys) {
        this.keys = List.copyOf(keys);
    }

    public List<ApiKey> keys() {
        return keys;
    }

    public int size() {
        return keys.size();
    }

    /** The caller whose key has this token; empty for a token of no key. */
    public Optional<Caller> find(String token) {
        byte[] digest = Tokens.sha256(token);
        ApiKey match = null;
        for (ApiKey key : keys) {
            // No early exit: every key is compared, whatever matched before.
            boolean equal = MessageDigest.isEqual(digest, key.tokenSha256());
            match = equal && match == null ? key : match;
        }
        return match == null ? Optional.empty() : Optional.of(match.caller());
    }

    @Override
    public String toString() {
        return "KeyRing[" + keys.stream().map(ApiKey::name).toList() + "]";
    }
}
