package dev.lightrun.runner.docker;

import dev.lightrun.runner.EntryType;
import dev.lightrun.runner.ExtractedEntry;
import dev.lightrun.runner.SkippedEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@link ArchiveExtractor} makes of each kind of tar entry the Engine's archive can hold. */
class ArchiveExtractorTest {
    @TempDir
    Path dest;

    @Test
    void fifosAndDevicesAreSkippedNotWrittenAsEmptyFiles() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.putArchiveEntry(new TarArchiveEntry("out/"));
            tar.closeArchiveEntry();
            byte[] content = "file\n".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry file = new TarArchiveEntry("out/file.txt");
            file.setSize(content.length);
            tar.putArchiveEntry(file);
            tar.write(content);
            tar.closeArchiveEntry();
            for (String name : new String[] {"out/fifo", "out/char", "out/block"}) {
                byte type = switch (name) {
                    case "out/fifo" -> TarConstants.LF_FIFO;
                    case "out/char" -> TarConstants.LF_CHR;
                    default -> TarConstants.LF_BLK;
                };
                tar.putArchiveEntry(new TarArchiveEntry(name, type));
                tar.closeArchiveEntry();
            }
        }
        ArchiveExtractor extractor = new ArchiveExtractor(dest, 1024, 1024);

        extractor.extract(new ByteArrayInputStream(bytes.toByteArray()));

        assertThat(extractor.entries()).containsExactly(new ExtractedEntry("out", 0, EntryType.DIRECTORY),
                new ExtractedEntry("out/file.txt", 5, EntryType.FILE));
        assertThat(extractor.skipped()).containsExactly(
                new SkippedEntry("out/fifo", "fifo skipped, never followed"),
                new SkippedEntry("out/char", "device skipped, never followed"),
                new SkippedEntry("out/block", "device skipped, never followed"));
        assertThat(dest.resolve("out")).isDirectoryContaining(p -> p.getFileName().toString().equals("file.txt"));
        assertThat(dest.resolve("out/fifo")).doesNotExist();
        assertThat(dest.resolve("out/char")).doesNotExist();
        assertThat(dest.resolve("out/block")).doesNotExist();
    }
}
