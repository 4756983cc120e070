package dev.lightrun.server.cli.client;

import dev.lightrun.client.LightRunClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code light-run cancel ID}: the run ends {@code cancelled}; prints its id, as {@code docker stop} does. */
@Command(name = "cancel", description = "Cancel a queued or running run.")
public final class CancelCommand extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The run id.")
    String id;

    @Override
    int execute(LightRunClient client) {
        client.cancel(id);
        out().println(id);
        out().flush();
        return 0;
    }
}
