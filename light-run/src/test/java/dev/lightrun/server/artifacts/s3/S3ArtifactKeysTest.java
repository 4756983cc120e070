package dev.lightrun.server.artifacts.s3;

import dev.lightrun.server.model.RunIds;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Key mapping, path validation, range and part arithmetic of the S3 artifact store: no network. */
class S3ArtifactKeysTest {
    private static final String RUN = RunIds.next();
    private final S3Keys keys = new S3Keys(S3Location.parse("s3://bucket/light/run"));

    @Test
    void keysArePrefixRunIdAndRelativePath() {
        assertThat(keys.key(RUN, "out/a/b.txt")).contains("light/run/" + RUN + "/out/a/b.txt");
        assertThat(keys.runPrefix(RUN)).isEqualTo("light/run/" + RUN + "/");
        assertThat(keys.key(RUN, "out//b/")).contains("light/run/" + RUN + "/out/b");
        assertThat(keys.key(RUN, "")).contains("light/run/" + RUN);
        assertThat(new S3Keys(S3Location.parse("s3://bucket")).key(RUN, "x")).contains(RUN + "/x");
    }

    @Test
    void pathsThatCouldLeaveTheRunAreRefused() {
        for (String path : List.of("../x", "out/../../x", "/etc/passwd", "./x", "a\\b", "a/\0b", "out/..")) {
            assertThat(keys.key(RUN, path)).as(path).isEmpty();
        }
        assertThat(keys.key("not-a-run", "x")).isEmpty();
        assertThat(keys.key(RUN, null)).isEmpty();
        assertThatThrownBy(() -> keys.runPrefix("../x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void runIdsComeBackFromCommonPrefixes() {
        assertThat(keys.runIdOf("light/run/" + RUN + "/")).contains(RUN);
        assertThat(keys.runIdOf("light/run/junk/")).isEmpty();
        assertThat(keys.runIdOf("other/" + RUN + "/")).isEmpty();
        assertThat(keys.runIdOf("light/run/" + RUN)).isEqualTo(Optional.empty());
    }

    @Test
    void rangeHeaderIsInclusive() {
        assertThat(S3Keys.range(0, 1)).isEqualTo("bytes=0-0");
        assertThat(S3Keys.range(100, 50)).isEqualTo("bytes=100-149");
        assertThatThrownBy(() -> S3Keys.range(5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> S3Keys.range(-1, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void partsCoverTheFileExactlyWithTheLastOneShort() {
        long mib = 1024 * 1024;
        List<S3Keys.Part> parts = S3Keys.parts(256 * mib + 5, 16 * mib);
        assertThat(parts).hasSize(17);
        assertThat(parts.getFirst()).isEqualTo(new S3Keys.Part(1, 0, 16 * mib));
        assertThat(parts.getLast()).isEqualTo(new S3Keys.Part(17, 256 * mib, 5));
        assertThat(parts.stream().mapToLong(S3Keys.Part::length).sum()).isEqualTo(256 * mib + 5);
        assertThat(S3Keys.parts(16 * mib, 16 * mib)).containsExactly(new S3Keys.Part(1, 0, 16 * mib));
    }

    @Test
    void partsGrowPastTenThousand() {
        long size = 10_001L * 5 * 1024 * 1024;
        List<S3Keys.Part> parts = S3Keys.parts(size, 5L * 1024 * 1024);
        assertThat(parts).hasSizeLessThanOrEqualTo(S3Keys.MAX_PARTS);
        assertThat(parts.stream().mapToLong(S3Keys.Part::length).sum()).isEqualTo(size);
    }

    @Test
    void locationsParseAndRefuseWhatIsNotABucket() {
        assertThat(S3Location.parse("s3://my-bucket/a/b/")).isEqualTo(new S3Location("my-bucket", "a/b"));
        assertThat(S3Location.parse("s3://my-bucket")).isEqualTo(new S3Location("my-bucket", ""));
        assertThat(S3Location.parse("s3://my-bucket/a").toString()).isEqualTo("s3://my-bucket/a");
        for (String bad : List.of("http://b/x", "s3://", "s3://B/x", "s3://b:1/x", "s3://u@bucket/x", "s3://bb/../x",
                "s3://bucket/a?x=1", "/tmp/x")) {
            assertThatThrownBy(() -> S3Location.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
