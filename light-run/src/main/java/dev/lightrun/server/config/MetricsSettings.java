package dev.lightrun.server.config;

/**
 * Who may scrape {@code GET /metrics}, and where. Built with {@link #builder()} (or {@link #toBuilder()}); validated
 * when built, immutable afterwards. {@link #toString()} masks the token.
 *
 * @param token a bearer token that may read {@code GET /metrics} on the API port (besides an admin); null: none
 * @param port  a separate port serving only {@code GET /metrics}, without authentication, on the API's host (for a
 *              scraper inside the cluster); null: none; 0 picks a free one
 */
public record MetricsSettings(String token, Integer port) {
    public MetricsSettings {
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (port != null && (port < 0 || port > 65535)) {
            throw new ConfigException(Setting.METRICS_PORT, "must be 0..65535, was " + port);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to build changed ones. */
    public Builder toBuilder() {
        return new Builder().token(token).port(port);
    }

    /** Named setters starting from none; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private String token;
        private Integer port;

        private Builder() {
        }

        /** Null or blank: no metrics token. */
        public Builder token(String value) {
            this.token = value;
            return this;
        }

        /** Null: no separate metrics port. */
        public Builder port(Integer value) {
            this.port = value;
            return this;
        }

        /** @throws ConfigException naming the setting with a bad value */
        public MetricsSettings build() {
            return new MetricsSettings(token, port);
        }
    }

    @Override
    public String toString() {
        return "MetricsSettings[token=" + (token == null ? "none" : "<masked>") + ", port="
                + (port == null ? "none" : port) + "]";
    }
}
