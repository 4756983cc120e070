package dev.lightrun.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The module boundaries the design promises, checked on the sources. */
class ArchitectureTest {
    private static final Path SERVER = Path.of("src/main/java");
    private static final Path SDK = Path.of("../light-runner/src/main/java");

    @Test
    void onlyTheDockerBackendImportsDockerJava() throws IOException {
        List<Path> offenders = filesImporting("com.github.dockerjava", SERVER);
        offenders.addAll(filesImporting("com.github.dockerjava", SDK).stream()
                .filter(p -> !p.toString().replace('\\', '/').contains("/dev/lightrun/runner/docker/"))
                .toList());
        assertThat(offenders).as("files importing docker-java outside light-runner's docker package").isEmpty();
    }

    @Test
    void runsStoreAndArtifactsDoNotDependOnHttp() throws IOException {
        List<Path> offenders = new java.util.ArrayList<>();
        for (String layer : List.of("runs", "store", "artifacts", "callbacks")) {
            offenders.addAll(filesImporting("dev.lightrun.server.http", SERVER.resolve("dev/lightrun/server/" + layer)));
        }
        assertThat(offenders).as("lower layers importing the HTTP layer").isEmpty();
    }

    private static List<Path> filesImporting(String prefix, Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return new java.util.ArrayList<>(files.filter(p -> p.toString().endsWith(".java")).filter(p -> {
                try {
                    return Files.readAllLines(p).stream().anyMatch(l -> l.startsWith("import " + prefix));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList());
        }
    }
}
