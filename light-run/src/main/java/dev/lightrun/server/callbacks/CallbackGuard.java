package dev.lightrun.server.callbacks;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Keeps callbacks from being a way into internal networks (SSRF): a callback host that resolves to a loopback,
 * private, shared (CGNAT), link-local (cloud metadata included), multicast or unspecified address is refused, unless
 * the operator allows it ({@code LIGHT_RUN_CALLBACK_ALLOW}: CIDRs or host names). Checked at submission and again on
 * every delivery attempt, right before connecting, so a DNS answer that changes later (rebinding) is caught.
 */
public final class CallbackGuard {
    private final List<String> allowedHosts;
    private final List<Cidr> allowedNets;

    public CallbackGuard(List<String> allow) {
        this.allowedHosts = allow.stream().filter(a -> !a.contains("/") && !looksLikeAddress(a))
                .map(a -> a.toLowerCase(Locale.ROOT)).toList();
        this.allowedNets = allow.stream().filter(a -> a.contains("/") || looksLikeAddress(a)).map(Cidr::parse).toList();
    }

    /** Empty when the URL may be called; otherwise why not. */
    public Optional<String> problem(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return Optional.of("is not a valid URL");
        }
        String host = uri.getHost();
        if (host == null) {
            return Optional.of("has no host");
        }
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (allowedHosts.contains(bare.toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(bare);
        } catch (UnknownHostException e) {
            return Optional.of("host " + host + " cannot be resolved");
        }
        for (InetAddress address : addresses) {
            if (isInternal(address) && allowedNets.stream().noneMatch(net -> net.contains(address))) {
                return Optional.of("host " + host + " resolves to the internal address " + address.getHostAddress()
                        + "; allow it with LIGHT_RUN_CALLBACK_ALLOW if that is intended");
            }
        }
        return Optional.empty();
    }

    static boolean isInternal(InetAddress address) {
        if (address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
                || address.isMulticastAddress() || address.isAnyLocalAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 0 || (first == 100 && second >= 64 && second < 128) // 0/8, CGNAT 100.64/10
                    || (first == 192 && second == 0 && (b[2] & 0xff) == 0)      // 192.0.0/24 IETF
                    || (first == 198 && (second == 18 || second == 19))         // benchmarking 198.18/15
                    || first >= 240;                                            // reserved, broadcast
        }
        if (address instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return true; // unique local fc00::/7 (fd00:ec2::254 is AWS metadata)
            }
            int first16 = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
            int second16 = ((b[2] & 0xff) << 8) | (b[3] & 0xff);
            if (first16 == 0x2001 && (second16 == 0 || second16 == 0x0db8)) {
                return true; // Teredo 2001::/32 (its IPv4 is obfuscated; deprecated anyway), documentation 2001:db8::/32
            }
            if (first16 == 0x64 && second16 == 0xff9b) {
                // NAT64: 64:ff9b::/96 reaches the IPv4 address in its last four bytes; 64:ff9b:1::/48 is local use.
                return b[4] != 0 || b[5] != 0 || isInternal(embeddedIpv4(b, 12));
            }
            if (first16 == 0x2002) {
                return isInternal(embeddedIpv4(b, 2)); // 6to4: the relay's IPv4 address in bytes 2-5
            }
            boolean firstTwelveZero = true;
            for (int i = 0; i < 12; i++) {
                firstTwelveZero &= b[i] == 0;
            }
            if (firstTwelveZero) {
                return isInternal(embeddedIpv4(b, 12)); // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks)
            }
        }
        return false;
    }

    /** The IPv4 address a translated or tunnelled IPv6 address carries, from {@code offset}. */
    private static InetAddress embeddedIpv4(byte[] ipv6, int offset) {
        try {
            return InetAddress.getByAddress(new byte[] {ipv6[offset], ipv6[offset + 1], ipv6[offset + 2], ipv6[offset + 3]});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }

    private static boolean looksLikeAddress(String value) {
        return value.matches("[0-9.]+") || value.contains(":");
    }

    /** An address range: {@code 10.0.0.0/8}, {@code ::1/128}, or a single address. */
    record Cidr(byte[] network, int prefix) {
        static Cidr parse(String value) {
            String[] parts = value.split("/", 2);
            try {
                byte[] address = InetAddress.getByName(parts[0]).getAddress();
                int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : address.length * 8;
                if (prefix < 0 || prefix > address.length * 8) {
                    throw new IllegalArgumentException("bad prefix in " + value);
                }
                return new Cidr(address, prefix);
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalArgumentException("LIGHT_RUN_CALLBACK_ALLOW: '" + value + "' is not a CIDR or address", e);
            }
        }

        boolean contains(InetAddress address) {
            byte[] candidate = address.getAddress();
            if (candidate.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (candidate[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (candidate[full] & mask) == (network[full] & mask);
        }
    }
}
