package dev.mclease.controller.backend.gcs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import dev.mclease.controller.backend.BackendConfig;
import dev.mclease.controller.backend.BackendFactory;
import dev.mclease.controller.backend.GlobalLockBackend;
import dev.mclease.controller.backend.GlobalLockBackendConformance;
import dev.mclease.testbed.store.FakeGcsProvider;
import dev.mclease.testbed.store.FakeGcsServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The conformance suite against {@code fake-gcs-server}, an open-source Google Cloud Storage <em>emulator</em> (not
 * Google's service), run as a child process on loopback with its objects on disk (so that the kill-and-restart test
 * finds them again). Each test's objects live under its own prefix in one bucket.
 */
class GcsConformanceTest extends GlobalLockBackendConformance {

  static final String BUCKET = "mclease-conformance";

  private FakeGcsServer server;

  @Override
  protected void startServer() throws Exception {
    Optional<Path> binary = FakeGcsProvider.find();
    assumeTrue(binary.isPresent(), FakeGcsProvider.INSTALL_HINT + ": the GCS backend's conformance suite is skipped");
    server = FakeGcsServer.start(binary.get());
    createBucket(server, BUCKET);
  }

  /** The bucket the backend expects to exist. */
  static void createBucket(FakeGcsServer server, String bucket) throws Exception {
    try (Storage s = BackendFactory.gcsClient(config(server.endpoint(), "setup", Duration.ofSeconds(2),
        Duration.ofMillis(300)))) {
      s.create(BucketInfo.of(bucket));
    }
  }

  static BackendConfig config(String endpoint, String prefix, Duration ttl, Duration renew) {
    return BackendConfig.builder(BackendConfig.Kind.GCS).ttl(ttl).renewInterval(renew)
        .gcs(BUCKET, prefix, endpoint).build();
  }

  @Override
  protected void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected List<InetSocketAddress> serverAddresses() {
    return List.of(new InetSocketAddress("127.0.0.1", server.port()));
  }

  @Override
  protected GlobalLockBackend connect(List<InetSocketAddress> addresses, String scope, Duration ttl,
      Duration renew, LongSupplier nanoTime) {
    InetSocketAddress a = addresses.get(0);
    return BackendFactory.create(config("http://" + a.getHostString() + ":" + a.getPort(), scope, ttl, renew),
        nanoTime);
  }

  @Override
  protected void writeMalformed(String scope, String key, String raw) throws Exception {
    try (Storage s = BackendFactory.gcsClient(config(server.endpoint(), scope, TTL, RENEW))) {
      GcsObjects objects = new GcsObjects(s, BUCKET, scope);
      objects.write(objects.lockObject(key), Map.of(GcsLockStore.SESSION, "hand", GcsLockStore.TOKEN, "7",
          GcsLockStore.VALUE, raw), raw, 0);
    }
  }

  @Override
  protected void killAndRestartServer() {
    server.killAndRestart();
  }
}
