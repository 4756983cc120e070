package dev.lightrun.runner;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Everything needed to run one container. Immutable; build it with {@link #builder(String)}. Validated on
 * construction: a bad field throws {@link IllegalArgumentException} naming the field, before anything touches Docker.
 * {@link #toString()} never shows env values, stdin or file contents.
 *
 * @param runId       id carried as a label by everything the run creates; a random UUID by default
 * @param image       image to run (used as is when present locally, pulled only when absent)
 * @param files       files written into the workdir before start: relative path -> content
 * @param entrypoint  shell command run with {@code sh -c}; null runs the image's default command
 * @param buildSteps  shell commands run at image build time ({@code RUN} steps), cached by content
 * @param stdin       bytes given to the workload on its standard input; null means no input
 * @param timeout     wall-clock limit from start; the container is killed when it passes (pauses count too)
 * @param buildTimeout limit for building the image of {@code buildSteps}
 * @param network     which network(s) the container joins (default: {@link NetworkChoice#isolated()})
 * @param workdir     absolute working directory, created if missing (default {@code /app})
 * @param env         environment variables, passed literally (no shell expansion)
 * @param extraction  what to copy out after exit, or null for nothing
 * @param runtime     OCI runtime name registered with the daemon (e.g. {@code runsc}); null for the daemon default
 * @param limits      resource limits (default {@link Limits#DEFAULTS})
 * @param hardening   security settings (default {@link Hardening#DEFAULTS})
 * @param labels      extra labels on the container (our own labels are added and win)
 * @param logSink     receives output live as it is written (default: discard)
 * @param logCapBytes how many bytes of each stream's end the result keeps (default 1 MiB)
 */
public record RunSpec(String runId, String image, Map<String, byte[]> files, String entrypoint, List<String> buildSteps,
                      byte[] stdin, Duration timeout, Duration buildTimeout, NetworkChoice network, String workdir,
                      Map<String, String> env, Extraction extraction, String runtime, Limits limits,
                      Hardening hardening, Map<String, String> labels, LogSink logSink, long logCapBytes) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    public static final Duration DEFAULT_BUILD_TIMEOUT = Duration.ofMinutes(10);
    public static final String DEFAULT_WORKDIR = "/app";
    public static final long DEFAULT_LOG_CAP_BYTES = 1024L * 1024L;

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Pattern RUNTIME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    public RunSpec {
        runId = runId == null ? UUID.randomUUID().toString() : runId;
        require(RUN_ID.matcher(runId).matches(), "runId must be 1..128 of [A-Za-z0-9_.-], was '" + runId + "'");
        Objects.requireNonNull(image, "image was not specified");
        require(!image.isBlank() && image.length() <= 300 && image.chars().noneMatch(Character::isWhitespace),
                "image must be 1..300 characters without spaces");
        files = Map.copyOf(files);
        files.forEach((path, content) -> {
            checkRelativePath(path);
            Objects.requireNonNull(content, "files['" + path + "'] has no content");
        });
        require(entrypoint == null || (!entrypoint.isEmpty() && entrypoint.indexOf('\0') < 0),
                "entrypoint must be non-empty and without NUL when given");
        buildSteps = List.copyOf(buildSteps);
        for (String step : buildSteps) {
            require(!step.isBlank(), "buildSteps entries must not be blank");
        }
        Objects.requireNonNull(timeout, "timeout was not specified");
        require(timeout.isPositive(), "timeout must be positive, was " + timeout);
        Objects.requireNonNull(buildTimeout, "buildTimeout was not specified");
        require(buildTimeout.isPositive(), "buildTimeout must be positive, was " + buildTimeout);
        Objects.requireNonNull(network, "network was not specified");
        Objects.requireNonNull(workdir, "workdir was not specified");
        require(workdir.startsWith("/") && workdir.length() > 1 && workdir.length() <= 200
                        && !("/" + workdir + "/").contains("/../") && !workdir.contains("//") && !workdir.endsWith("/"),
                "workdir must be an absolute, normalized folder other than /, at most 200 characters, was '" + workdir + "'");
        env = Map.copyOf(env);
        env.forEach((name, value) -> {
            require(ENV_NAME.matcher(name).matches(), "env name '" + name + "' must match [A-Za-z_][A-Za-z0-9_]*");
            Objects.requireNonNull(value, "env value of " + name + " is null");
            require(value.indexOf('\0') < 0, "env value of " + name + " must not contain NUL");
        });
        require(runtime == null || RUNTIME.matcher(runtime).matches(), "runtime must be a runtime name, was '" + runtime + "'");
        Objects.requireNonNull(limits, "limits was not specified");
        Objects.requireNonNull(hardening, "hardening was not specified");
        if (network instanceof NetworkChoice.Named named && named.escapesIsolation()) {
            require(hardening.allowHostNetworks(), "network '" + named.names()
                    + "' shares the host's or another container's network; allow it with Hardening.allowHostNetworks");
        }
        labels = Map.copyOf(labels);
        Objects.requireNonNull(logSink, "logSink was not specified");
        require(logCapBytes >= 0, "logCapBytes must be >= 0");
    }

    /** A builder with the hardened defaults for everything but the image. */
    public static Builder builder(String image) {
        return new Builder(image);
    }

    /** Throws when a file path is absolute, empty, has '..' or '.' segments, or is longer than 1024 characters. */
    public static void checkRelativePath(String path) {
        require(path != null && !path.isEmpty() && path.length() <= 1024, "file path must be 1..1024 characters");
        require(!path.startsWith("/"), "file path must be relative, was '" + path + "'");
        require(path.indexOf('\0') < 0 && path.indexOf('\\') < 0, "file path must not contain NUL or backslash: '" + path + "'");
        for (String segment : path.split("/", -1)) {
            require(!segment.isEmpty() && !segment.equals(".") && !segment.equals(".."),
                    "file path must not contain '..', '.' or empty segments: '" + path + "'");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    @Override
    public String toString() {
        return "RunSpec[runId=" + runId + ", image=" + image + ", files=" + files.keySet() + ", buildSteps="
                + buildSteps.size() + ", stdin=" + (stdin == null ? "none" : "<masked>") + ", timeout=" + timeout
                + ", network=" + network + ", workdir=" + workdir + ", env=" + env.keySet() + " (values masked)"
                + ", extraction=" + extraction + ", runtime=" + runtime + ", limits=" + limits + "]";
    }

    /** Builder for {@link RunSpec}; every field but the image has a default. Not thread-safe. */
    public static final class Builder {
        private String runId;
        private final String image;
        private final Map<String, byte[]> files = new LinkedHashMap<>();
        private String entrypoint;
        private final List<String> buildSteps = new ArrayList<>();
        private byte[] stdin;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration buildTimeout = DEFAULT_BUILD_TIMEOUT;
        private NetworkChoice network = NetworkChoice.isolated();
        private String workdir = DEFAULT_WORKDIR;
        private final Map<String, String> env = new LinkedHashMap<>();
        private Extraction extraction;
        private String runtime;
        private Limits limits = Limits.DEFAULTS;
        private Hardening hardening = Hardening.DEFAULTS;
        private final Map<String, String> labels = new LinkedHashMap<>();
        private LogSink logSink = LogSink.NONE;
        private long logCapBytes = DEFAULT_LOG_CAP_BYTES;

        private Builder(String image) {
            this.image = image;
        }

        public Builder runId(String value) { this.runId = value; return this; }
        public Builder file(String path, byte[] content) { files.put(path, content); return this; }
        public Builder file(String path, String content) {
            return file(path, content.getBytes(StandardCharsets.UTF_8));
        }
        public Builder files(Map<String, byte[]> value) { files.putAll(value); return this; }
        public Builder entrypoint(String value) { this.entrypoint = value; return this; }
        public Builder buildStep(String value) { buildSteps.add(value); return this; }
        public Builder buildSteps(List<String> value) { buildSteps.addAll(value); return this; }
        public Builder stdin(byte[] value) { this.stdin = value; return this; }
        public Builder stdin(String value) { return stdin(value.getBytes(StandardCharsets.UTF_8)); }
        public Builder timeout(Duration value) { this.timeout = value; return this; }
        public Builder buildTimeout(Duration value) { this.buildTimeout = value; return this; }
        public Builder network(NetworkChoice value) { this.network = value; return this; }
        public Builder workdir(String value) { this.workdir = value; return this; }
        public Builder env(String name, String value) { env.put(name, value); return this; }
        public Builder env(Map<String, String> value) { env.putAll(value); return this; }
        public Builder extraction(Extraction value) { this.extraction = value; return this; }
        public Builder runtime(String value) { this.runtime = value; return this; }
        public Builder limits(Limits value) { this.limits = value; return this; }
        public Builder hardening(Hardening value) { this.hardening = value; return this; }
        public Builder label(String name, String value) { labels.put(name, value); return this; }
        public Builder labels(Map<String, String> value) { labels.putAll(value); return this; }
        public Builder logSink(LogSink value) { this.logSink = value; return this; }
        public Builder logCapBytes(long value) { this.logCapBytes = value; return this; }

        public RunSpec build() {
            return new RunSpec(runId, image, files, entrypoint, buildSteps, stdin, timeout, buildTimeout, network,
                    workdir, env, extraction, runtime, limits, hardening, labels, logSink, logCapBytes);
        }
    }
}
