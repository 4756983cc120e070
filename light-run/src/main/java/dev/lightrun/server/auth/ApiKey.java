package dev.lightrun.server.auth;

import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One API key as the keys file holds it: a name (the owner of the runs it starts), the SHA-256 of its token (the token
 * itself is never stored), its scopes and its quota. {@link #toString()} leaves the digest out.
 *
 * @param name        1..64 of {@code A-Z a-z 0-9 . _ -}, starting with a letter or digit; unique in a file
 * @param tokenSha256 32 bytes: SHA-256 of the token's UTF-8 bytes
 * @param scopes      at least one
 * @param quota       the tenant's limits ({@link Quota#UNLIMITED} for none)
 */
public record ApiKey(String name, byte[] tokenSha256, Set<Scope> scopes, Quota quota) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public ApiKey {
        Objects.requireNonNull(name, "name was not specified");
        if (!isValidName(name)) {
            throw new IllegalArgumentException("name must be 1..64 of A-Z a-z 0-9 . _ - starting with a letter or"
                    + " digit, was '" + name + "'");
        }
        Objects.requireNonNull(tokenSha256, "tokenSha256 was not specified");
        if (tokenSha256.length != Tokens.DIGEST_BYTES) {
            throw new IllegalArgumentException("tokenSha256 must be " + Tokens.DIGEST_BYTES + " bytes");
        }
        tokenSha256 = tokenSha256.clone();
        Objects.requireNonNull(scopes, "scopes was not specified");
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("scopes must name at least one scope");
        }
        scopes = Set.copyOf(EnumSet.copyOf(scopes));
        quota = Objects.requireNonNullElse(quota, Quota.UNLIMITED);
    }

    /** Whether {@code name} may name a key (and so an owner of runs). */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    @Override
    public byte[] tokenSha256() {
        return tokenSha256.clone();
    }

    /** Who a request with this key's token is. */
    public Caller caller() {
        return new Caller(name, scopes, quota);
    }

    /** Scopes in their declared order, as the file and the CLI write them. */
    public List<Scope> sortedScopes() {
        return EnumSet.copyOf(scopes).stream().toList();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ApiKey key && name.equals(key.name) && Arrays.equals(tokenSha256, key.tokenSha256)
                && scopes.equals(key.scopes) && quota.equals(key.quota);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(tokenSha256), scopes, quota);
    }

    @Override
    public String toString() {
        return "ApiKey[name=" + name + ", scopes=" + sortedScopes() + ", quota=" + quota + "]";
    }
}
