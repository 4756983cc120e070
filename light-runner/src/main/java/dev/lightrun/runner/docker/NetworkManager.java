package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateNetworkCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Network;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.NetworkInfo;
import dev.lightrun.runner.NetworkSpec;
import dev.lightrun.runner.RunnerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Creates, lists and removes our networks, and owns the default isolated bridge that runs join unless told otherwise:
 * created once on first use (labelled, reused), with inter-container communication disabled.
 */
final class NetworkManager {
    private static final Logger log = LoggerFactory.getLogger(NetworkManager.class);
    private static final String ICC_OPTION = "com.docker.network.bridge.enable_icc";

    private final DockerClient docker;
    private final String defaultNetwork;
    private final ReentrantLock defaultLock = new ReentrantLock();
    private volatile boolean defaultReady;

    NetworkManager(DockerClient docker, String defaultNetwork) {
        this.docker = docker;
        this.defaultNetwork = defaultNetwork;
    }

    String defaultNetwork() {
        return defaultNetwork;
    }

    /** Makes sure the default isolated network exists; cheap after the first call. */
    String ensureDefault() {
        if (defaultReady) {
            return defaultNetwork;
        }
        defaultLock.lock();
        try {
            if (!defaultReady) {
                try {
                    docker.inspectNetworkCmd().withNetworkId(defaultNetwork).exec();
                } catch (NotFoundException absent) {
                    createDefault();
                }
                defaultReady = true;
            }
            return defaultNetwork;
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "preparing the default network " + defaultNetwork, ErrorCode.START_FAILED);
        } finally {
            defaultLock.unlock();
        }
    }

    /** Forget that the default network exists, e.g. after someone removed it behind our back. */
    void defaultMissing() {
        defaultReady = false;
    }

    private void createDefault() {
        try {
            docker.createNetworkCmd()
                    .withName(defaultNetwork)
                    .withDriver("bridge")
                    .withCheckDuplicate(true)
                    .withOptions(Map.of(ICC_OPTION, "false"))
                    .withLabels(Labels.of(Map.of(), Labels.KIND_DEFAULT_NETWORK, null))
                    .exec();
            log.info("network {} - created (bridge, inter-container traffic disabled)", defaultNetwork);
        } catch (ConflictException alreadyThere) {
            // Another process created it between our inspect and create: fine, it is the same network.
        }
    }

    NetworkInfo create(NetworkSpec spec) {
        CreateNetworkCmd cmd = docker.createNetworkCmd()
                .withName(spec.name())
                .withDriver("bridge")
                .withCheckDuplicate(true)
                .withInternal(spec.internal())
                .withOptions(Map.of(ICC_OPTION, String.valueOf(spec.iccEnabled())))
                .withLabels(Labels.of(spec.labels(), Labels.KIND_NETWORK, null));
        if (spec.subnet() != null) {
            Network.Ipam.Config config = new Network.Ipam.Config().withSubnet(spec.subnet());
            if (spec.gateway() != null) {
                config.withGateway(spec.gateway());
            }
            if (spec.ipRange() != null) {
                config.withIpRange(spec.ipRange());
            }
            cmd.withIpam(new Network.Ipam().withConfig(config));
        }
        try {
            cmd.exec();
        } catch (ConflictException e) {
            throw new RunnerException(ErrorCode.CONFLICT, "network " + spec.name() + " already exists", e);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "creating network " + spec.name(), ErrorCode.DOCKER_ERROR);
        }
        log.info("network {} - created", spec.name());
        return inspect(spec.name());
    }

    NetworkInfo inspect(String name) {
        try {
            Network network = docker.inspectNetworkCmd().withNetworkId(name).exec();
            if (!isOurs(network)) {
                throw new RunnerException(ErrorCode.NOT_FOUND, "network " + name + " was not created by light-run");
            }
            return toInfo(network);
        } catch (NotFoundException e) {
            throw new RunnerException(ErrorCode.NOT_FOUND, "network " + name + " does not exist", e);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "inspecting network " + name, ErrorCode.DOCKER_ERROR);
        }
    }

    List<NetworkInfo> list() {
        try {
            // The list call leaves out attached containers; inspect tells them (our networks are few).
            return docker.listNetworksCmd().withFilter("label", List.of(Labels.managedFilter())).exec().stream()
                    .map(n -> {
                        try {
                            return toInfo(docker.inspectNetworkCmd().withNetworkId(n.getId()).exec());
                        } catch (NotFoundException removedMeanwhile) {
                            return null;
                        }
                    })
                    .filter(Objects::nonNull)
                    .toList();
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "listing networks", ErrorCode.DOCKER_ERROR);
        }
    }

    void remove(String name) {
        NetworkInfo network = inspect(name);
        if (!network.containers().isEmpty()) {
            throw new RunnerException(ErrorCode.CONFLICT,
                    "network " + name + " is in use by " + network.containers().size() + " container(s)");
        }
        try {
            docker.removeNetworkCmd(network.id()).exec();
        } catch (NotFoundException e) {
            throw new RunnerException(ErrorCode.NOT_FOUND, "network " + name + " does not exist", e);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "removing network " + name, ErrorCode.DOCKER_ERROR);
        }
        if (name.equals(defaultNetwork)) {
            defaultMissing();
        }
        log.info("network {} - removed", name);
    }

    private static boolean isOurs(Network network) {
        return network.getLabels() != null && "true".equals(network.getLabels().get(Labels.MANAGED));
    }

    static NetworkInfo toInfo(Network network) {
        Map<String, String> options = network.getOptions() == null ? Map.of() : network.getOptions();
        Network.Ipam.Config ipam = network.getIpam() == null || network.getIpam().getConfig() == null
                || network.getIpam().getConfig().isEmpty() ? null : network.getIpam().getConfig().getFirst();
        Instant created = network.getCreated() == null ? null : network.getCreated().toInstant();
        return new NetworkInfo(network.getId(), network.getName(), network.getDriver(),
                !"false".equals(options.get(ICC_OPTION)), Boolean.TRUE.equals(network.getInternal()), created,
                network.getLabels() == null ? Map.of() : network.getLabels(),
                ipam == null ? null : ipam.getSubnet(), ipam == null ? null : ipam.getGateway(),
                network.getContainers() == null ? List.of() : List.copyOf(network.getContainers().keySet()));
    }
}
