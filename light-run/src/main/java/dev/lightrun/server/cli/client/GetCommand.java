package dev.lightrun.server.cli.client;

import dev.lightrun.client.LightRunClient;
import dev.lightrun.client.RunState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code light-run get ID}: one run's state. */
@Command(name = "get", description = "Show one run.")
public final class GetCommand extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The run id.")
    String id;

    @Option(names = "--json", description = "The run state as the API's JSON.")
    boolean json;

    @Override
    int execute(LightRunClient client) {
        RunState state = client.get(id);
        if (json) {
            out().println(json(state));
        } else {
            Tables.run(out(), state);
        }
        out().flush();
        return 0;
    }
}
