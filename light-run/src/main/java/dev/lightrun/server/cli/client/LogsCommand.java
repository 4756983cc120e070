package dev.lightrun.server.cli.client;

import dev.lightrun.client.LightRunClient;
import dev.lightrun.client.LogLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.stream.Stream;

/** {@code light-run logs ID [-f]}: the run's output, its stdout to stdout and its stderr to stderr. */
@Command(name = "logs", description = "Print a run's output.")
public final class LogsCommand extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The run id.")
    String id;

    @Option(names = {"-f", "--follow"}, description = "Keep printing until the run ends.")
    boolean follow;

    @Option(names = "--json", description = "Every line as the API's JSON record {t, stream, line}, all on stdout.")
    boolean json;

    @Override
    int execute(LightRunClient client) {
        try (Stream<LogLine> lines = client.logs(id, follow)) {
            lines.forEach(line -> {
                PrintWriter target = json || line.stream() == LogLine.Stream.STDOUT ? out() : err();
                target.println(json ? json(line) : line.line());
                target.flush();
            });
        }
        return 0;
    }
}
