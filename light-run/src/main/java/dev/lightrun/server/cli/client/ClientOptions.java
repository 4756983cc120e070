package dev.lightrun.server.cli.client;

import dev.lightrun.client.LightRunClient;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;

import java.net.URI;

/**
 * Where the server is: {@code --url}/{@code --token}, else {@code LIGHT_RUN_URL}/{@code LIGHT_RUN_TOKEN}; and
 * {@code --help}.
 */
final class ClientOptions {
    static final String URL_VARIABLE = "LIGHT_RUN_URL";
    static final String TOKEN_VARIABLE = "LIGHT_RUN_TOKEN";

    // The default is the client library's constant, so --help and the library cannot disagree.
    @Option(names = "--url", paramLabel = "URL",
            defaultValue = "${env:" + URL_VARIABLE + ":-" + LightRunClient.DEFAULT_URL_TEXT + "}",
            description = "The server (env " + URL_VARIABLE + ", default " + LightRunClient.DEFAULT_URL_TEXT + ").")
    URI url;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:" + TOKEN_VARIABLE + "}",
            showDefaultValue = Visibility.NEVER,
            description = "The server's bearer token (env " + TOKEN_VARIABLE + "; default none).")
    String token;

    // Not picocli's standard help mixin: its --version needs the server's version provider, which is no client's.
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    LightRunClient client() {
        return LightRunClient.builder().url(url).token(token).build();
    }
}
