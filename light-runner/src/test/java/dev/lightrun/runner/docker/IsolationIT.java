package dev.lightrun.runner.docker;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.Hardening;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.NetworkChoice;
import dev.lightrun.runner.NetworkInfo;
import dev.lightrun.runner.NetworkSpec;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.docker.DockerTestSupport.CapturingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** What a workload cannot do: reach other containers, use dropped capabilities, gain privileges; and gVisor. */
class IsolationIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    private static final Pattern IP = Pattern.compile("^(\\d+\\.\\d+\\.\\d+\\.\\d+)\\s*$", Pattern.MULTILINE);
    private static final String SERVED = "served-by-A";
    private static final String FETCH = "timeout 3 wget -q -O- http://%s:8080/x.txt && echo ' reached' || echo blocked";

    /** A run serving {@code x.txt} over HTTP on port 8080, with the IP it printed. */
    private record Server(Execution execution, String ip) {
    }

    private static Server startServer(NetworkChoice network) {
        CapturingSink sink = new CapturingSink();
        Execution execution = docker.runner().start(docker.busybox("hostname -i; exec httpd -f -p 8080 -h /app")
                .file("x.txt", SERVED).network(network).logSink(sink).build());
        String ip = await("the server's IP in its logs").atMost(Duration.ofSeconds(15))
                .until(() -> {
                    Matcher m = IP.matcher(sink.stdout());
                    return m.find() ? m.group(1) : null;
                }, found -> found != null);
        return new Server(execution, ip);
    }

    private static RunResult stopServer(Server server) throws InterruptedException {
        server.execution().cancel();
        return server.execution().await(Duration.ofSeconds(10)).orElseThrow();
    }

    /** Fetches x.txt from the host: the server is up, so a blocked fetch is the network's doing. */
    private static String fetchFromHost(String ip) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()) {
            return await("the server answering the host").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":8080/x.txt"))
                            .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString()).body(),
                            body -> body != null && !body.isEmpty());
        }
    }

    @Test
    void networkNoneHasOnlyLoopbackAndReachesNoOtherContainer() throws Exception {
        Server server = startServer(NetworkChoice.isolated());
        try {
            assertThat(fetchFromHost(server.ip())).isEqualTo(SERVED);

            RunResult result = docker.runner().run(docker.busybox(
                            "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; " + FETCH.formatted(server.ip()))
                    .network(NetworkChoice.none()).build());

            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(result.stdout()).isEqualTo("lo\nblocked\n");
        } finally {
            stopServer(server);
        }
    }

    @Test
    void isolatedNetworkBlocksContainerToContainerTrafficWhileAnIccNetworkAllowsIt() throws Exception {
        Server isolated = startServer(NetworkChoice.isolated());
        try {
            assertThat(fetchFromHost(isolated.ip())).isEqualTo(SERVED);

            RunResult blocked = docker.runner().run(docker.busybox(FETCH.formatted(isolated.ip())).build());

            assertThat(blocked.status()).as(describe(blocked)).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(blocked.stdout()).isEqualTo("blocked\n");
        } finally {
            stopServer(isolated);
        }

        String name = docker.networkName("lr-test-icc-");
        NetworkInfo created = docker.runner().createNetwork(NetworkSpec.named(name, true));
        assertThat(created.name()).isEqualTo(name);
        assertThat(created.iccEnabled()).isTrue();
        assertThat(docker.runner().listNetworks()).extracting(NetworkInfo::name).contains(name);

        Server shared = startServer(NetworkChoice.named(name));
        try {
            RunResult reached = docker.runner().run(docker.busybox(FETCH.formatted(shared.ip()))
                    .network(NetworkChoice.named(name)).build());

            assertThat(reached.status()).as(describe(reached)).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(reached.stdout()).isEqualTo(SERVED + " reached\n");
            assertThatThrownBy(() -> docker.runner().removeNetwork(name)).as("removing a network in use")
                    .isInstanceOfSatisfying(RunnerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        } finally {
            stopServer(shared);
        }

        docker.runner().removeNetwork(name);
        assertThatThrownBy(() -> docker.runner().network(name))
                .isInstanceOfSatisfying(RunnerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(docker.runner().listNetworks()).extracting(NetworkInfo::name).doesNotContain(name);
        assertThatThrownBy(() -> docker.client().inspectNetworkCmd().withNetworkId(name).exec())
                .isInstanceOf(com.github.dockerjava.api.exception.NotFoundException.class);
    }

    @Test
    void runOnTwoNamedNetworksReachesAServerOnTheSecond() throws Exception {
        String first = docker.networkName("lr-test-a-");
        String second = docker.networkName("lr-test-b-");
        docker.runner().createNetwork(NetworkSpec.named(first, true));
        docker.runner().createNetwork(NetworkSpec.named(second, true));
        Server server = startServer(NetworkChoice.named(second));
        try {
            RunResult result = docker.runner().run(docker.busybox(
                            "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort; " + FETCH.formatted(server.ip()))
                    .network(NetworkChoice.named(first, second)).build());

            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(result.stdout()).isEqualTo("eth0\neth1\nlo\n" + SERVED + " reached\n");
        } finally {
            stopServer(server);
        }
        docker.runner().removeNetwork(first);
        docker.runner().removeNetwork(second);
        assertThat(docker.runner().listNetworks()).extracting(NetworkInfo::name).doesNotContain(first, second);
    }

    @Test
    void defaultHardeningDropsMknodAndNetRaw() throws Exception {
        RunResult result = docker.runner().run(docker.busybox(
                "mknod /tmp/x c 1 3 && echo mknod-ok || echo mknod-refused;"
                        + " ping -c1 -W1 127.0.0.1 >/dev/null 2>&1 && echo ping-ok || echo ping-refused").build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("mknod-refused\nping-refused\n");
        assertThat(result.stderr()).contains("Operation not permitted");
    }

    @Test
    void emptyCapDropAllowsMknodAndPing() throws Exception {
        RunResult result = docker.runner().run(docker.busybox(
                        "mknod /tmp/x c 1 3 && echo mknod-ok || echo mknod-refused;"
                                + " ping -c1 -W1 127.0.0.1 >/dev/null 2>&1 && echo ping-ok || echo ping-refused")
                .hardening(Hardening.DEFAULTS.withCapDrop(Set.of())).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("mknod-ok\nping-ok\n");
    }

    @Test
    void noNewPrivilegesIsOnByDefault() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("grep NoNewPrivs /proc/self/status").build());

        assertThat(result.stdout()).isEqualTo("NoNewPrivs:\t1\n");
    }

    @Test
    void noNewPrivilegesCanBeTurnedOff() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("grep NoNewPrivs /proc/self/status")
                .hardening(Hardening.DEFAULTS.withNoNewPrivileges(false)).build());

        assertThat(result.stdout()).isEqualTo("NoNewPrivs:\t0\n");
    }

    @Test
    void hostNetworkIsRefusedUnlessAllowed() {
        assertThatThrownBy(() -> docker.busybox("true").network(NetworkChoice.named("host")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("allowHostNetworks");
    }

    @Test
    void gvisorRuntimeShowsItsOwnKernel() throws Exception {
        assertThat(docker.runner().runtimes()).contains("runsc");

        RunResult result = docker.runner().run(docker.busybox("uname -r").runtime("runsc")
                .network(NetworkChoice.none()).limits(Limits.DEFAULTS.withPids(256)).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("4.4.0\n");
    }

    @Test
    void unknownRuntimeFailsToStart() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("true").runtime("no-such-runtime").build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.START_FAILED);
        assertThat(result.exitCode()).isNull();
    }
}
