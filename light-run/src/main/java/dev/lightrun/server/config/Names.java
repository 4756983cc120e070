package dev.lightrun.server.config;

import java.util.Collection;
import java.util.List;
import java.util.Objects;

/** Lists of names as operators write them: comma-separated, perhaps with spaces or a trailing comma. */
final class Names {
    private Names() {
    }

    /** Each name trimmed, blank ones dropped; null is empty. */
    static List<String> cleaned(Collection<String> names) {
        if (names == null) {
            return List.of();
        }
        return names.stream().filter(Objects::nonNull).map(String::trim).filter(n -> !n.isEmpty()).toList();
    }
}
