package dev.lightrun.server.store;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The store URLs an operator may give ({@code jdbc:postgresql://host:port/db?user=..&password=..}), and how to show one
 * without its password. The password is a secret: it appears in no log line, no message and no {@code toString}.
 */
public final class StoreUrls {
    /** The prefix of every URL {@link PostgresRunStore} takes. */
    public static final String POSTGRES_PREFIX = "jdbc:postgresql:";
    private static final String MASK = "<masked>";
    /** {@code //user:secret@host}: pgjdbc does not read it, but an operator may still write it. */
    private static final Pattern USER_INFO_PASSWORD = Pattern.compile("(//[^/@:?]*):[^/@?]*@");

    private StoreUrls() {
    }

    public static boolean isPostgres(String url) {
        return url != null && url.startsWith(POSTGRES_PREFIX);
    }

    /** The URL with every password shown as {@code <masked>}; null stays null. */
    public static String masked(String url) {
        if (url == null) {
            return null;
        }
        String noUserInfo = USER_INFO_PASSWORD.matcher(url).replaceFirst("$1:" + MASK + "@");
        return rewriteQuery(noUserInfo, true);
    }

    /** The URL without its {@code password} parameter: what the pool and Flyway see (and may log). */
    static String withoutPassword(String url) {
        return rewriteQuery(url, false);
    }

    /** The {@code password} parameter, decoded as pgjdbc decodes it. */
    static Optional<String> password(String url) {
        int query = url.indexOf('?');
        if (query < 0) {
            return Optional.empty();
        }
        for (String parameter : url.substring(query + 1).split("&")) {
            if (isPassword(parameter)) {
                return Optional.of(URLDecoder.decode(parameter.substring(parameter.indexOf('=') + 1),
                        StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    private static boolean isPassword(String parameter) {
        return parameter.regionMatches(true, 0, "password=", 0, "password=".length());
    }

    private static String rewriteQuery(String url, boolean mask) {
        int query = url.indexOf('?');
        if (query < 0) {
            return url;
        }
        List<String> kept = new ArrayList<>();
        for (String parameter : url.substring(query + 1).split("&")) {
            if (!isPassword(parameter)) {
                kept.add(parameter);
            } else if (mask) {
                kept.add("password=" + MASK);
            }
        }
        return url.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
    }
}
