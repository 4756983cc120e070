package dev.lightrun.server.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.lightrun.runner.Limits;
import dev.lightrun.server.artifacts.LocalArtifactStore;
import dev.lightrun.server.callbacks.CallbackGuard;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.callbacks.CallbackSender;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.fakes.FakeRunner;
import dev.lightrun.server.http.Json;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.FieldError;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.RunIds;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.model.Scope;
import dev.lightrun.server.store.SqliteRunStore;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tenants' quotas through the run service: request-level limits, runsPerMinute on a fake clock, maxQueued,
 * maxConcurrent and the fair queue, and the queue rebuilt per owner after a restart. A {@link FakeRunner}, the real
 * SQLite store in a temporary folder, callers built with their quotas directly (as the keys file will build them).
 */
class RunServiceQuotaTest {
    /** The server's defaults in these tests: 5 min timeout, 512 MiB, 1 CPU; maxima 2048 MiB and 4 CPUs. */
    private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    private static final RunPolicy POLICY = RunPolicy.builder().defaultMemoryMiB(512).maxMemoryMiB(2048)
            .defaultCpus(1.0).maxCpus(4.0).build();

    @TempDir
    Path dir;
    private final FakeRunner runner = new FakeRunner();
    private final AtomicLong nanos = new AtomicLong();
    private SqliteRunStore store;
    private CallbackSender sender;
    private CallbackOutbox outbox;
    private RunService service;

    private RunService service(int maxConcurrent, int maxQueue, Function<String, Quota> restartQuotas) {
        store = new SqliteRunStore(dir.resolve("data"));
        LocalArtifactStore artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        sender = new CallbackSender(Duration.ofSeconds(2));
        outbox = new CallbackOutbox(store, sender, new CallbackGuard(List.of()), 1, Duration.ofMillis(10));
        RunSpecFactory specs = new RunSpecFactory(artifacts::folderOf, DEFAULT_TIMEOUT, 64 * 1024, false, POLICY);
        service = new RunService(runner, store, artifacts, outbox, specs,
                new RunLogs(dir.resolve("logs"), 1024 * 1024, Json.MAPPER), Json.MAPPER, Long.MAX_VALUE,
                maxConcurrent, maxQueue, restartQuotas, RunEvents.NONE, nanos::get);
        return service;
    }

    private RunService service(int maxConcurrent, int maxQueue) {
        return service(maxConcurrent, maxQueue, owner -> Quota.UNLIMITED);
    }

    @AfterEach
    void closeStores() {
        if (outbox != null) {
            outbox.close();
            sender.close();
            store.close();
        }
    }

    private static Quota quota(Integer maxConcurrent, Integer maxQueued, Integer runsPerMinute) {
        return new Quota(maxConcurrent, maxQueued, runsPerMinute, null, null, null, null);
    }

    private static Caller tenant(String name, Quota quota) {
        return new Caller(name, Set.of(Scope.RUN, Scope.READ), quota);
    }

    private static RunRequest request(String image, Long timeout, Integer memory, Double cpus) {
        Map<String, JsonNode> files = Map.of("main.sh", TextNode.valueOf("echo hi"));
        return new RunRequest(image, files, "sh main.sh", null, null, timeout, null, null, null, null, null, true,
                null, null, memory, cpus, null, null, null, null);
    }

    private static RunRequest plain() {
        return request("alpine:3", null, null, null);
    }

    private String submit(Caller caller) {
        return service.submit(plain(), caller).accepted().id();
    }

    /** The refusal of {@code call}: its error, and that nothing was recorded nor started for it. */
    private ApiException refusal(ThrowingCallable call) {
        int recorded = service.page(null, null, 100, null).runs().size();
        int started = runner.started().size();
        List<ApiException> thrown = new ArrayList<>();
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class, thrown::add);
        assertThat(service.page(null, null, 100, null).runs()).as("runs recorded").hasSize(recorded);
        assertThat(runner.started()).as("runs started").hasSize(started);
        return thrown.getFirst();
    }

    // --- request-level quotas -------------------------------------------------------------------------------------

    @Test
    void aTimeoutOverMaxTimeoutIsBadRequestNamingTheFieldAndTheQuota() {
        service(4, 10);
        Caller a = tenant("a", new Quota(null, null, null, Duration.ofSeconds(60), null, null, null));

        ApiException e = refusal(() -> service.submit(request("alpine:3", 60_001L, null, null), a));

        assertThat(e.error()).isEqualTo(ApiError.BAD_REQUEST);
        assertThat(e.error().status()).isEqualTo(400);
        assertThat(e.error().code()).isEqualTo("bad_request");
        assertThat(e.details()).containsExactly(new FieldError("timeout", "must be at most 60000 (ms), the quota of 'a'"));
        assertThat(e.fields()).containsExactly(Map.entry("quota", "maxTimeoutMs"));
        assertThat(e.getMessage()).isEqualTo("timeout: must be at most 60000 (ms), the quota of 'a'");
        assertThat(service.submit(request("alpine:3", 60_000L, null, null), a).accepted().status())
                .isEqualTo(RunStatus.RUNNING);
    }

    @Test
    void memoryOverMaxMemoryIsBadRequestNamingTheFieldAndTheQuota() {
        service(4, 10);
        Caller a = tenant("a", new Quota(null, null, null, null, 256L, null, null));

        ApiException e = refusal(() -> service.submit(request("alpine:3", null, 257, null), a));

        assertThat(e.error()).isEqualTo(ApiError.BAD_REQUEST);
        assertThat(e.details()).containsExactly(new FieldError("memory", "must be at most 256 (MiB), the quota of 'a'"));
        assertThat(e.fields()).containsExactly(Map.entry("quota", "maxMemory"));
    }

    @Test
    void cpusOverMaxCpusIsBadRequestNamingTheFieldAndTheQuota() {
        service(4, 10);
        Caller a = tenant("a", new Quota(null, null, null, null, null, 0.5, null));

        ApiException e = refusal(() -> service.submit(request("alpine:3", null, null, 0.75), a));

        assertThat(e.error()).isEqualTo(ApiError.BAD_REQUEST);
        assertThat(e.details()).containsExactly(new FieldError("cpus", "must be at most 0.5, the quota of 'a'"));
        assertThat(e.fields()).containsExactly(Map.entry("quota", "maxCpus"));
    }

    @Test
    void everyBrokenRequestQuotaIsADetailAndTheFirstIsTheQuotaField() {
        service(4, 10);
        Caller a = tenant("a", new Quota(null, null, null, Duration.ofSeconds(1), 256L, 0.5, null));

        ApiException e = refusal(() -> service.submit(request("alpine:3", 2_000L, 300, 1.0), a));

        assertThat(e.details()).extracting(FieldError::path).containsExactly("timeout", "memory", "cpus");
        assertThat(e.fields()).containsExactly(Map.entry("quota", "maxTimeoutMs"));
    }

    @Test
    void anImageOutsideTheQuotasAllowedImagesIsForbiddenWithTheServersGlobMatching() {
        service(4, 10);
        Caller a = tenant("a", new Quota(null, null, null, null, null, null, List.of("python:3.*", "busybox:latest")));

        ApiException e = refusal(() -> service.submit(request("alpine:3", null, null, null), a));

        assertThat(e.error()).isEqualTo(ApiError.IMAGE_NOT_ALLOWED);
        assertThat(e.error().status()).isEqualTo(403);
        assertThat(e.error().code()).isEqualTo("image_not_allowed");
        assertThat(e.fields()).containsExactly(Map.entry("quota", "allowedImages"));
        assertThat(e.getMessage()).isEqualTo("image alpine:3 is not among the images 'a' may run (python:3.*,busybox:latest)");
        // Same globs as LIGHT_RUN_ALLOWED_IMAGES: '*' spans characters, an untagged image is also ':latest'.
        service.submit(request("python:3.12-slim", null, null, null), a);
        service.submit(request("busybox", null, null, null), a);
        assertThat(runner.started()).hasSize(2);
    }

    @Test
    void defaultsLargerThanTheQuotaAreLoweredToItAndExplicitValuesWithinItAreKept() {
        service(4, 10);
        Caller small = tenant("small", new Quota(null, null, null, Duration.ofSeconds(30), 128L, 0.25, null));
        Caller large = tenant("large", new Quota(null, null, null, Duration.ofHours(1), 4096L, 8.0, null));

        String lowered = submit(small);
        String explicit = service.submit(request("alpine:3", 10_000L, 64, 0.125), small).accepted().id();
        String defaults = submit(large);

        var loweredSpec = runner.execution(lowered).spec();
        assertThat(loweredSpec.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(loweredSpec.limits().memoryBytes()).isEqualTo(128 * Limits.MIB);
        assertThat(loweredSpec.limits().cpus()).isEqualTo(0.25);
        var explicitSpec = runner.execution(explicit).spec();
        assertThat(explicitSpec.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(explicitSpec.limits().memoryBytes()).isEqualTo(64 * Limits.MIB);
        assertThat(explicitSpec.limits().cpus()).isEqualTo(0.125);
        var defaultSpec = runner.execution(defaults).spec();
        assertThat(defaultSpec.timeout()).isEqualTo(DEFAULT_TIMEOUT);
        assertThat(defaultSpec.limits().memoryBytes()).isEqualTo(512 * Limits.MIB);
        assertThat(defaultSpec.limits().cpus()).isEqualTo(1.0);
    }

    @Test
    void aQueuedRunKeepsItsLoweredDefaultsAcrossARestart() throws Exception {
        service(1, 10);
        Caller small = tenant("small", new Quota(null, null, null, Duration.ofSeconds(30), 128L, null, null));
        submit(small);
        String queued = submit(small);
        service.shutdown(Duration.ZERO);
        closeStores();

        service(1, 10);
        service.recover();
        // The first run's container is gone after the "restart": it ends lost, and the queued one starts.
        var spec = runner.execution(queued).spec();
        assertThat(spec.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(spec.limits().memoryBytes()).isEqualTo(128 * Limits.MIB);
    }

    // --- runsPerMinute ---------------------------------------------------------------------------------------------

    @Test
    void runsOverRunsPerMinuteAreRefusedWithRetryAfterUntilTheNextToken() {
        service(10, 10);
        Caller a = tenant("a", quota(null, null, 2));
        submit(a);
        submit(a);

        ApiException e = refusal(() -> submit(a));

        assertThat(e.error()).isEqualTo(ApiError.QUOTA_EXCEEDED);
        assertThat(e.error().status()).isEqualTo(429);
        assertThat(e.error().code()).isEqualTo("quota_exceeded");
        assertThat(e.fields()).containsExactly(Map.entry("quota", "runsPerMinute"));
        assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(30));
        assertThat(e.getMessage()).isEqualTo("'a' may submit 2 run(s) per minute, its runsPerMinute quota; the next is"
                + " allowed in 30 s");
        assertThat(submit(tenant("b", quota(null, null, 2)))).as("b has its own bucket").isNotNull();

        nanos.addAndGet(Duration.ofSeconds(29).toNanos());
        assertThat(refusal(() -> submit(a)).retryAfter()).isEqualTo(Duration.ofSeconds(1));
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(submit(a)).isNotNull();
    }

    @Test
    void aRequestRefusedForAnyReasonTakesNoToken() {
        service(1, 10);
        Caller a = tenant("a", new Quota(1, 0, 2, Duration.ofSeconds(60), null, null, null));
        String first = submit(a);

        // Refused by a request quota, then by maxQueued (a's one slot is busy and it may queue none).
        refusal(() -> service.submit(request("alpine:3", 61_000L, null, null), a));
        assertThat(refusal(() -> submit(a)).fields()).containsEntry("quota", "maxQueued");
        runner.execution(first).succeed();

        assertThat(submit(a)).as("the second token is still there").isNotNull();
        assertThat(refusal(() -> submit(a)).fields()).containsEntry("quota", "runsPerMinute");
    }

    // --- maxQueued, maxConcurrent and fairness -------------------------------------------------------------------

    @Test
    void aTenantWithMaxQueuedRunsWaitingIsRefusedWithQuotaExceeded() {
        service(1, 10);
        Caller a = tenant("a", quota(null, 2, null));
        submit(a);
        submit(a);
        submit(a);

        ApiException e = refusal(() -> submit(a));

        assertThat(e.error()).isEqualTo(ApiError.QUOTA_EXCEEDED);
        assertThat(e.error().status()).isEqualTo(429);
        assertThat(e.error().retryable()).as("answered with Retry-After").isTrue();
        assertThat(e.fields()).containsExactly(Map.entry("quota", "maxQueued"));
        assertThat(e.getMessage()).isEqualTo("'a' already has 2 run(s) waiting, its maxQueued quota; retry when one has"
                + " started");
        assertThat(service.submit(plain(), tenant("b", quota(null, 2, null))).accepted().status())
                .as("another tenant still queues").isEqualTo(RunStatus.QUEUED);
    }

    @Test
    void overItsMaxConcurrentATenantsRunQueuesWhileTheFreeSlotStaysForOthers() {
        service(2, 10);
        Caller a = tenant("a", quota(1, null, null));
        String a1 = submit(a);
        RunService.Submitted a2 = service.submit(plain(), a);

        assertThat(a2.accepted().status()).isEqualTo(RunStatus.QUEUED);
        assertThat(service.get(a2.accepted().id()).status()).isEqualTo(RunStatus.QUEUED);
        String b1 = submit(tenant("b", Quota.UNLIMITED));
        assertThat(runner.startedIds()).containsExactly(a1, b1);

        runner.execution(b1).succeed();
        assertThat(runner.startedIds()).as("a is still at its cap").containsExactly(a1, b1);
        runner.execution(a1).succeed();
        assertThat(runner.startedIds()).containsExactly(a1, b1, a2.accepted().id());
    }

    @Test
    void aBurstOfOneTenantDoesNotStarveAnothersRun() {
        service(1, 100);
        Caller a = tenant("a", Quota.UNLIMITED);
        List<String> as = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            as.add(submit(a));
        }
        String b1 = submit(tenant("b", Quota.UNLIMITED));

        runner.execution(as.get(0)).succeed();

        assertThat(runner.startedIds()).as("b's run is next after the run that held the slot")
                .containsExactly(as.get(0), b1);
    }

    // --- restart -------------------------------------------------------------------------------------------------

    private void storedQueued(String id, String owner) throws Exception {
        store.create(RunState.queued(id, "alpine:3", owner, true, Instant.now()),
                new RunPlan(List.of(), Duration.ofMinutes(1), null, null), Json.MAPPER.writeValueAsBytes(plain()));
    }

    @Test
    void recoveryRequeuesEachOwnersRunsInOrderAndTheyTakeTurns() throws Exception {
        service(1, 10);
        List<String> ids = new ArrayList<>();
        for (String owner : new String[] {"a", "a", "b", "a", null}) {
            String id = RunIds.next();
            storedQueued(id, owner);
            ids.add(id);
        }

        service.recover();
        List<String> order = new ArrayList<>(runner.startedIds());
        for (int i = 0; i < 4; i++) {
            runner.execution(order.getLast()).succeed();
            order = runner.startedIds();
        }

        // a, b, the owner-less tenant, then a's remaining two in their stored order.
        assertThat(order).containsExactly(ids.get(0), ids.get(2), ids.get(4), ids.get(1), ids.get(3));
    }

    @Test
    void recoveryAppliesTheOwnersMaxConcurrentToItsRequeuedRuns() throws Exception {
        service(3, 10, owner -> owner.equals("a") ? quota(1, null, null) : Quota.UNLIMITED);
        String a1 = RunIds.next();
        String a2 = RunIds.next();
        String b1 = RunIds.next();
        storedQueued(a1, "a");
        storedQueued(a2, "a");
        storedQueued(b1, "b");

        service.recover();

        assertThat(runner.startedIds()).containsExactly(a1, b1);
        assertThat(service.get(a2).status()).isEqualTo(RunStatus.QUEUED);
    }
}
