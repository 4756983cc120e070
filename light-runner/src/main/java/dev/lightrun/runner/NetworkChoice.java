package dev.lightrun.runner;

import java.util.List;

/**
 * Which network(s) a run joins.
 * <ul>
 *   <li>{@link #none()}: no network at all (loopback only).</li>
 *   <li>{@link #isolated()} (the default): a bridge network light-runner creates once and reuses, with
 *       inter-container communication disabled, so runs cannot reach each other.</li>
 *   <li>{@link #named(List)}: existing networks by name; the first is primary, the others are connected before
 *       start.</li>
 * </ul>
 */
public sealed interface NetworkChoice {

    static NetworkChoice none() {
        return None.INSTANCE;
    }

    static NetworkChoice isolated() {
        return Isolated.INSTANCE;
    }

    static NetworkChoice named(String... names) {
        return new Named(List.of(names));
    }

    static NetworkChoice named(List<String> names) {
        return new Named(names);
    }

    /** No network interface but loopback. */
    enum None implements NetworkChoice { INSTANCE }

    /** light-runner's own bridge network with inter-container traffic disabled. */
    enum Isolated implements NetworkChoice { INSTANCE }

    /** Existing networks by name; the first is the primary one. */
    record Named(List<String> names) implements NetworkChoice {
        public Named {
            names = List.copyOf(names);
            if (names.isEmpty()) {
                throw new IllegalArgumentException("networks must name at least one network");
            }
            for (String name : names) {
                if (name.isBlank() || name.length() > 200) {
                    throw new IllegalArgumentException("network names must be 1..200 characters, was '" + name + "'");
                }
            }
            if (names.stream().distinct().count() != names.size()) {
                throw new IllegalArgumentException("networks must not repeat a name: " + names);
            }
        }

        public String primary() {
            return names.getFirst();
        }

        /** True for modes that share the host's or another container's network namespace. */
        public boolean escapesIsolation() {
            return names.stream().anyMatch(n -> n.equals("host") || n.startsWith("container:"));
        }
    }
}
