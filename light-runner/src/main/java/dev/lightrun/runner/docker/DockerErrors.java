package dev.lightrun.runner.docker;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.RunnerException;

import java.io.IOException;

/** Translates docker-java's exceptions into {@link RunnerException}s, once, here; nothing else sees them. */
final class DockerErrors {
    static final String START_DAEMON_HINT =
            "start one (e.g. `dockerd &` or `systemctl start docker`) or point DOCKER_HOST at it";

    private DockerErrors() {
    }

    /**
     * @param failure what docker-java threw
     * @param doing   what we were doing, for the message ("creating the container")
     * @param ifOther code to use for a daemon error that has no more specific meaning
     */
    static RunnerException translate(Throwable failure, String doing, ErrorCode ifOther) {
        if (failure instanceof RunnerException runnerException) {
            return runnerException;
        }
        if (isConnectionFailure(failure)) {
            return new RunnerException(ErrorCode.DAEMON_UNREACHABLE,
                    "the Docker daemon did not answer while " + doing + " (" + rootMessage(failure) + "); "
                            + START_DAEMON_HINT, failure);
        }
        if (failure instanceof NotFoundException) {
            return new RunnerException(ErrorCode.NOT_FOUND, doing + ": " + daemonMessage(failure), failure);
        }
        if (failure instanceof ConflictException) {
            return new RunnerException(ErrorCode.CONFLICT, doing + ": " + daemonMessage(failure), failure);
        }
        return new RunnerException(ifOther, doing + " failed: " + daemonMessage(failure), failure);
    }

    /** The daemon could not be reached or the connection broke (no HTTP status came back). */
    static boolean isConnectionFailure(Throwable failure) {
        if (failure instanceof DockerException) {
            return false;
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    static boolean isNotFound(Throwable failure) {
        return failure instanceof NotFoundException;
    }

    /** docker-java prefixes "Status 404: {"message":"..."}"; keep only the daemon's words. */
    static String daemonMessage(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        int at = message.indexOf("\"message\":\"");
        if (at >= 0) {
            // A JSON string: it ends at the first quote that is not escaped; escapes inside are decoded.
            StringBuilder words = new StringBuilder();
            for (int i = at + "\"message\":\"".length(); i < message.length(); i++) {
                char c = message.charAt(i);
                if (c == '"') {
                    return words.toString().trim();
                }
                if (c == '\\' && i + 5 < message.length() && message.charAt(i + 1) == 'u') {
                    words.append((char) Integer.parseInt(message.substring(i + 2, i + 6), 16));
                    i += 5;
                } else if (c == '\\' && i + 1 < message.length()) {
                    char next = message.charAt(++i);
                    words.append(next == 'n' || next == 'r' || next == 't' ? ' ' : next);
                } else {
                    words.append(c);
                }
            }
        }
        return message.replace('\n', ' ').trim();
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
