package dev.lightrun.server.runs;

import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.FieldError;
import dev.lightrun.server.model.Quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The quotas a single request is judged by, on top of the server's policy: {@code maxTimeout}, {@code maxMemoryMib},
 * {@code maxCpus} (400 naming the field) and {@code allowedImages} (403). Every refusal names the quota in a
 * top-level {@code quota} field. A request that leaves timeout, memory or CPUs to the server gets the server's
 * default, lowered to the caller's quota when that is smaller: a client that asks for nothing is never refused.
 * Stateless and thread-safe.
 */
final class RequestQuotas {
    private final Duration defaultTimeout;
    private final int defaultMemoryMiB;
    private final double defaultCpus;

    RequestQuotas(Duration defaultTimeout, int defaultMemoryMiB, double defaultCpus) {
        this.defaultTimeout = defaultTimeout;
        this.defaultMemoryMiB = defaultMemoryMiB;
        this.defaultCpus = defaultCpus;
    }

    RequestQuotas(RunSpecFactory specs) {
        this(specs.defaultTimeout(), specs.policy().defaultMemoryMiB(), specs.policy().defaultCpus());
    }

    /**
     * The request as it will run for {@code caller}: unchanged, or with the defaults it relies on lowered to the
     * caller's quota (stored that way, so a run re-queued after a restart keeps them without its caller).
     *
     * @throws ApiException BAD_REQUEST ({@code quota}: maxTimeoutMs, maxMemory or maxCpus, the first broken one;
     *                      {@code details} every one) or IMAGE_NOT_ALLOWED ({@code quota}: allowedImages)
     */
    RunRequest apply(RunRequest request, Caller caller) {
        Quota quota = caller.quota();
        String of = ", the quota of '" + caller.name() + "'";
        List<FieldError> errors = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        if (quota.maxTimeout() != null && request.timeout() != null && request.timeout() > quota.maxTimeout().toMillis()) {
            errors.add(new FieldError("timeout", "must be at most " + quota.maxTimeout().toMillis() + " (ms)" + of));
            broken.add("maxTimeoutMs");
        }
        if (quota.maxMemoryMib() != null && request.memory() != null && request.memory() > quota.maxMemoryMib()) {
            errors.add(new FieldError("memory", "must be at most " + quota.maxMemoryMib() + " (MiB)" + of));
            broken.add("maxMemory");
        }
        if (quota.maxCpus() != null && request.cpus() != null && request.cpus() > quota.maxCpus()) {
            errors.add(new FieldError("cpus", "must be at most " + quota.maxCpus() + of));
            broken.add("maxCpus");
        }
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(errors).withField("quota", broken.getFirst());
        }
        if (quota.allowedImages() != null && !RunPolicy.imageMatches(quota.allowedImages(), request.image())) {
            throw new ApiException(ApiError.IMAGE_NOT_ALLOWED, "image " + request.image() + " is not among the images '"
                    + caller.name() + "' may run (" + String.join(",", quota.allowedImages()) + ")")
                    .withField("quota", "allowedImages");
        }
        boolean lowerTimeout = request.timeout() == null && quota.maxTimeout() != null
                && quota.maxTimeout().compareTo(defaultTimeout) < 0;
        boolean lowerMemory = request.memory() == null && quota.maxMemoryMib() != null
                && quota.maxMemoryMib() < defaultMemoryMiB;
        boolean lowerCpus = request.cpus() == null && quota.maxCpus() != null && quota.maxCpus() < defaultCpus;
        if (!lowerTimeout && !lowerMemory && !lowerCpus) {
            return request;
        }
        // Boxed on purpose: "cond ? long : Long" would unbox the request's null.
        return request.withLimits(lowerTimeout ? Long.valueOf(quota.maxTimeout().toMillis()) : request.timeout(),
                lowerMemory ? Integer.valueOf(quota.maxMemoryMib().intValue()) : request.memory(),
                lowerCpus ? quota.maxCpus() : request.cpus());
    }
}
