package dev.lightrun.runner.docker;

/**
 * Who owns the files a run receives, and their modes. A numeric {@code uid[:gid]} user gets them as its own; a named
 * user (whose uid only the image knows) gets world-writable folders instead, so the workload can still write into
 * its workdir.
 */
record Ownership(long uid, long gid, boolean openModes) {
    static Ownership of(String user) {
        if (user == null) {
            return new Ownership(0, 0, false);
        }
        String[] parts = user.split(":", 2);
        if (isNumeric(user)) {
            long uid = Long.parseLong(parts[0]);
            return new Ownership(uid, parts.length == 2 ? Long.parseLong(parts[1]) : uid, false);
        }
        return new Ownership(0, 0, true);
    }

    /** True for no user (root) or a numeric {@code uid[:gid]}: owners the host can set without the image's passwd. */
    static boolean isNumeric(String user) {
        if (user == null) {
            return true;
        }
        String[] parts = user.split(":", 2);
        return parts[0].matches("\\d{1,9}") && (parts.length == 1 || parts[1].matches("\\d{1,9}"));
    }

    int folderMode() {
        return openModes ? 0777 : 0755;
    }

    int fileMode() {
        return openModes ? 0666 : 0644;
    }

    /** Private to its owner, unless the owner is root for a named user, who must still be able to read it. */
    int stdinMode() {
        return openModes ? 0644 : 0600;
    }
}
