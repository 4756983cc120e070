package dev.lightrun.server.cli.client;

import dev.lightrun.client.ForgottenReplica;
import dev.lightrun.client.LightRunClient;
import dev.lightrun.client.ReplicaList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code light-run replicas list|forget}: the servers sharing one PostgreSQL store (docs/replicas.md), and declaring
 * a silent one gone for good. Both need an admin's token.
 */
@Command(name = "replicas", description = "List the replicas sharing the server's store, or forget a silent one.",
        subcommands = {ReplicasCommand.ListReplicas.class, ReplicasCommand.Forget.class})
public final class ReplicasCommand implements Runnable {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code light-run replicas list}: a table of every replica, alive or not; {@code *} marks the one that answered. */
    @Command(name = "list", description = "List every replica, alive or not (* marks the one that answered).")
    static final class ListReplicas extends ClientCommand {
        @Option(names = "--json", description = "The API's JSON: {\"self\", \"replicas\"}.")
        boolean json;

        @Override
        int execute(LightRunClient client) {
            ReplicaList list = client.replicas();
            if (json) {
                out().println(json(list));
            } else if (list.isReplicated()) {
                Tables.replicas(out(), list);
            } else {
                // Not an error: the answer is that there is nothing to list.
                err().println("light-run: " + server.url + " runs alone: replicas share a PostgreSQL store"
                        + " (LIGHT_RUN_STORE_URL)");
            }
            out().flush();
            err().flush();
            return 0;
        }
    }

    /** {@code light-run replicas forget NAME}: the silent replica is gone for good; says how many of its runs ended. */
    @Command(name = "forget", description = "Declare a silent replica gone for good: the runs it was executing end"
            + " failed (REPLICA_LOST), those it had claimed but not started go back to the queue.")
    static final class Forget extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "The replica's name, as `light-run replicas list` shows it.")
        String name;

        @Option(names = "--json", description = "The API's JSON: {\"replica\", \"runsEnded\"}.")
        boolean json;

        @Override
        int execute(LightRunClient client) {
            ForgottenReplica forgotten = client.forgetReplica(name);
            out().println(json ? json(forgotten) : "replica " + forgotten.replica() + " forgotten: "
                    + forgotten.runsEnded() + " run(s) it was executing ended failed (REPLICA_LOST)");
            out().flush();
            return 0;
        }
    }
}
