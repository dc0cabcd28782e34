package dev.mclease.testbed.etcd;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports.Binding;
import dev.mclease.testbed.util.Ports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * An etcd member in a Docker container (used only when there is no etcd binary but a Docker engine).
 * Its client port is bound to a fixed loopback host port so that the URL survives a stop/start.
 */
final class ContainerEtcdMember implements EtcdMember {

  private static final Logger LOG = LoggerFactory.getLogger(ContainerEtcdMember.class);
  static final String DEFAULT_IMAGE = "quay.io/coreos/etcd:v3.5.17";

  private final String name;
  private final int hostClientPort;
  private final GenericContainer<?> container;
  private boolean started;

  @SuppressWarnings("resource")
  ContainerEtcdMember(DockerImageName image, Network network, String name, String initialCluster, String token) {
    this.name = name;
    this.hostClientPort = Ports.free();
    this.container = new GenericContainer<>(image)
        .withNetwork(network)
        .withNetworkAliases(name)
        .withExposedPorts(2379)
        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
            .withPortBindings(new PortBinding(Binding.bindIpAndPort("127.0.0.1", hostClientPort),
                ExposedPort.tcp(2379))))
        .withCommand(command(name, hostClientPort, initialCluster, token))
        .waitingFor(Wait.forListeningPort().withStartupTimeout(Duration.ofSeconds(60)));
  }

  private static String[] command(String name, int hostClientPort, String initialCluster, String token) {
    List<String> cmd = new ArrayList<>(List.of("etcd",
            "--name", name,
            "--data-dir", "/etcd-data",
            "--listen-client-urls", "http://0.0.0.0:2379",
            "--advertise-client-urls", "http://127.0.0.1:" + hostClientPort,
            "--listen-peer-urls", "http://0.0.0.0:2380",
            "--initial-advertise-peer-urls", "http://" + name + ":2380",
            "--initial-cluster", initialCluster,
            "--initial-cluster-token", token,
            "--initial-cluster-state", "new"));
    cmd.addAll(EtcdProvider.LOCK_STORE_RAFT);
    return cmd.toArray(String[]::new);
  }

  @Override
  public String clientUrl() {
    return "http://127.0.0.1:" + hostClientPort;
  }

  @Override
  public synchronized void start() {
    if (!started) {
      container.start();
      started = true;
    } else {
      // Restart the same container: same data (container filesystem), same port binding.
      DockerClientFactory.instance().client().startContainerCmd(container.getContainerId()).exec();
    }
    LOG.info("etcd member {} (container) serves {}", name, clientUrl());
  }

  @Override
  public synchronized void stop() {
    if (isRunning()) {
      DockerClientFactory.instance().client().stopContainerCmd(container.getContainerId()).exec();
    }
  }

  @Override
  public synchronized void kill() {
    if (isRunning()) {
      DockerClientFactory.instance().client().killContainerCmd(container.getContainerId()).withSignal("KILL").exec();
    }
  }

  @Override
  public synchronized boolean isRunning() {
    if (!started) {
      return false;
    }
    var state = DockerClientFactory.instance().client().inspectContainerCmd(container.getContainerId()).exec()
        .getState();
    return Boolean.TRUE.equals(state.getRunning());
  }

  @Override
  public synchronized void destroy() {
    container.stop();
  }
}
