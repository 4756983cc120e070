package dev.lightrun.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The body of {@code POST /run}: what to run and how. Build it with {@link #builder(String)}; every field but the
 * image is optional and, when left out, takes the server's default (docs/api.md, "The request body"). The server
 * validates everything and answers a {@code bad_request} naming each field at fault, so the client does not repeat
 * its rules. Immutable; {@link #toString()} masks env values, input, file contents and the callback secret.
 *
 * @param image          the image to run (used if present on the daemon, pulled otherwise)
 * @param files          relative path -> content, written under the workdir
 * @param entrypoint     a command run with {@code sh -c}; null runs the image's own command
 * @param buildSteps     commands run at image build time, one {@code RUN} each (JSON {@code run})
 * @param input          JSON written to the workload's stdin (needs an entrypoint)
 * @param env            environment variables, passed literally
 * @param extract        container-absolute paths copied out after exit code 0
 * @param timeout        the run's time limit (server default 60 s; at most 1 h); sent in milliseconds
 * @param memoryMiB      memory limit in MiB (server default 512)
 * @param cpus           CPU limit, fractional allowed (server default 1)
 * @param pids           process limit (server default 100)
 * @param network        {@code none}, {@code bridge} or a named network
 * @param networks       several named networks, the first primary (not together with {@code network})
 * @param workdir        absolute folder the files go to and the command runs in (server default {@code /app})
 * @param user           {@code uid[:gid]} or a user name the image knows
 * @param readOnlyRootfs a read-only root filesystem (the workdir and /tmp stay writable)
 * @param runtime        an OCI runtime the server allows (e.g. {@code runsc})
 * @param detached       answer at once; {@link LightRunClient#run} and {@link LightRunClient#submit} set it themselves
 * @param callbackUrl    where a detached run's final state is POSTed
 * @param callbackSecret the HMAC key the callback is signed with (16..200 characters)
 */
public record RunRequest(String image, Map<String, FileContent> files, String entrypoint, List<String> buildSteps,
                         JsonNode input, Map<String, String> env, List<String> extract, Duration timeout,
                         Integer memoryMiB, Double cpus, Integer pids, String network, List<String> networks,
                         String workdir, String user, Boolean readOnlyRootfs, String runtime, boolean detached,
                         String callbackUrl, String callbackSecret) {
    public RunRequest {
        Objects.requireNonNull(image, "image was not specified");
        files = Map.copyOf(Objects.requireNonNullElse(files, Map.of()));
        buildSteps = List.copyOf(Objects.requireNonNullElse(buildSteps, List.of()));
        env = Map.copyOf(Objects.requireNonNullElse(env, Map.of()));
        extract = List.copyOf(Objects.requireNonNullElse(extract, List.of()));
        networks = List.copyOf(Objects.requireNonNullElse(networks, List.of()));
        input = input == null ? null : input.deepCopy();
    }

    public static Builder builder(String image) {
        return new Builder().image(image);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The same request, detached or not. */
    public RunRequest withDetached(boolean value) {
        return new RunRequest(image, files, entrypoint, buildSteps, input, env, extract, timeout, memoryMiB, cpus,
                pids, network, networks, workdir, user, readOnlyRootfs, runtime, value, callbackUrl, callbackSecret);
    }

    /** The JSON body; fields left out are not sent, so the server's defaults apply. */
    ObjectNode toJson() {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("image", image);
        ObjectNode fileNodes = body.putObject("files");
        files.forEach((path, content) -> {
            switch (content) {
                case FileContent.Text text -> fileNodes.put(path, text.text());
                case FileContent.Binary binary -> fileNodes.putObject(path).put("base64", binary.base64());
            }
        });
        putIfSet(body, "entrypoint", entrypoint);
        if (!buildSteps.isEmpty()) {
            buildSteps.forEach(body.putArray("run")::add);
        }
        if (input != null) {
            body.set("input", input);
        }
        if (!env.isEmpty()) {
            ObjectNode envNode = body.putObject("env");
            env.forEach(envNode::put);
        }
        if (!extract.isEmpty()) {
            extract.forEach(body.putArray("extract")::add);
        }
        if (timeout != null) {
            body.put("timeout", timeout.toMillis());
        }
        if (memoryMiB != null) {
            body.put("memory", memoryMiB);
        }
        if (cpus != null) {
            body.put("cpus", cpus);
        }
        if (pids != null) {
            body.put("pids", pids);
        }
        putIfSet(body, "network", network);
        if (!networks.isEmpty()) {
            networks.forEach(body.putArray("networks")::add);
        }
        putIfSet(body, "workdir", workdir);
        putIfSet(body, "user", user);
        if (readOnlyRootfs != null) {
            body.put("readOnlyRootfs", readOnlyRootfs);
        }
        putIfSet(body, "runtime", runtime);
        if (detached) {
            body.put("detached", true);
        }
        putIfSet(body, "callbackUrl", callbackUrl);
        putIfSet(body, "callbackSecret", callbackSecret);
        return body;
    }

    private static void putIfSet(ObjectNode body, String name, String value) {
        if (value != null) {
            body.put(name, value);
        }
    }

    @Override
    public String toString() {
        return "RunRequest[image=" + image + ", files=" + files.keySet() + ", entrypoint=" + entrypoint
                + ", buildSteps=" + buildSteps.size() + ", input=" + (input == null ? null : "<masked>")
                + ", env=" + env.keySet() + "=<masked>, extract=" + extract + ", timeout=" + timeout
                + ", memoryMiB=" + memoryMiB + ", cpus=" + cpus + ", pids=" + pids + ", network=" + network
                + ", networks=" + networks + ", workdir=" + workdir + ", user=" + user
                + ", readOnlyRootfs=" + readOnlyRootfs + ", runtime=" + runtime + ", detached=" + detached
                + ", callbackUrl=" + callbackUrl + ", callbackSecret=" + (callbackSecret == null ? null : "<masked>")
                + "]";
    }

    /** Collects a request's fields; {@link #build()} checks the image is set. Not thread-safe. */
    public static final class Builder {
        private String image;
        private final Map<String, FileContent> files = new LinkedHashMap<>();
        private String entrypoint;
        private final List<String> buildSteps = new ArrayList<>();
        private JsonNode input;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> extract = new ArrayList<>();
        private Duration timeout;
        private Integer memoryMiB;
        private Double cpus;
        private Integer pids;
        private String network;
        private final List<String> networks = new ArrayList<>();
        private String workdir;
        private String user;
        private Boolean readOnlyRootfs;
        private String runtime;
        private boolean detached;
        private String callbackUrl;
        private String callbackSecret;

        private Builder() {
        }

        public Builder image(String value) {
            this.image = value;
            return this;
        }

        /** A text file at {@code path} (relative to the workdir). */
        public Builder file(String path, String text) {
            files.put(Objects.requireNonNull(path, "path was not specified"), FileContent.text(text));
            return this;
        }

        /** A binary file at {@code path}, sent base64-encoded. */
        public Builder file(String path, byte[] bytes) {
            files.put(Objects.requireNonNull(path, "path was not specified"), FileContent.bytes(bytes));
            return this;
        }

        public Builder file(String path, FileContent content) {
            files.put(Objects.requireNonNull(path, "path was not specified"),
                    Objects.requireNonNull(content, "content was not specified"));
            return this;
        }

        /** The local file {@code local} at {@code path}: as text if it is UTF-8, base64-encoded otherwise. */
        public Builder file(String path, Path local) {
            try {
                return file(path, FileContent.detect(Files.readAllBytes(local)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + local, e);
            }
        }

        public Builder files(Map<String, String> texts) {
            texts.forEach(this::file);
            return this;
        }

        public Builder entrypoint(String value) {
            this.entrypoint = value;
            return this;
        }

        /** Build steps: each one {@code RUN} on top of the image, cached by the server. */
        public Builder buildSteps(List<String> steps) {
            buildSteps.addAll(steps);
            return this;
        }

        /**
         * The workload's stdin: any value Jackson can write (a map, a record, a {@link JsonNode}); a {@code String}
         * is sent as a JSON string. Raw JSON text: {@link #inputJson(String)}.
         */
        public Builder input(Object value) {
            this.input = value == null ? null : Json.MAPPER.valueToTree(value);
            return this;
        }

        /** The workload's stdin as raw JSON text, checked to be JSON here. */
        public Builder inputJson(String json) {
            try {
                this.input = json == null ? null : Json.MAPPER.readTree(json);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("input is not valid JSON: " + e.getOriginalMessage(), e);
            }
            return this;
        }

        public Builder env(String name, String value) {
            env.put(Objects.requireNonNull(name, "env name was not specified"),
                    Objects.requireNonNull(value, "env value of " + name + " was not specified"));
            return this;
        }

        public Builder env(Map<String, String> values) {
            values.forEach(this::env);
            return this;
        }

        /** A container-absolute path to copy out after exit code 0 (repeatable). */
        public Builder extract(String... paths) {
            extract.addAll(List.of(paths));
            return this;
        }

        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        public Builder memoryMiB(int value) {
            this.memoryMiB = value;
            return this;
        }

        public Builder cpus(double value) {
            this.cpus = value;
            return this;
        }

        public Builder pids(int value) {
            this.pids = value;
            return this;
        }

        public Builder network(String value) {
            this.network = value;
            return this;
        }

        public Builder networks(List<String> values) {
            networks.addAll(values);
            return this;
        }

        public Builder workdir(String value) {
            this.workdir = value;
            return this;
        }

        public Builder user(String value) {
            this.user = value;
            return this;
        }

        public Builder readOnlyRootfs(boolean value) {
            this.readOnlyRootfs = value;
            return this;
        }

        public Builder runtime(String value) {
            this.runtime = value;
            return this;
        }

        public Builder detached(boolean value) {
            this.detached = value;
            return this;
        }

        /** Where the final state of a detached run is POSTed, signed with {@code secret} (null: unsigned). */
        public Builder callback(String url, String secret) {
            this.callbackUrl = url;
            this.callbackSecret = secret;
            return this;
        }

        /** @throws IllegalStateException when no image was given */
        public RunRequest build() {
            if (image == null || image.isBlank()) {
                throw new IllegalStateException("image was not specified");
            }
            return new RunRequest(image, files, entrypoint, buildSteps, input, env, extract, timeout, memoryMiB,
                    cpus, pids, network, networks, workdir, user, readOnlyRootfs, runtime, detached, callbackUrl,
                    callbackSecret);
        }
    }
}
