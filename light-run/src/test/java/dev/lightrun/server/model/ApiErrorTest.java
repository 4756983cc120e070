package dev.lightrun.server.model;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.RunnerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The error vocabulary clients program against: statuses, codes, and the one translation of the SDK's errors. */
class ApiErrorTest {

    @ParameterizedTest
    @CsvSource({
            "BAD_REQUEST, 400, bad_request",
            "UNAUTHORIZED, 401, unauthorized",
            "FORBIDDEN, 403, forbidden",
            "IMAGE_NOT_ALLOWED, 403, image_not_allowed",
            "BUILD_NOT_ALLOWED, 403, build_not_allowed",
            "ORIGIN_NOT_ALLOWED, 403, origin_not_allowed",
            "HOST_NOT_ALLOWED, 403, host_not_allowed",
            "NOT_FOUND, 404, not_found",
            "METHOD_NOT_ALLOWED, 405, method_not_allowed",
            "CONFLICT, 409, conflict",
            "PAYLOAD_TOO_LARGE, 413, payload_too_large",
            "UNSUPPORTED_MEDIA_TYPE, 415, unsupported_media_type",
            "QUEUE_FULL, 429, queue_full",
            "QUOTA_EXCEEDED, 429, quota_exceeded",
            "TOO_MANY_REQUESTS, 429, too_many_requests",
            "INTERNAL_ERROR, 500, internal_error",
            "UNAVAILABLE, 503, unavailable",
            "DOCKER_UNAVAILABLE, 503, docker_unavailable",
    })
    void eachErrorHasItsStatusAndStableCode(ApiError error, int status, String code) {
        assertThat(error.status()).isEqualTo(status);
        assertThat(error.code()).isEqualTo(code);
    }

    @Test
    void codesAreUnique() {
        assertThat(Arrays.stream(ApiError.values()).map(ApiError::code).collect(Collectors.toSet()))
                .hasSize(ApiError.values().length);
    }

    @Test
    void every429And503AsksTheClientToRetry() {
        assertThat(Arrays.stream(ApiError.values()).filter(ApiError::retryable))
                .allMatch(e -> e.status() == 429 || e.status() == 503)
                .contains(ApiError.QUEUE_FULL, ApiError.QUOTA_EXCEEDED, ApiError.UNAVAILABLE, ApiError.DOCKER_UNAVAILABLE);
        assertThat(Arrays.stream(ApiError.values()).filter(e -> !e.retryable()))
                .noneMatch(e -> e.status() == 429 || e.status() == 503);
    }

    @ParameterizedTest
    @CsvSource({
            "INVALID_REQUEST, BAD_REQUEST",
            "NOT_FOUND, NOT_FOUND",
            "CONFLICT, CONFLICT",
            "DAEMON_UNREACHABLE, DOCKER_UNAVAILABLE",
            "IMAGE_NOT_FOUND, INTERNAL_ERROR",
            "BUILD_FAILED, INTERNAL_ERROR",
            "START_FAILED, INTERNAL_ERROR",
            "NONZERO_EXIT, INTERNAL_ERROR",
            "OOM_KILLED, INTERNAL_ERROR",
            "TIMED_OUT, INTERNAL_ERROR",
            "CANCELLED, INTERNAL_ERROR",
            "STOPPED, INTERNAL_ERROR",
            "EXTRACTION_REFUSED, INTERNAL_ERROR",
            "DOCKER_ERROR, INTERNAL_ERROR",
    })
    void runnerErrorTranslatesToItsApiErrorKeepingMessageAndCause(ErrorCode code, ApiError expected) {
        RunnerException failure = new RunnerException(code, "network lab is in use by 2 containers");

        ApiException translated = ApiException.fromRunner(failure);

        assertThat(translated.error()).isEqualTo(expected);
        assertThat(translated.getMessage()).isEqualTo("network lab is in use by 2 containers");
        assertThat(translated.getCause()).isSameAs(failure);
        assertThat(translated.details()).isEmpty();
    }

    @Test
    void everySdkErrorCodeIsCoveredByTheTranslationTable() {
        // The table above lists each SDK code once: a new one must be added to it (and decided on) deliberately.
        assertThat(ErrorCode.values()).hasSize(14);
    }

    @Test
    void badRequestSaysTheFirstFieldAndKeepsThemAll() {
        ApiException e = ApiException.badRequest(List.of(new FieldError("files[../x]", "must be relative"),
                new FieldError("timeout", "must be positive")));

        assertThat(e.error()).isEqualTo(ApiError.BAD_REQUEST);
        assertThat(e.getMessage()).isEqualTo("files[../x]: must be relative");
        assertThat(e.details()).extracting(FieldError::path).containsExactly("files[../x]", "timeout");
    }

    @Test
    void badRequestWithoutDetailsSaysInvalidRequest() {
        assertThat(ApiException.badRequest(List.of()).getMessage()).isEqualTo("invalid request");
    }

    @Test
    void runNotFoundNamesTheRun() {
        ApiException e = ApiException.runNotFound("0190-abc");

        assertThat(e.error()).isEqualTo(ApiError.NOT_FOUND);
        assertThat(e.getMessage()).isEqualTo("run 0190-abc not found");
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void everySdkCodeIsARunErrorCodeOfTheSameName(ErrorCode code) {
        assertThat(RunErrorCode.of(code).name()).isEqualTo(code.name());
    }

    @Test
    void lostAndReplicaLostAreTheOnlyRunErrorCodesTheSdkDoesNotHave() {
        List<String> sdk = Arrays.stream(ErrorCode.values()).map(Enum::name).toList();

        assertThat(Arrays.stream(RunErrorCode.values()).map(Enum::name).filter(name -> !sdk.contains(name)))
                .containsExactly("LOST", "REPLICA_LOST");
    }
}
