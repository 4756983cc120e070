package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.BuildResponseItem;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.RunnerException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Gets the image a run needs: pulls a missing image (once), and builds the image for a run's build steps as
 * {@code FROM image} plus one {@code RUN} per step, cached under a tag derived from the image and the steps, so an
 * identical second run reuses it. Identical builds in flight at the same time are coalesced into one.
 */
final class ImageResolver {
    static final String BUILD_REPOSITORY = "light-run-build";
    private static final Logger log = LoggerFactory.getLogger(ImageResolver.class);

    private final DockerClient docker;
    private final boolean pullMissing;
    private final Duration pullTimeout;
    private final ConcurrentHashMap<String, CompletableFuture<String>> buildsInFlight = new ConcurrentHashMap<>();
    /** When a run last used each cached build image (this process only; after a restart, creation time counts). */
    private final ConcurrentHashMap<String, Instant> lastUsed = new ConcurrentHashMap<>();

    Instant lastUsed(String tag) {
        return lastUsed.get(tag);
    }

    ImageResolver(DockerClient docker, boolean pullMissing, Duration pullTimeout) {
        this.docker = docker;
        this.pullMissing = pullMissing;
        this.pullTimeout = pullTimeout;
    }

    /** Pulls {@code image}; throws {@link ErrorCode#IMAGE_NOT_FOUND} when it cannot be had. */
    void pull(String image) {
        if (!pullMissing) {
            throw notFound(image, "pulling is disabled");
        }
        ImageName name = ImageName.parse(image);
        log.info("image {} - not present locally, pulling", image);
        PullImageResultCallback callback = new PullImageResultCallback();
        try {
            docker.pullImageCmd(name.repository()).withTag(name.tag()).exec(callback);
            if (!callback.awaitCompletion(pullTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                callback.close();
                throw notFound(image, "pull did not finish within " + pullTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw notFound(image, "interrupted while pulling");
        } catch (RunnerException e) {
            throw e;
        } catch (RuntimeException | IOException e) {
            if (DockerErrors.isConnectionFailure(e)) {
                throw DockerErrors.translate(e, "pulling " + image, ErrorCode.IMAGE_NOT_FOUND);
            }
            throw notFound(image, DockerErrors.daemonMessage(e));
        }
    }

    private static RunnerException notFound(String image, String why) {
        return new RunnerException(ErrorCode.IMAGE_NOT_FOUND,
                "image " + image + " is not present locally and could not be pulled (" + why
                        + "); build or load it first (docker build / docker load / docker import)");
    }

    /** The tag of the cached image for these steps, building it first when it does not exist yet. */
    String imageWithSteps(String image, List<String> steps, Duration timeout) {
        String tag = BUILD_REPOSITORY + ":" + cacheKey(image, steps);
        lastUsed.put(tag, Instant.now());
        if (exists(tag)) {
            return tag;
        }
        CompletableFuture<String> mine = new CompletableFuture<>();
        CompletableFuture<String> build = buildsInFlight.putIfAbsent(tag, mine);
        if (build == null) {
            build = mine;
            try {
                // Check again: a build that finished between our first check and putIfAbsent left the image behind.
                mine.complete(exists(tag) ? tag : build(image, steps, tag, timeout));
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
            } finally {
                buildsInFlight.remove(tag, mine);
            }
        }
        try {
            return build.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private boolean exists(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "inspecting image " + image, ErrorCode.DOCKER_ERROR);
        }
    }

    private String build(String image, List<String> steps, String tag, Duration timeout) {
        if (!exists(image)) {
            pull(image);
        }
        log.info("image {} - building {} step(s) on {}", tag, steps.size(), image);
        long started = System.nanoTime();
        BuildOutput callback = new BuildOutput();
        try {
            docker.buildImageCmd()
                    .withTarInputStream(new ByteArrayInputStream(contextTar(dockerfile(image, steps))))
                    .withTags(Set.of(tag))
                    .withLabels(Labels.of(Map.of("dev.lightrun.base-image", image), Labels.KIND_BUILD, null))
                    .withPull(false)
                    .withRemove(true)
                    .withForcerm(true)
                    .exec(callback);
            if (!callback.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                callback.close();
                throw new RunnerException(ErrorCode.BUILD_FAILED,
                        "building " + steps.size() + " step(s) on " + image + " took longer than " + timeout);
            }
            callback.awaitImageId();
        } catch (RunnerException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunnerException(ErrorCode.BUILD_FAILED, "interrupted while building on " + image, e);
        } catch (RuntimeException | IOException e) {
            if (DockerErrors.isConnectionFailure(e)) {
                throw DockerErrors.translate(e, "building on " + image, ErrorCode.BUILD_FAILED);
            }
            throw new RunnerException(ErrorCode.BUILD_FAILED, "a build step failed on " + image + ": "
                    + DockerErrors.daemonMessage(e) + lastLines(callback.output()), e);
        }
        log.info("image {} - built in {} ms", tag, (System.nanoTime() - started) / 1_000_000);
        return tag;
    }

    private static String lastLines(String output) {
        String trimmed = output.strip();
        if (trimmed.isEmpty()) {
            return "";
        }
        return "; last output: " + (trimmed.length() > 2000 ? trimmed.substring(trimmed.length() - 2000) : trimmed);
    }

    /** Exec-form RUN (a JSON array), so a step may contain any character, newlines included. */
    static String dockerfile(String image, List<String> steps) {
        StringBuilder dockerfile = new StringBuilder("FROM ").append(image).append('\n');
        for (String step : steps) {
            dockerfile.append("RUN [\"sh\", \"-c\", ").append(jsonString(step)).append("]\n");
        }
        return dockerfile.toString();
    }

    static String cacheKey(String image, List<String> steps) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(dockerfile(image, steps).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    static String jsonString(String value) {
        StringBuilder json = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"').toString();
    }

    /** The build context: only a Dockerfile (a few KB at most: 50 steps of 2 KB), so it is built in memory. */
    private static byte[] contextTar(String dockerfile) {
        byte[] content = dockerfile.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(content.length + 2048);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            TarArchiveEntry entry = new TarArchiveEntry("Dockerfile");
            entry.setSize(content.length);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
            tar.finish();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /** Keeps the end of the build's output so a failed step can be shown with what it printed. */
    private static final class BuildOutput extends BuildImageResultCallback {
        private final TailBuffer output = new TailBuffer(8 * 1024);

        @Override
        public void onNext(BuildResponseItem item) {
            if (item.getStream() != null) {
                output.append(item.getStream().getBytes(StandardCharsets.UTF_8));
            }
            super.onNext(item);
        }

        String output() {
            return output.text();
        }
    }

    /** An image reference split for the pull API, which pulls every tag when none is given. */
    record ImageName(String repository, String tag) {
        static ImageName parse(String image) {
            int at = image.indexOf('@');
            if (at >= 0) {
                return new ImageName(image.substring(0, at), image.substring(at + 1));
            }
            int colon = image.lastIndexOf(':');
            if (colon > image.lastIndexOf('/')) {
                return new ImageName(image.substring(0, colon), image.substring(colon + 1));
            }
            return new ImageName(image, "latest");
        }
    }
}
