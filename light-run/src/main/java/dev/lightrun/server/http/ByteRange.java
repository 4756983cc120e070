package dev.lightrun.server.http;

/**
 * One byte range of an HTTP {@code Range: bytes=...} header, resolved against a file's size. Forms: {@code a-b},
 * {@code a-} and {@code -n} (the last n bytes). Several ranges are answered with the whole file, as RFC 9110 allows.
 */
record ByteRange(long first, long last) {

    long length() {
        return last - first + 1;
    }

    /** Thrown for a syntactically valid range that lies outside the file: answered 416. */
    static final class Unsatisfiable extends RuntimeException {
        Unsatisfiable() {
            super("range not satisfiable", null, false, false);
        }
    }

    /** Null when there is no usable single range (absent, malformed or several): serve the whole file. */
    static ByteRange parse(String header, long size) {
        if (header == null || !header.startsWith("bytes=") || header.contains(",")) {
            return null;
        }
        String spec = header.substring("bytes=".length()).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String from = spec.substring(0, dash).trim();
            String to = spec.substring(dash + 1).trim();
            if (from.isEmpty()) {
                long suffix = Long.parseLong(to);
                if (suffix <= 0 || size == 0) {
                    throw new Unsatisfiable();
                }
                return new ByteRange(Math.max(0, size - suffix), size - 1);
            }
            long first = Long.parseLong(from);
            long last = to.isEmpty() ? size - 1 : Math.min(Long.parseLong(to), size - 1);
            if (first >= size || last < first) {
                throw new Unsatisfiable();
            }
            return new ByteRange(first, last);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
