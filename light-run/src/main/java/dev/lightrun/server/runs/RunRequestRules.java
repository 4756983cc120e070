package dev.lightrun.server.runs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.server.callbacks.CallbackGuard;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.model.FieldError;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules of a run request that span fields or need more than a bound: safe paths, env names, network choice and
 * operator policy, callback fields only with {@code detached}. Each broken rule is one {@link FieldError}.
 */
public final class RunRequestRules {
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final int MAX_ENV_VALUE = 32 * 1024;

    private static final Pattern USER = Pattern.compile("[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?");

    private final boolean allowHostNetworks;
    private final RunPolicy policy;
    private final CallbackGuard callbackGuard;

    public RunRequestRules(boolean allowHostNetworks, RunPolicy policy, CallbackGuard callbackGuard) {
        this.allowHostNetworks = allowHostNetworks;
        this.policy = policy;
        this.callbackGuard = callbackGuard;
    }

    public List<FieldError> check(RunRequest request) {
        List<FieldError> errors = new ArrayList<>();
        if (request.image() != null && request.image().chars().anyMatch(Character::isWhitespace)) {
            errors.add(new FieldError("image", "must not contain spaces"));
        }
        Map<String, JsonNode> files = request.files() == null ? Map.of() : request.files();
        files.forEach((path, content) -> {
            String field = "files[" + path + "]";
            String pathProblem = relativePathProblem(path);
            if (pathProblem != null) {
                errors.add(new FieldError(field, pathProblem));
            }
            String contentProblem = contentProblem(content);
            if (contentProblem != null) {
                errors.add(new FieldError(field, contentProblem));
            }
        });
        if (request.entrypoint() != null && request.entrypoint().indexOf('\0') >= 0) {
            errors.add(new FieldError("entrypoint", "must not contain NUL"));
        }
        if (request.input() != null && request.entrypoint() == null) {
            errors.add(new FieldError("input", "needs an entrypoint to read it"));
        }
        checkNetworks(request, errors);
        if (request.workdir() != null) {
            String w = request.workdir();
            if (!w.startsWith("/") || w.equals("/") || w.endsWith("/") || w.contains("//")
                    || ("/" + w + "/").contains("/../") || ("/" + w + "/").contains("/./")) {
                errors.add(new FieldError("workdir", "must be an absolute, normalized folder other than /"));
            }
        }
        request.env().forEach((name, value) -> {
            if (value == null) {
                return;
            }
            if (!ENV_NAME.matcher(name).matches()) {
                errors.add(new FieldError("env[" + name + "]", "name must match [A-Za-z_][A-Za-z0-9_]*"));
            } else if (value.indexOf('\0') >= 0 || value.length() > MAX_ENV_VALUE) {
                errors.add(new FieldError("env[" + name + "]", "value must be at most 32768 characters without NUL"));
            }
        });
        Set<String> names = new HashSet<>();
        for (int i = 0; i < request.extract().size(); i++) {
            String path = request.extract().get(i);
            if (path == null) {
                continue;
            }
            try {
                Extraction.checkPath(path);
                String name = path.replaceAll("/+$", "");
                if (!names.add(name.substring(name.lastIndexOf('/') + 1))) {
                    errors.add(new FieldError("extract[" + i + "]", "another extract path has the same last name"));
                }
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError("extract[" + i + "]", e.getMessage()));
            }
        }
        for (int i = 0; i < request.run().size(); i++) {
            if (request.run().get(i) != null && request.run().get(i).isBlank()) {
                errors.add(new FieldError("run[" + i + "]", "must not be blank"));
            }
        }
        checkCallback(request, errors);
        checkResources(request, errors);
        return errors;
    }

    private void checkResources(RunRequest request, List<FieldError> errors) {
        if (request.memory() != null && request.memory() > policy.maxMemoryMiB()) {
            errors.add(new FieldError("memory", "must be at most " + policy.maxMemoryMiB() + " (MiB), the server's maximum"));
        }
        if (request.memory() != null && request.memory() < 6) {
            errors.add(new FieldError("memory", "must be at least 6 (MiB)"));
        }
        if (request.cpus() != null && request.cpus() > policy.maxCpus()) {
            errors.add(new FieldError("cpus", "must be at most " + policy.maxCpus() + ", the server's maximum"));
        }
        if (request.pids() != null && request.pids() > policy.maxPids()) {
            errors.add(new FieldError("pids", "must be at most " + policy.maxPids() + ", the server's maximum"));
        }
        if (request.user() != null && !USER.matcher(request.user()).matches()) {
            errors.add(new FieldError("user", "must be uid[:gid] or a user name"));
        }
        if (request.runtime() != null && !policy.runtimeAllowed(request.runtime())) {
            errors.add(new FieldError("runtime", "'" + request.runtime() + "' is not allowed here; allowed: "
                    + (policy.runtimes().isEmpty() ? "none (LIGHT_RUN_RUNTIMES)" : String.join(", ", policy.runtimes().stream().sorted().toList()))));
        }
    }

    private void checkNetworks(RunRequest request, List<FieldError> errors) {
        if (request.network() != null && request.networks() != null) {
            errors.add(new FieldError("networks", "give either network or networks, not both"));
            return;
        }
        List<String> chosen = request.networks() != null ? request.networks()
                : request.network() != null ? List.of(request.network()) : List.of();
        String field = request.networks() != null ? "networks" : "network";
        if (new HashSet<>(chosen).size() != chosen.size()) {
            errors.add(new FieldError(field, "must not name a network twice"));
        }
        for (String name : chosen) {
            if (name == null) {
                continue;
            }
            boolean escapes = name.equals("host") || name.startsWith("container:");
            if (escapes && !allowHostNetworks) {
                errors.add(new FieldError(field, "'" + name + "' would share the host's or another container's network;"
                        + " the operator has not allowed it (LIGHT_RUN_ALLOW_HOST_NETWORK)"));
            } else if (!escapes && !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
                errors.add(new FieldError(field, "'" + name + "' is not a valid network name"));
            }
            if (chosen.size() > 1 && (name.equals("none") || escapes)) {
                errors.add(new FieldError(field, "'" + name + "' cannot be combined with other networks"));
            }
        }
    }

    private void checkCallback(RunRequest request, List<FieldError> errors) {
        if (!request.isDetached()) {
            if (request.callbackUrl() != null) {
                errors.add(new FieldError("callbackUrl", "only allowed with detached: true"));
            }
            if (request.callbackSecret() != null) {
                errors.add(new FieldError("callbackSecret", "only allowed with detached: true"));
            }
            return;
        }
        if (request.callbackSecret() != null && request.callbackUrl() == null) {
            errors.add(new FieldError("callbackSecret", "needs a callbackUrl"));
        }
        if (request.callbackUrl() != null) {
            try {
                URI uri = new URI(request.callbackUrl());
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
                if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                    errors.add(new FieldError("callbackUrl", "must be an http or https URL with a host"));
                } else {
                    callbackGuard.problem(request.callbackUrl())
                            .ifPresent(problem -> errors.add(new FieldError("callbackUrl", problem)));
                }
            } catch (URISyntaxException e) {
                errors.add(new FieldError("callbackUrl", "is not a valid URL: " + e.getReason()));
            }
        }
    }

    private static String relativePathProblem(String path) {
        try {
            RunSpec.checkRelativePath(path);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static String contentProblem(JsonNode content) {
        if (content == null || content.isNull()) {
            return "content must be a string or {\"base64\": \"...\"}";
        }
        if (content.isTextual()) {
            return null;
        }
        if (content.isObject() && content.size() == 1 && content.has("base64") && content.get("base64").isTextual()) {
            try {
                Base64.getDecoder().decode(content.get("base64").asText());
                return null;
            } catch (IllegalArgumentException e) {
                return "base64 content is not valid base64";
            }
        }
        return "content must be a string or {\"base64\": \"...\"}";
    }

    /** The bytes of a file value that passed {@link #check}. */
    static byte[] bytesOf(JsonNode content) {
        if (content.isTextual()) {
            return content.asText().getBytes(StandardCharsets.UTF_8);
        }
        return Base64.getDecoder().decode(content.get("base64").asText());
    }

    static Map<String, byte[]> filesOf(RunRequest request) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        request.files().forEach((path, content) -> files.put(path, bytesOf(content)));
        return files;
    }
}
