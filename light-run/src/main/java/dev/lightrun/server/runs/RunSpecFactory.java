package dev.lightrun.server.runs;

import dev.lightrun.runner.ExtractPolicy;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.Hardening;
import dev.lightrun.runner.NetworkChoice;
import dev.lightrun.runner.RunSpec;

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

    public RunSpecFactory(Function<String, Path> artifactFolder, Duration defaultTimeout, long stateLogBytes,
                          boolean allowHostNetworks) {
        this.artifactFolder = artifactFolder;
        this.defaultTimeout = defaultTimeout;
        this.stateLogBytes = stateLogBytes;
        this.allowHostNetworks = allowHostNetworks;
    }

    long stateLogBytes() {
        return stateLogBytes;
    }

    RunSpec create(String id, RunRequest request, dev.lightrun.runner.LogSink logSink) {
        RunSpec.Builder spec = RunSpec.builder(request.image())
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
                    Extraction.DEFAULT_CAP_BYTES, Extraction.DEFAULT_CAP_BYTES));
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
