package dev.mclease.testbed.etcd;

import dev.mclease.testbed.util.TempDirs;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running etcd cluster of one or more members, whose members a test can stop, kill and start again.
 * Created by {@link EtcdProvider}; closing it stops every member and deletes the data it created.
 */
public final class EtcdCluster implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdCluster.class);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private final List<EtcdMember> members;
  private final Path baseDir;
  private final Runnable onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  EtcdCluster(List<EtcdMember> members, Path baseDir, Runnable onClose) {
    this.members = List.copyOf(members);
    this.baseDir = baseDir;
    this.onClose = onClose;
  }

  /** Client URLs, {@code http://127.0.0.1:PORT}, one per member, in member order. Stable across restarts. */
  public List<String> endpoints() {
    return members.stream().map(EtcdMember::clientUrl).collect(Collectors.toList());
  }

  /** Number of members. */
  public int size() {
    return members.size();
  }

  /** Stops member {@code i} with SIGTERM and waits until it has exited. */
  public void stopMember(int i) {
    member(i).stop();
  }

  /** Kills member {@code i} with SIGKILL and waits until it has exited. */
  public void killMember(int i) {
    member(i).kill();
  }

  /**
   * Starts member {@code i} again with its data and ports; returns once it listens. It serves requests once
   * it is back in a quorum: use {@link #awaitHealthy(Duration)} to wait for that.
   */
  public void startMember(int i) {
    member(i).start();
  }

  /** Freezes member {@code i} with SIGSTOP (child processes only): it hangs with its connections open. */
  public void freezeMember(int i) {
    member(i).freeze();
  }

  /** Thaws member {@code i} with SIGCONT after {@link #freezeMember}. */
  public void thawMember(int i) {
    member(i).thaw();
  }

  /** Whether member {@code i}'s process (or container) is running. */
  public boolean isRunning(int i) {
    return member(i).isRunning();
  }

  /** Whether member {@code i} answers {@code GET /health} with {@code "health":"true"} (it has a leader). */
  public boolean isHealthy(int i) {
    return healthy(member(i).clientUrl());
  }

  /**
   * Waits until every running member reports healthy.
   *
   * @throws IllegalStateException with the unhealthy members after {@code timeout}
   */
  public void awaitHealthy(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<EtcdMember> unhealthy = members.stream().filter(EtcdMember::isRunning)
          .filter(m -> !healthy(m.clientUrl())).collect(Collectors.toList());
      if (unhealthy.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("etcd members " + unhealthy + " not healthy after " + timeout.toMillis()
            + " ms" + (baseDir == null ? "" : ": see the etcd.log files under " + baseDir));
      }
      try {
        // Polling an external process: nothing to wait on but time.
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for etcd", e);
      }
    }
  }

  /** The directory holding the members' data and logs, or null for external or container members. */
  public Path baseDir() {
    return baseDir;
  }

  /** Stops every member and deletes the data directories this testbed created. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (EtcdMember m : members) {
      try {
        m.destroy();
      } catch (RuntimeException e) {
        LOG.warn("Could not stop etcd member {}", m, e);
      }
    }
    if (baseDir != null) {
      TempDirs.deleteRecursively(baseDir);
    }
    onClose.run();
  }

  private EtcdMember member(int i) {
    if (i < 0 || i >= members.size()) {
      throw new IndexOutOfBoundsException("etcd member " + i + " does not exist: the cluster has " + members.size()
          + " members, numbered from 0");
    }
    return members.get(i);
  }

  static boolean healthy(String clientUrl) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(clientUrl + "/health"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public String toString() {
    return "EtcdCluster" + endpoints();
  }
}
