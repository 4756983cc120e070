package dev.lightrun.server.model;

/** One invalid field of a request: its JSON path (e.g. {@code files[../x]}, {@code env[A-B]}) and what is wrong. */
public record FieldError(String path, String message) {
}
