package dev.lightrun.server.runs;

import dev.lightrun.runner.ExtractPolicy;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.Hardening;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.NetworkChoice;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/** Turns a validated {@link RunRequest} into the SDK's {@link RunSpec}, with the server's defaults and policy. */
public final class RunSpecFactory {
    private final Function<String, Path> artifactFolder;
    private final Duration defaultTimeout;
    private final long stateLogBytes;
    private final boolean allowHostNetworks;
    private final RunPolicy policy;

    public RunSpecFactory(Function<String, Path> artifactFolder, Duration defaultTimeout, long stateLogBytes,
                          boolean allowHostNetworks, RunPolicy policy) {
        this.artifactFolder = artifactFolder;
        this.defaultTimeout = defaultTimeout;
        this.stateLogBytes = stateLogBytes;
        this.allowHostNetworks = allowHostNetworks;
        this.policy = policy;
    }

    /** The timeout of a run that does not ask for one. */
    Duration defaultTimeout() {
        return defaultTimeout;
    }

    RunPolicy policy() {
        return policy;
    }

    long stateLogBytes() {
        return stateLogBytes;
    }

    /** The per-run artifact cap, also used when finishing re-attached runs. */
    long maxRunArtifactBytes() {
        return policy.maxRunArtifactBytes();
    }

    /** Throws {@link ApiException} (IMAGE_NOT_ALLOWED, BUILD_NOT_ALLOWED) when the operator's policy refuses the image or its build steps. */
    void checkAllowed(RunRequest request) {
        if (!policy.imageAllowed(request.image())) {
            throw new ApiException(ApiError.IMAGE_NOT_ALLOWED, "image " + request.image()
                    + " is not in the allowed images (LIGHT_RUN_ALLOWED_IMAGES: " + String.join(",", policy.allowedImages())
                    + ")");
        }
        if (!request.run().isEmpty() && !policy.allowBuild()) {
            throw new ApiException(ApiError.BUILD_NOT_ALLOWED,
                    "build steps (run) are disabled on this server (LIGHT_RUN_ALLOW_BUILD=false)");
        }
    }

    RunSpec create(String id, RunRequest request, LogSink logSink) {
        Limits limits = new Limits(
                (long) (request.memory() != null ? request.memory() : policy.defaultMemoryMiB()) * Limits.MIB,
                request.cpus() != null ? request.cpus() : policy.defaultCpus(),
                request.pids() != null ? request.pids() : policy.defaultPids(),
                request.user(),
                Boolean.TRUE.equals(request.readOnlyRootfs()));
        RunSpec.Builder spec = RunSpec.builder(request.image())
                .limits(limits)
                .runtime(request.runtime() != null ? request.runtime() : policy.defaultRuntime())
                .buildTimeout(policy.buildTimeout())
                .runId(id)
                .logSink(logSink)
                .files(RunRequestRules.filesOf(request))
                .entrypoint(request.entrypoint())
                .buildSteps(request.run())
                .timeout(request.timeout() == null ? defaultTimeout : Duration.ofMillis(request.timeout()))
                .network(network(request))
                .env(request.env())
                .logCapBytes(stateLogBytes)
                .hardening(Hardening.DEFAULTS.withAllowHostNetworks(allowHostNetworks));
        if (request.workdir() != null) {
            spec.workdir(request.workdir());
        }
        if (request.input() != null) {
            spec.stdin(request.input().toString());
        }
        if (!request.extract().isEmpty()) {
            spec.extraction(new Extraction(request.extract(), artifactFolder.apply(id), ExtractPolicy.ON_SUCCESS,
                    policy.maxRunArtifactBytes(), policy.maxRunArtifactBytes()));
        }
        return spec.build();
    }

    /** {@code bridge} means light-run's isolated bridge: runs never reach each other unless a network says so. */
    private static NetworkChoice network(RunRequest request) {
        List<String> names = request.networks() != null ? request.networks()
                : request.network() != null ? List.of(request.network()) : List.of();
        if (names.isEmpty() || names.equals(List.of("bridge"))) {
            return NetworkChoice.isolated();
        }
        if (names.equals(List.of("none"))) {
            return NetworkChoice.none();
        }
        return NetworkChoice.named(names);
    }
}
