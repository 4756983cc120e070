package dev.lightrun.runner;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExtractionTest {

    @ParameterizedTest
    @ValueSource(strings = {"/app/out", "/app/out/", "/r.json", "/app/a..b", "/app/.hidden"})
    void checkPathAcceptsAbsoluteNormalizedPaths(String path) {
        assertThatCode(() -> Extraction.checkPath(path)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"app/out", "out", "", "./out"})
    void checkPathRefusesRelativePaths(String path) {
        assertThatThrownBy(() -> Extraction.checkPath(path))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/app/../etc", "/..", "/app/.", "/./app", "/app//out", "/app/out//"})
    void checkPathRefusesDotDotDotAndEmptySegments(String path) {
        assertThatThrownBy(() -> Extraction.checkPath(path))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("normalized");
    }

    @Test
    void checkPathRefusesTheRootNullAndNul() {
        assertThatThrownBy(() -> Extraction.checkPath("/")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("root");
        assertThatThrownBy(() -> Extraction.checkPath(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Extraction.checkPath("/app/a\0b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Extraction.checkPath("/" + "a".repeat(1024)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pathsMustHaveDistinctLastNames() {
        assertThatThrownBy(() -> Extraction.of(Path.of("/tmp/x"), "/app/out", "/data/out/"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'out' appears twice");
        assertThatCode(() -> Extraction.of(Path.of("/tmp/x"), "/app/out", "/app/out.txt"))
                .doesNotThrowAnyException();
    }

    @Test
    void atMostAHundredPaths() {
        List<String> paths = java.util.stream.IntStream.range(0, 101).mapToObj(i -> "/app/f" + i).toList();
        assertThatThrownBy(() -> new Extraction(paths, Path.of("/tmp/x"), ExtractPolicy.ON_SUCCESS, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatCode(() -> new Extraction(paths.subList(0, 100), Path.of("/tmp/x"), ExtractPolicy.ON_SUCCESS, 1, 1))
                .doesNotThrowAnyException();
    }

    @Test
    void defaultsExtractOnlyOnSuccessWithOneGibCaps() {
        Extraction extraction = Extraction.of(Path.of("/tmp/x"), "/app/out");

        assertThat(extraction.policy()).isEqualTo(ExtractPolicy.ON_SUCCESS);
        assertThat(extraction.maxEntryBytes()).isEqualTo(1024L * 1024 * 1024);
        assertThat(extraction.maxTotalBytes()).isEqualTo(1024L * 1024 * 1024);
        assertThat(extraction.withPolicy(ExtractPolicy.ALWAYS).policy()).isEqualTo(ExtractPolicy.ALWAYS);
    }

    @Test
    void negativeCapsAndMissingDestinationAreRefused() {
        assertThatThrownBy(() -> Extraction.of(Path.of("/tmp/x"), "/a").withCaps(-1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Extraction(Collections.emptyList(), null, ExtractPolicy.ALWAYS, 1, 1))
                .isInstanceOf(NullPointerException.class);
    }
}
