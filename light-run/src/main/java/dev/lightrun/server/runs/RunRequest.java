package dev.lightrun.server.runs;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /run}, compatible with the original light-run's fields. Simple bounds are declared here and
 * checked by Bean Validation; rules across fields and on paths are in {@code RunRequestRules}. {@link #toString()}
 * masks file contents, env values, input and the callback secret.
 *
 * @param image          image to run, 1..300 characters
 * @param files          relative path -> content: a string (UTF-8 text) or {@code {"base64": "..."}} for binary
 * @param entrypoint     shell command run with {@code sh -c}
 * @param run            build steps, each a shell command run at image build time, cached
 * @param input          any JSON, written to the workload's stdin as JSON
 * @param timeout        milliseconds, at most one hour
 * @param network        {@code none}, {@code bridge} (light-run's isolated bridge) or a named network
 * @param networks       several networks, the first primary; not together with {@code network}
 * @param workdir        absolute working directory (default /app)
 * @param env            environment variables, passed literally
 * @param extract        container-absolute paths to copy out after the run
 * @param detached       answer 202 at once instead of waiting
 * @param callbackUrl    where to POST the final state of a detached run
 * @param callbackSecret HMAC-SHA256 key for the callback's signature header
 * @param memory         memory limit in MiB (default and maximum set by the operator)
 * @param cpus           CPU share in cores, fractional
 * @param pids           process limit
 * @param user           {@code uid[:gid]} or a user name known to the image
 * @param readOnlyRootfs read-only root filesystem; the workdir and /tmp stay writable
 * @param runtime        OCI runtime (e.g. runsc), from the operator's allow-list
 */
public record RunRequest(
        @NotNull @Size(min = 1, max = 300) String image,
        @NotNull @Size(min = 1, message = "must contain at least one file") Map<String, JsonNode> files,
        @Size(min = 1, max = 2048) String entrypoint,
        @Size(max = 50) List<@NotNull @Size(min = 1, max = 2048) String> run,
        JsonNode input,
        @Positive @Max(3_600_000) Long timeout,
        @Size(min = 1, max = 200) String network,
        @Size(min = 1, max = 20) List<@NotNull @Size(min = 1, max = 200) String> networks,
        @Size(min = 1, max = 200) String workdir,
        Map<String, @NotNull String> env,
        @Size(max = 20) List<@NotNull @Size(min = 1, max = 1024) String> extract,
        Boolean detached,
        @Size(min = 1, max = 2048) String callbackUrl,
        @Size(min = 16, max = 200) String callbackSecret,
        @Positive Integer memory,
        @Positive Double cpus,
        @Positive Integer pids,
        @Size(min = 1, max = 64) String user,
        Boolean readOnlyRootfs,
        @Size(min = 1, max = 64) String runtime) {

    public RunRequest {
        run = run == null ? List.of() : run;
        env = env == null ? Map.of() : env;
        extract = extract == null ? List.of() : extract;
    }

    /** This request with these timeout (ms), memory (MiB) and CPUs; null leaves the server's default. */
    RunRequest withLimits(Long timeout, Integer memory, Double cpus) {
        return new RunRequest(image, files, entrypoint, run, input, timeout, network, networks, workdir, env, extract,
                detached, callbackUrl, callbackSecret, memory, cpus, pids, user, readOnlyRootfs, runtime);
    }

    public boolean isDetached() {
        return Boolean.TRUE.equals(detached);
    }

    @Override
    public String toString() {
        return "RunRequest[image=" + image + ", files=" + (files == null ? null : files.keySet()) + ", run="
                + run.size() + " step(s), input=" + (input == null ? "none" : "<masked>") + ", timeout=" + timeout
                + ", network=" + network + ", networks=" + networks + ", workdir=" + workdir + ", env="
                + env.keySet() + " (values masked), extract=" + extract + ", detached=" + detached + ", callbackUrl="
                + callbackUrl + ", callbackSecret=" + (callbackSecret == null ? "none" : "<masked>") + "]";
    }
}
