package dev.lightrun.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Tokens and their digests: what a key file stores of a token is only its SHA-256. */
public final class Tokens {
    /** Bytes of a SHA-256 digest. */
    static final int DIGEST_BYTES = 32;
    /** Random bytes of a new token: 256 bits, far beyond guessing even without the failed-auth limit. */
    private static final int TOKEN_BYTES = 32;
    /** Marks light-run tokens, so secret scanners and people recognise one. */
    public static final String PREFIX = "lr_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Tokens() {
    }

    /** SHA-256 of the token's UTF-8 bytes. */
    public static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** A new token: {@value #PREFIX} and 32 random bytes from {@link SecureRandom}, URL-safe base64 without padding. */
    public static String newToken() {
        byte[] bytes = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Lower-case hex, as the keys file writes a digest. */
    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
