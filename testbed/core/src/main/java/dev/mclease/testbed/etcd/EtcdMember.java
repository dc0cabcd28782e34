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

  /** Stops the member if needed and frees its resources (data directory, container). */
  void destroy();
}
