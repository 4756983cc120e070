package dev.lightrun.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.FieldError;
import dev.lightrun.server.runs.RunRequest;
import dev.lightrun.server.runs.RunRequestRules;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Path;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Turns a request body into a valid {@link RunRequest} or a 400 that names every field at fault: malformed JSON,
 * unknown fields (typos must not pass silently), wrong types, Bean Validation bounds, then the cross-field rules.
 * Thread-safe.
 */
public final class RunRequestParser {
    private static final Set<String> FIELDS = Set.of("image", "files", "entrypoint", "run", "input", "timeout",
            "network", "networks", "workdir", "env", "extract", "detached", "callbackUrl", "callbackSecret", "memory",
            "cpus", "pids", "user", "readOnlyRootfs", "runtime");

    /** Far beyond the bootstrap's few hundred milliseconds on a loaded machine; only a bug would reach it. */
    private static final Duration VALIDATOR_DEADLINE = Duration.ofSeconds(30);

    private final CompletableFuture<Validator> validator;
    private final RunRequestRules rules;

    /** Bootstraps Hibernate Validator (~450 classes) on a virtual thread: server start-up does not wait for it. */
    public RunRequestParser(RunRequestRules rules) {
        this.validator = CompletableFuture.supplyAsync(RunRequestParser::bootstrapValidator,
                task -> Thread.ofVirtual().name("validator-bootstrap").start(task));
        this.rules = rules;
    }

    private static Validator bootstrapValidator() {
        // Parameter interpolation: our messages use only {min}/{max}; no expression language needed at runtime.
        ValidatorFactory factory = Validation.byDefaultProvider().configure()
                .messageInterpolator(new ParameterMessageInterpolator())
                .buildValidatorFactory();
        return factory.getValidator();
    }

    /** The validator, waiting for its bootstrap if the first request comes before it is done. */
    private Validator validator() {
        try {
            return validator.get(VALIDATOR_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the validator", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the validator could not be built", e);
        }
    }

    public RunRequest parse(byte[] body) {
        JsonNode tree = readTree(body);
        if (!(tree instanceof ObjectNode object)) {
            throw ApiException.badRequest("$", "body must be a JSON object");
        }
        List<FieldError> errors = new ArrayList<>();
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                errors.add(new FieldError(name, "unknown field"));
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(errors);
        }
        RunRequest request;
        try {
            request = Json.MAPPER.treeToValue(object, RunRequest.class);
        } catch (MismatchedInputException e) {
            throw ApiException.badRequest(pathOf(e), expected(e.getTargetType()));
        } catch (JsonMappingException e) {
            throw ApiException.badRequest(pathOf(e), "has the wrong type: " + e.getOriginalMessage().split("\n")[0]);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("$", "invalid JSON: " + e.getOriginalMessage());
        }
        for (ConstraintViolation<RunRequest> violation : validator().validate(request)) {
            errors.add(new FieldError(pathOf(violation.getPropertyPath()), violation.getMessage()));
        }
        for (FieldError rule : rules.check(request)) {
            // One message per field: a bound already reported wins over a rule on the same field.
            if (errors.stream().noneMatch(e -> e.path().equals(rule.path()))) {
                errors.add(rule);
            }
        }
        if (!errors.isEmpty()) {
            errors.sort(Comparator.comparing(FieldError::path));
            throw ApiException.badRequest(errors);
        }
        return request;
    }

    private static JsonNode readTree(byte[] body) {
        if (body.length == 0) {
            throw ApiException.badRequest("$", "body is empty; send a JSON object");
        }
        return JsonBodies.tree(body);
    }

    /** What a field of this type takes, in the words of the API (not Jackson's "Cannot coerce ..."). */
    private static String expected(Class<?> type) {
        if (type == null) {
            return "has the wrong type";
        }
        if (type == String.class) {
            return "must be a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "must be true or false";
        }
        if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
            return "must be an integer";
        }
        if (Number.class.isAssignableFrom(type)) {
            return "must be a number";
        }
        if (List.class.isAssignableFrom(type)) {
            return "must be an array";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "must be an object";
        }
        return "has the wrong type";
    }

    /** {@code files[a.txt]}, {@code run[2]}, {@code timeout}: the way a client finds the field in its own JSON. */
    private static String pathOf(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (path.isEmpty() || !(ref.getFrom() instanceof Map)) {
                    path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
                } else {
                    path.append('[').append(ref.getFieldName()).append(']');
                }
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "$" : path.toString();
    }

    private static String pathOf(Path propertyPath) {
        StringBuilder path = new StringBuilder();
        for (Path.Node node : propertyPath) {
            String name = node.getName();
            if (name != null && !name.startsWith("<")) {
                path.append(path.isEmpty() ? "" : ".").append(name);
            }
            if (node.getIndex() != null) {
                path.append('[').append(node.getIndex()).append(']');
            } else if (node.getKey() != null) {
                path.append('[').append(node.getKey()).append(']');
            }
        }
        return path.toString();
    }
}
