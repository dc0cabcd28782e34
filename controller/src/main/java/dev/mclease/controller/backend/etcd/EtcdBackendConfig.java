package dev.mclease.controller.backend.etcd;

import dev.mclease.controller.backend.BackendConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link EtcdLockStore} reaches etcd and keeps its session. Immutable; build with {@link #builder}.
 */
public final class EtcdBackendConfig {

  /** Default key prefix (protocol.md): keys are {@code /mclease/leases/<ns>/<name>}. */
  public static final String DEFAULT_KEY_PREFIX = "/mclease/leases";

  private final List<String> endpoints;
  private final Duration ttl;
  private final Duration renewInterval;
  private final Duration requestTimeout;
  private final String keyPrefix;
  private final Path caFile;
  private final Path certFile;
  private final Path keyFile;

  private EtcdBackendConfig(Builder b) {
    this.endpoints = List.copyOf(b.endpoints);
    this.ttl = b.ttl;
    this.renewInterval = b.renewInterval;
    this.requestTimeout = b.requestTimeout != null ? b.requestTimeout : defaultRequestTimeout(b.ttl, b.renewInterval);
    this.keyPrefix = b.keyPrefix;
    this.caFile = b.caFile;
    this.certFile = b.certFile;
    this.keyFile = b.keyFile;
    validate();
  }

  private static Duration defaultRequestTimeout(Duration ttl, Duration renew) {
    // Long enough for a loaded etcd, short enough that a hung call never outlives a renewal cycle by much.
    Duration d = renew.multipliedBy(2);
    Duration min = Duration.ofMillis(500);
    Duration max = ttl.dividedBy(2);
    return d.compareTo(min) < 0 ? min : (d.compareTo(max) > 0 ? max : d);
  }

  public static Builder builder(List<String> endpoints) {
    return new Builder(endpoints);
  }

  private void validate() {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("etcd endpoints are empty: give at least one, e.g. http://127.0.0.1:2379");
    }
    if (ttl.isNegative() || ttl.isZero() || ttl.toNanos() % 1_000_000_000L != 0) {
      throw new IllegalArgumentException("etcd lease TTL must be a positive whole number of seconds (etcd TTLs are"
          + " whole seconds), got " + ttl);
    }
    if (renewInterval.isNegative() || renewInterval.isZero() || renewInterval.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("renew interval " + renewInterval + " must be > 0 and < TTL " + ttl);
    }
    boolean anyTls = caFile != null || certFile != null || keyFile != null;
    if (anyTls && caFile == null) {
      throw new IllegalArgumentException("etcd TLS: a client certificate or key was given without a CA file");
    }
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException("etcd TLS: give both the client certificate and its key, or neither");
    }
  }

  /** etcd client URLs, e.g. {@code https://etcd-0.example:2379}. Required. */
  public List<String> endpoints() {
    return endpoints;
  }

  /** G: TTL of the session's etcd lease; whole seconds. Default 20 s. */
  public Duration ttl() {
    return ttl;
  }

  /** K: how often the session lease is renewed with keepAliveOnce. Default 2 s. */
  public Duration renewInterval() {
    return renewInterval;
  }

  /** Upper bound of every etcd call. Default 2·K clamped to [0.5 s, G/2]. */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** Prefix of every key. Default {@value #DEFAULT_KEY_PREFIX}. */
  public String keyPrefix() {
    return keyPrefix;
  }

  /** PEM CA bundle that signed etcd's server certificate; empty = plain text. Default empty. */
  public Optional<Path> caFile() {
    return Optional.ofNullable(caFile);
  }

  /** PEM client certificate for mutual TLS. Default none. */
  public Optional<Path> certFile() {
    return Optional.ofNullable(certFile);
  }

  /** PEM PKCS#8 private key of {@link #certFile()}. Default none. */
  public Optional<Path> keyFile() {
    return Optional.ofNullable(keyFile);
  }

  @Override
  public String toString() {
    return "EtcdBackendConfig{endpoints=" + endpoints + ", ttl=" + ttl + ", renewInterval=" + renewInterval
        + ", requestTimeout=" + requestTimeout + ", keyPrefix=" + keyPrefix + ", tls=" + (caFile != null) + "}";
  }

  public static final class Builder {
    private final List<String> endpoints;
    private Duration ttl = BackendConfig.DEFAULT_TTL;
    private Duration renewInterval = Duration.ofSeconds(2);
    private Duration requestTimeout;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private Path caFile;
    private Path certFile;
    private Path keyFile;

    private Builder(List<String> endpoints) {
      this.endpoints = List.copyOf(Objects.requireNonNull(endpoints, "endpoints"));
    }

    public Builder ttl(Duration ttl) {
      this.ttl = Objects.requireNonNull(ttl);
      return this;
    }

    public Builder renewInterval(Duration renewInterval) {
      this.renewInterval = Objects.requireNonNull(renewInterval);
      return this;
    }

    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
      return this;
    }

    public Builder keyPrefix(String keyPrefix) {
      String p = Objects.requireNonNull(keyPrefix);
      this.keyPrefix = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
      return this;
    }

    public Builder tls(Path caFile, Path certFile, Path keyFile) {
      this.caFile = caFile;
      this.certFile = certFile;
      this.keyFile = keyFile;
      return this;
    }

    public EtcdBackendConfig build() {
      return new EtcdBackendConfig(this);
    }
  }
}
