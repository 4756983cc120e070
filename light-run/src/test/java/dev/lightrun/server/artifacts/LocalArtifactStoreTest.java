package dev.lightrun.server.artifacts;

import dev.lightrun.server.model.RunIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The local store through the stream seam: what {@code open} finds, what it refuses, and ranged reads. */
class LocalArtifactStoreTest {
    @TempDir
    Path dir;

    @Test
    void filesAndFoldersOpenWithTheirSizeAndReadByRange() throws Exception {
        LocalArtifactStore store = new LocalArtifactStore(dir.resolve("artifacts"));
        String run = RunIds.next();
        Files.createDirectories(store.folderOf(run).resolve("out"));
        Files.writeString(store.folderOf(run).resolve("out/a.txt"), "0123456789");

        store.publish(run);

        ArtifactObject file = store.open(run, "out/a.txt").orElseThrow();
        assertThat(file.isFolder()).isFalse();
        assertThat(file.size()).isEqualTo(10);
        assertThat(file.name()).isEqualTo("a.txt");
        assertThat(file.localFile()).as("the direct-buffer path").isPresent();
        try (InputStream in = file.stream(3, 4)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("3456");
        }
        assertThat(store.open(run, "out").orElseThrow().isFolder()).isTrue();
        assertThat(store.folderOf(run)).as("publish leaves local files where they are").isDirectory();
    }

    @Test
    void traversalAndLinksOutOfTheFolderAreNotFound() throws Exception {
        LocalArtifactStore store = new LocalArtifactStore(dir.resolve("artifacts"));
        String run = RunIds.next();
        Files.createDirectories(store.folderOf(run));
        Path secret = Files.writeString(dir.resolve("secret"), "x");
        Files.createSymbolicLink(store.folderOf(run).resolve("link"), secret);

        assertThat(store.open(run, "link")).isEmpty();
        assertThat(store.open(run, "../../secret")).isEmpty();
        assertThat(store.open(run, secret.toString())).isEmpty();
        assertThat(store.open(run, "missing")).isEmpty();
        assertThat(store.open("not-a-run", "x")).isEmpty();
    }

    @Test
    void deleteFreesTheRecordedSize() throws Exception {
        LocalArtifactStore store = new LocalArtifactStore(dir.resolve("artifacts"));
        String run = RunIds.next();
        Files.createDirectories(store.folderOf(run));
        store.recordFinished(run, 42);
        assertThat(store.totalBytes()).isEqualTo(42);
        assertThat(store.runsOnDisk()).containsExactly(run);
        store.delete(run);
        assertThat(store.totalBytes()).isZero();
        assertThat(store.runsOnDisk()).isEmpty();
        assertThat(store.folderOf(run)).doesNotExist();
    }
}
