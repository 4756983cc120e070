package dev.lightrun.server.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loopback names and addresses, recognised from their text alone: {@code localhost}, {@code 127.0.0.0/8} and
 * {@code ::1} (in any of its spellings). No DNS lookup: a name's meaning is what a rebinding attacker controls, and a
 * decision here must not wait on a resolver. Thread-safe (stateless).
 */
public final class Loopback {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern HEX_GROUP = Pattern.compile("[0-9a-f]{1,4}");

    private Loopback() {
    }

    /**
     * Whether {@code host} (a name or an address, IPv6 with or without brackets, no port) is a loopback name or address.
     * Used for the address the server listens on and for the host part of a {@code Host} header.
     */
    public static boolean isLoopback(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.equals("localhost")) {
            return true;
        }
        Matcher v4 = IPV4.matcher(h);
        if (v4.matches()) {
            for (int i = 1; i <= 4; i++) {
                if (Integer.parseInt(v4.group(i)) > 255) {
                    return false;
                }
            }
            // "127" exactly: 0177.0.0.1 (octal to some parsers) is not taken for loopback.
            return v4.group(1).equals("127");
        }
        return h.contains(":") && isIpv6Loopback(h);
    }

    /**
     * The host part of a {@code Host} header ({@code host[:port]}, {@code [v6][:port]}), lower case, IPv6 without its
     * brackets; null when the header is missing or malformed.
     */
    public static String hostOf(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return null;
        }
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0 || !(end == h.length() - 1 || h.charAt(end + 1) == ':')) {
                return null;
            }
            return h.substring(1, end);
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && h.indexOf(':', colon + 1) >= 0) {
            return null; // an IPv6 address without brackets is not a valid Host
        }
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** {@code ::1}, {@code 0:0:0:0:0:0:0:1}, {@code 0000::0001}: eight groups, all zero but a last 1. */
    private static boolean isIpv6Loopback(String address) {
        int gap = address.indexOf("::");
        if (gap >= 0 && address.indexOf("::", gap + 1) >= 0) {
            return false;
        }
        String[] head = gap < 0 ? address.split(":", -1) : split(address.substring(0, gap));
        String[] tail = gap < 0 ? new String[0] : split(address.substring(gap + 2));
        int groups = head.length + tail.length;
        if (gap < 0 ? groups != 8 : groups > 7) {
            return false;
        }
        String[] all = new String[8];
        Arrays.fill(all, "0");
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(tail, 0, all, 8 - tail.length, tail.length);
        for (int i = 0; i < 8; i++) {
            if (!HEX_GROUP.matcher(all[i]).matches() || Integer.parseInt(all[i], 16) != (i == 7 ? 1 : 0)) {
                return false;
            }
        }
        return true;
    }

    private static String[] split(String groups) {
        return groups.isEmpty() ? new String[0] : groups.split(":", -1);
    }
}
