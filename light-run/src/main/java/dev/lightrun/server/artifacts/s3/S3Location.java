package dev.lightrun.server.artifacts.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where the artifacts go in S3: {@code s3://bucket/prefix}, the prefix optional. Objects are
 * {@code prefix/<run id>/<relative path>} ({@link S3Keys}).
 *
 * @param bucket a bucket name as S3 allows it (3-63 of {@code a-z 0-9 . -})
 * @param prefix without a leading or trailing {@code /}; empty for the bucket's top level
 */
public record S3Location(String bucket, String prefix) {
    public static final String SCHEME_PREFIX = "s3://";
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    public S3Location {
        Objects.requireNonNull(bucket, "bucket was not specified");
        Objects.requireNonNull(prefix, "prefix was not specified");
        if (!BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("'" + bucket + "' is not a bucket name (3-63 of a-z 0-9 . -)");
        }
        if (prefix.startsWith("/") || prefix.endsWith("/") || prefix.contains("//")) {
            throw new IllegalArgumentException("the prefix '" + prefix + "' has an empty segment");
        }
    }

    /**
     * @param url {@code s3://bucket} or {@code s3://bucket/some/prefix} (a trailing {@code /} is dropped)
     * @throws IllegalArgumentException with a message saying what is wrong (not naming the setting)
     */
    public static S3Location parse(String url) {
        Objects.requireNonNull(url, "url was not specified");
        if (!url.startsWith(SCHEME_PREFIX)) {
            throw new IllegalArgumentException("must be an s3://bucket/prefix URL, was '" + url + "'");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("must be an s3://bucket/prefix URL, was '" + url + "': "
                    + e.getReason());
        }
        if (uri.getHost() == null || uri.getUserInfo() != null || uri.getPort() != -1 || uri.getQuery() != null
                || uri.getFragment() != null) {
            throw new IllegalArgumentException("must be an s3://bucket/prefix URL, was '" + url + "'");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String prefix = path.replaceAll("^/+", "").replaceAll("/+$", "");
        for (String segment : prefix.split("/")) {
            if (segment.equals("..") || segment.equals(".")) {
                throw new IllegalArgumentException("the prefix of '" + url + "' must not hold . or ..");
            }
        }
        return new S3Location(uri.getHost(), prefix);
    }

    @Override
    public String toString() {
        return SCHEME_PREFIX + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
}
