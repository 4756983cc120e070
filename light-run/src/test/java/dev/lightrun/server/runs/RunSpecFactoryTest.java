package dev.lightrun.server.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.NetworkChoice;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A request becomes the SDK's spec with the server's defaults, and the operator's image policy refuses what it must. */
class RunSpecFactoryTest {
    private static final String ID = "01900000-0000-7000-8000-000000000001";
    private static final Path ARTIFACTS = Path.of("/var/lib/light-run/artifacts");

    private static RunSpecFactory factory(RunPolicy policy) {
        return new RunSpecFactory(id -> ARTIFACTS.resolve(id), Duration.ofMinutes(3), 4096, false, policy);
    }

    private static RunRequest request(String image, List<String> run, Map<String, JsonNode> files, JsonNode input,
                                      String network, List<String> networks, Integer memory, List<String> extract) {
        return new RunRequest(image, files, "cat", run, input, null, network, networks, null, null, extract, null, null,
                null, memory, null, null, null, null, null);
    }

    private static RunRequest simple(String image) {
        return request(image, null, Map.of("a.txt", TextNode.valueOf("x")), null, null, null, null, null);
    }

    @Test
    void imageOutsideTheAllowListIsForbiddenNamingTheList() {
        RunSpecFactory specs = factory(RunPolicy.builder().allowedImages(List.of("python:3.*", "ghcr.io/acme/*")).build());

        assertThatThrownBy(() -> specs.checkAllowed(simple("alpine:3")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.IMAGE_NOT_ALLOWED);
                    assertThat(e.error().status()).isEqualTo(403);
                    assertThat(e.getMessage()).isEqualTo("image alpine:3 is not in the allowed images"
                            + " (LIGHT_RUN_ALLOWED_IMAGES: python:3.*,ghcr.io/acme/*)");
                });
        specs.checkAllowed(simple("python:3.12"));
        specs.checkAllowed(simple("ghcr.io/acme/tool:1"));
    }

    @Test
    void anUntaggedImageMatchesAGlobForLatest() {
        factory(RunPolicy.builder().allowedImages(List.of("alpine:latest")).build()).checkAllowed(simple("alpine"));
    }

    @Test
    void buildStepsAreForbiddenWhenTheOperatorDisabledThem() {
        RunSpecFactory specs = factory(RunPolicy.builder().allowBuild(false).build());
        RunRequest withBuild = request("alpine:3", List.of("apk add curl"), Map.of("a", TextNode.valueOf("x")), null,
                null, null, null, null);

        assertThatThrownBy(() -> specs.checkAllowed(withBuild))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.BUILD_NOT_ALLOWED);
                    assertThat(e.getMessage())
                            .isEqualTo("build steps (run) are disabled on this server (LIGHT_RUN_ALLOW_BUILD=false)");
                });
        specs.checkAllowed(simple("alpine:3"));
    }

    @Test
    void specCarriesTheServersDefaults() {
        RunSpec spec = factory(RunPolicy.builder().build()).create(ID, simple("alpine:3"), LogSink.NONE);

        assertThat(spec.runId()).isEqualTo(ID);
        assertThat(spec.timeout()).isEqualTo(Duration.ofMinutes(3));
        assertThat(spec.logCapBytes()).isEqualTo(4096);
        assertThat(spec.limits().memoryBytes()).isEqualTo(512 * Limits.MIB);
        assertThat(spec.limits().pids()).isEqualTo(100);
        assertThat(spec.network()).isEqualTo(NetworkChoice.isolated());
        assertThat(spec.workdir()).isEqualTo(RunSpec.DEFAULT_WORKDIR);
        assertThat(spec.extraction()).isNull();
        assertThat(spec.stdin()).isNull();
        assertThat(spec.hardening().allowHostNetworks()).isFalse();
    }

    @Test
    void requestedValuesWinOverDefaults() {
        JsonNode input = JsonNodeFactory.instance.objectNode().set("n", IntNode.valueOf(1));
        RunRequest request = request("alpine:3", null,
                Map.of("bin/data", JsonNodeFactory.instance.objectNode().put("base64", "AAEC")), input, null,
                List.of("lab", "db"), 64, List.of("/app/out"));

        RunSpec spec = factory(RunPolicy.builder().build()).create(ID, request, LogSink.NONE);

        assertThat(spec.files().get("bin/data")).containsExactly(0, 1, 2);
        assertThat(new String(spec.stdin(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");
        assertThat(spec.network()).isEqualTo(NetworkChoice.named(List.of("lab", "db")));
        assertThat(spec.limits().memoryBytes()).isEqualTo(64 * Limits.MIB);
        assertThat(spec.extraction().paths()).containsExactly("/app/out");
        assertThat(spec.extraction().destination()).isEqualTo(ARTIFACTS.resolve(ID));
    }

    @Test
    void bridgeMeansTheIsolatedNetworkAndNoneMeansNone() {
        RunSpecFactory specs = factory(RunPolicy.builder().build());
        Map<String, JsonNode> files = Map.of("a", TextNode.valueOf("x"));

        assertThat(specs.create(ID, request("alpine:3", null, files, null, "bridge", null, null, null), LogSink.NONE)
                .network()).isEqualTo(NetworkChoice.isolated());
        assertThat(specs.create(ID, request("alpine:3", null, files, null, "none", null, null, null), LogSink.NONE)
                .network()).isEqualTo(NetworkChoice.none());
    }
}
