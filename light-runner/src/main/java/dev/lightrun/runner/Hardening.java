package dev.lightrun.runner;

import java.util.Set;

/**
 * Security settings of the container. {@link #DEFAULTS} is what every run gets unless the caller loosens it
 * explicitly: a set of capabilities a workload never needs is dropped, {@code no-new-privileges} is on, and network
 * modes that share a namespace with the host or another container are refused.
 *
 * @param capDrop           Linux capabilities to drop (names without the CAP_ prefix, e.g. NET_RAW)
 * @param capAdd            capabilities to add back (rarely needed)
 * @param noNewPrivileges   set {@code no-new-privileges}, so setuid binaries cannot raise privileges
 * @param allowHostNetworks allow the {@code host} network and {@code container:<id>} modes, which escape isolation
 */
public record Hardening(Set<String> capDrop, Set<String> capAdd, boolean noNewPrivileges, boolean allowHostNetworks) {
    public static final Set<String> DEFAULT_CAP_DROP =
            Set.of("NET_RAW", "MKNOD", "SYS_CHROOT", "SETPCAP", "SETFCAP", "AUDIT_WRITE");
    public static final Hardening DEFAULTS = new Hardening(DEFAULT_CAP_DROP, Set.of(), true, false);

    public Hardening {
        capDrop = Set.copyOf(capDrop);
        capAdd = Set.copyOf(capAdd);
        for (String cap : capDrop) {
            checkCapability("capDrop", cap);
        }
        for (String cap : capAdd) {
            checkCapability("capAdd", cap);
        }
    }

    private static void checkCapability(String field, String cap) {
        if (!cap.matches("[A-Z_]+")) {
            throw new IllegalArgumentException(field + " entries must be capability names like NET_RAW, was '" + cap + "'");
        }
    }

    public Hardening withCapDrop(Set<String> value) {
        return new Hardening(value, capAdd, noNewPrivileges, allowHostNetworks);
    }

    public Hardening withCapAdd(Set<String> value) {
        return new Hardening(capDrop, value, noNewPrivileges, allowHostNetworks);
    }

    public Hardening withNoNewPrivileges(boolean value) {
        return new Hardening(capDrop, capAdd, value, allowHostNetworks);
    }

    public Hardening withAllowHostNetworks(boolean value) {
        return new Hardening(capDrop, capAdd, noNewPrivileges, value);
    }
}
