package dev.mclease.testbed.etcd;

/** An etcd endpoint someone else runs: usable, but not ours to stop or start. */
final class ExternalEtcdMember implements EtcdMember {

  private final String url;

  ExternalEtcdMember(String url) {
    this.url = url;
  }

  @Override
  public String clientUrl() {
    return url;
  }

  @Override
  public void start() {
    throw unsupported();
  }

  @Override
  public void stop() {
    throw unsupported();
  }

  @Override
  public void kill() {
    throw unsupported();
  }

  @Override
  public boolean isRunning() {
    return true;
  }

  @Override
  public void destroy() {
    // Not ours.
  }

  private UnsupportedOperationException unsupported() {
    return new UnsupportedOperationException("etcd at " + url + " is external (MCL_ETCD_ENDPOINTS): the testbed "
        + "cannot stop or start it; unset MCL_ETCD_ENDPOINTS to let the testbed run etcd itself");
  }
}
