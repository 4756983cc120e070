package dev.lightrun.runner;

import java.util.Map;
import java.util.Objects;

/**
 * A network to create.
 *
 * @param name       1..64 of [A-Za-z0-9_.-]
 * @param iccEnabled whether containers on it may reach each other
 * @param internal   no route to the outside
 * @param labels     extra labels (ours are added)
 * @param subnet     optional IPAM subnet (CIDR); gateway and ipRange need it
 * @param gateway    optional gateway address
 * @param ipRange    optional sub-range to allocate from
 */
public record NetworkSpec(String name, boolean iccEnabled, boolean internal, Map<String, String> labels,
                          String subnet, String gateway, String ipRange) {
    public NetworkSpec {
        Objects.requireNonNull(name, "name was not specified");
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
            throw new IllegalArgumentException("network name must be 1..64 of [A-Za-z0-9_.-], was '" + name + "'");
        }
        if (name.equals("host") || name.equals("none") || name.equals("bridge")) {
            throw new IllegalArgumentException("network name '" + name + "' is reserved by Docker");
        }
        labels = Map.copyOf(labels);
        if (subnet == null && (gateway != null || ipRange != null)) {
            throw new IllegalArgumentException("gateway and ipRange need a subnet");
        }
    }

    public static NetworkSpec named(String name, boolean iccEnabled) {
        return new NetworkSpec(name, iccEnabled, false, Map.of(), null, null, null);
    }
}
