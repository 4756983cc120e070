package dev.lightrun.server.auth;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Web origins ({@code scheme://host[:port]}) in one comparable form: lower case, the default port of http (80) and
 * https (443) left out, as browsers send them. No path, no user, no trailing slash; {@code null} (a sandboxed frame or
 * a file page) is no origin at all. Thread-safe (stateless).
 */
public final class Origins {
    private static final Pattern ORIGIN = Pattern.compile(
            "([a-z][a-z0-9+.-]*)://(\\[[0-9a-f:.]+\\]|[a-z0-9_.-]+)(?::(\\d{1,5}))?");

    private Origins() {
    }

    /** The comparable form of an {@code Origin} header, or empty when it is not a serialized origin. */
    public static Optional<String> normalized(String origin) {
        if (origin == null) {
            return Optional.empty();
        }
        Matcher m = ORIGIN.matcher(origin.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return Optional.empty();
        }
        String scheme = m.group(1);
        String port = m.group(3);
        if (port != null) {
            int number = Integer.parseInt(port);
            if (number < 1 || number > 65535) {
                return Optional.empty();
            }
            boolean isDefault = scheme.equals("http") && number == 80 || scheme.equals("https") && number == 443;
            port = isDefault ? null : Integer.toString(number);
        }
        return Optional.of(scheme + "://" + m.group(2) + (port == null ? "" : ":" + port));
    }

    /**
     * An origin an operator allows, in comparable form.
     *
     * @throws IllegalArgumentException naming the value when it is not {@code scheme://host[:port]}
     */
    public static String parse(String origin) {
        return normalized(origin).orElseThrow(() -> new IllegalArgumentException(
                "'" + origin + "' is not an origin; write scheme://host[:port], e.g. http://localhost:5173, no path"));
    }
}
