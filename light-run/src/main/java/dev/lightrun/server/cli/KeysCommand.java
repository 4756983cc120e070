package dev.lightrun.server.cli;

import dev.lightrun.server.auth.ApiKey;
import dev.lightrun.server.auth.KeysFile;
import dev.lightrun.server.auth.KeysFileException;
import dev.lightrun.server.auth.Tokens;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code light-run keys add|list|remove}: edits a keys file in place (atomically; a running server picks the change up
 * within a second). {@code add} prints the new token once, on stdout; only its SHA-256 is written. Bad input (a
 * duplicate or unknown name, an unknown scope, a bad quota, a broken file) is one line and exit code 2.
 */
@Command(name = "keys", mixinStandardHelpOptions = true, versionProvider = LightRunCli.Version.class,
        description = "Manage the API keys file (--keys-file of serve).",
        subcommands = {KeysCommand.Add.class, KeysCommand.ListKeys.class, KeysCommand.Remove.class})
final class KeysCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The file option every subcommand shares: {@code --file}, else LIGHT_RUN_KEYS_FILE. */
    static final class FileOption {
        @Option(names = "--file", defaultValue = "${env:LIGHT_RUN_KEYS_FILE}",
                description = "The keys file (default: LIGHT_RUN_KEYS_FILE).")
        Path file;

        Path required() {
            if (file == null) {
                throw new Invalid("no keys file: give --file PATH or set LIGHT_RUN_KEYS_FILE");
            }
            return file;
        }
    }

    /** Bad input: one line, exit 2. */
    static final class Invalid extends RuntimeException {
        Invalid(String message) {
            super(message);
        }
    }

    /** Runs a subcommand's body: bad input is one line and 2, a failed write one line and 1. */
    private static int guarded(CommandLine.Model.CommandSpec spec, Callable<Integer> body) {
        try {
            return body.call();
        } catch (Invalid | KeysFileException e) {
            spec.commandLine().getErr().println("light-run: " + e.getMessage());
            return LightRunCli.EXIT_INVALID;
        } catch (IOException e) {
            spec.commandLine().getErr().println("light-run: cannot write the keys file: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            spec.commandLine().getErr().println("light-run: " + e.getMessage());
            return 1;
        }
    }

    /** The file's keys; an absent file has none. */
    private static List<ApiKey> existing(Path file) {
        return Files.exists(file) ? KeysFile.read(file) : List.of();
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a key; prints its new token once (only its SHA-256 is stored).")
    static final class Add implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        FileOption file;

        @Parameters(index = "0", paramLabel = "NAME", description = "The key's name: the owner of the runs it starts.")
        String name;

        @Option(names = "--scopes", required = true, split = ",",
                description = "Comma-separated: run, read, build, networks, admin.")
        List<String> scopes;

        @Option(names = "--max-concurrent", description = "Runs of this key at once.")
        Integer maxConcurrent;

        @Option(names = "--max-queued", description = "Runs of this key waiting at once (0: none may wait).")
        Integer maxQueued;

        @Option(names = "--runs-per-minute", description = "Submissions per minute.")
        Integer runsPerMinute;

        @Option(names = "--max-timeout-ms", description = "Longest timeout a run may ask for.")
        Long maxTimeoutMs;

        @Option(names = "--max-memory", description = "Most memory (MiB) a run may ask for.")
        Long maxMemory;

        @Option(names = "--max-cpus", description = "Most CPUs a run may ask for.")
        Double maxCpus;

        @Option(names = "--allowed-images", split = ",", description = "Image globs this key may run, e.g. 'python:3.*,local/*'.")
        List<String> allowedImages;

        @Override
        public Integer call() {
            return guarded(spec, () -> {
                Path path = file.required();
                if (!ApiKey.isValidName(name)) {
                    throw new Invalid("invalid NAME '" + name + "': use 1..64 of A-Z a-z 0-9 . _ - starting with a"
                            + " letter or digit");
                }
                List<ApiKey> keys = new ArrayList<>(existing(path));
                if (keys.stream().anyMatch(key -> key.name().equals(name))) {
                    throw new Invalid("a key named '" + name + "' is already in " + path
                            + "; remove it first to issue a new token");
                }
                String token = Tokens.newToken();
                keys.add(new ApiKey(name, Tokens.sha256(token), scopes(), quota()));
                KeysFile.write(path, keys);
                spec.commandLine().getErr().println("light-run: key '" + name + "' added to " + path
                        + "; its token follows, shown only this once");
                spec.commandLine().getOut().println(token);
                return 0;
            });
        }

        private Set<Scope> scopes() {
            Set<Scope> parsed = EnumSet.noneOf(Scope.class);
            for (String scope : scopes) {
                if (scope.isBlank()) {
                    continue;
                }
                try {
                    parsed.add(Scope.parse(scope));
                } catch (IllegalArgumentException e) {
                    throw new Invalid("invalid --scopes: " + e.getMessage());
                }
            }
            if (parsed.isEmpty()) {
                throw new Invalid("invalid --scopes: name at least one of run, read, build, networks, admin");
            }
            return parsed;
        }

        private Quota quota() {
            positive("--max-concurrent", maxConcurrent, 1);
            positive("--max-queued", maxQueued, 0);
            positive("--runs-per-minute", runsPerMinute, 1);
            positive("--max-timeout-ms", maxTimeoutMs, 1);
            positive("--max-memory", maxMemory, 1);
            if (maxCpus != null && !(maxCpus > 0 && maxCpus < Double.POSITIVE_INFINITY)) {
                throw new Invalid("invalid --max-cpus: must be a positive number, was " + maxCpus);
            }
            List<String> images = allowedImages == null ? null
                    : allowedImages.stream().map(String::trim).filter(image -> !image.isEmpty()).toList();
            if (images != null && images.isEmpty()) {
                throw new Invalid("invalid --allowed-images: name at least one image glob");
            }
            return new Quota(maxConcurrent, maxQueued, runsPerMinute,
                    maxTimeoutMs == null ? null : Duration.ofMillis(maxTimeoutMs), maxMemory, maxCpus, images);
        }

        private static void positive(String flag, Number value, long min) {
            if (value != null && (value.longValue() < min || value.longValue() > Integer.MAX_VALUE)) {
                throw new Invalid("invalid " + flag + ": must be a whole number >= " + min + ", was " + value);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the keys: name, scopes and quota (never a token or digest).")
    static final class ListKeys implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        FileOption file;

        @Override
        public Integer call() {
            return guarded(spec, () -> {
                Path path = file.required();
                if (!Files.exists(path)) {
                    throw new Invalid(path + ": no such file");
                }
                for (ApiKey key : KeysFile.read(path)) {
                    var quota = KeysFile.quotaJson(key.quota());
                    spec.commandLine().getOut().println(key.name() + "\t"
                            + key.sortedScopes().stream().map(Scope::json).collect(Collectors.joining(","))
                            + (quota.isEmpty() ? "" : "\t" + quota));
                }
                return 0;
            });
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a key; its token stops working.")
    static final class Remove implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        FileOption file;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            return guarded(spec, () -> {
                Path path = file.required();
                List<ApiKey> keys = existing(path);
                List<ApiKey> kept = keys.stream().filter(key -> !key.name().equals(name)).toList();
                if (kept.size() == keys.size()) {
                    throw new Invalid("no key named '" + name + "' in " + path);
                }
                KeysFile.write(path, kept);
                spec.commandLine().getErr().println("light-run: key '" + name + "' removed from " + path);
                return 0;
            });
        }
    }
}
