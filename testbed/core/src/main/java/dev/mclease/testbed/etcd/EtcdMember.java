package dev.mclease.testbed.etcd;

/** One etcd member that an {@link EtcdCluster} can stop, kill and start again. */
interface EtcdMember {

  /** Client URL, {@code http://127.0.0.1:PORT}; stable across restarts. */
  String clientUrl();

  /** Starts the member (first time or again with the same data and ports); returns once it listens. */
  void start();

  /** Graceful stop (SIGTERM); returns once it has exited. */
  void stop();

  /** Abrupt stop (SIGKILL); returns once it has exited. */
  void kill();

  boolean isRunning();

  /** SIGSTOP: the member stops answering but keeps its connections (its peers elect another leader). */
  default void freeze() {
    throw new UnsupportedOperationException("etcd member " + clientUrl() + " cannot be frozen: not a child process");
  }

  /** SIGCONT after {@link #freeze()}. */
  default void thaw() {
    throw new UnsupportedOperationException("etcd member " + clientUrl() + " cannot be thawed: not a child process");
  }

  /** Stops the member if needed and frees its resources (data directory, container). */
  void destroy();
}
