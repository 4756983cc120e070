package dev.lightrun.server.cli.client;

import dev.lightrun.client.LightRunClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** {@code light-run download ID PATH [-o DIR]}: an artifact (file or folder) to {@code DIR/PATH}; prints where. */
@Command(name = "download", description = "Download a run's extracted file or folder.")
public final class DownloadCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The run id.")
    String id;

    @Parameters(index = "1", paramLabel = "PATH", description = "The artifact's path, as `light-run get` lists it.")
    String path;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", defaultValue = ".",
            description = "Where it is written, under its path (default: the current folder).")
    Path outputDir;

    @Override
    int execute(LightRunClient client) {
        Path written = client.download(id, path, outputDir, TerminalProgress.forConsole(err()));
        out().println(written);
        out().flush();
        return 0;
    }
}
