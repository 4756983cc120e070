package dev.lightrun.server.config;

import dev.lightrun.server.artifacts.s3.S3Location;

import java.net.URI;
import java.util.Objects;

/**
 * Where artifacts and finished logs go when {@code LIGHT_RUN_ARTIFACTS_URL} names a bucket. Holds no secret: the
 * credentials are the AWS SDK's default chain ({@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}), read by the
 * client, never by the config.
 *
 * @param location  {@code s3://bucket/prefix}
 * @param endpoint  null for AWS S3; else an S3-compatible store's {@code http(s)://host:port}
 * @param pathStyle bucket in the path rather than the host name (default: true when an endpoint is set)
 * @param region    the signing region (default {@link Defaults#S3_REGION})
 */
public record S3Settings(S3Location location, URI endpoint, boolean pathStyle, String region) {
    public S3Settings {
        Objects.requireNonNull(location, "location was not specified");
        Objects.requireNonNull(region, "region was not specified");
    }

    static S3Settings of(String url, String endpoint, Boolean pathStyle, String region) {
        S3Location location;
        try {
            location = S3Location.parse(url.strip());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(Setting.ARTIFACTS_URL, e.getMessage());
        }
        URI endpointUri = null;
        if (endpoint != null && !endpoint.isBlank()) {
            try {
                endpointUri = URI.create(endpoint.strip());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(Setting.S3_ENDPOINT, "must be an http(s)://host[:port] URL, was '"
                        + endpoint + "'");
            }
            if (!("http".equals(endpointUri.getScheme()) || "https".equals(endpointUri.getScheme()))
                    || endpointUri.getHost() == null || endpointUri.getUserInfo() != null) {
                throw new ConfigException(Setting.S3_ENDPOINT, "must be an http(s)://host[:port] URL, was '"
                        + endpoint + "'");
            }
        }
        return new S3Settings(location, endpointUri, pathStyle != null ? pathStyle : endpointUri != null,
                region == null || region.isBlank() ? Defaults.S3_REGION : region.strip());
    }
}
