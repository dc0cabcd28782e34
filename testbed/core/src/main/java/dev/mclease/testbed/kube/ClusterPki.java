package dev.mclease.testbed.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Every key and certificate one kube-apiserver needs, generated in Java and written to its directory:
 *
 * <ul>
 *   <li>{@code ca.crt} — one CA per cluster, trusted for serving and for client certificates
 *       ({@code --client-ca-file}), so clusters never trust each other's users;</li>
 *   <li>{@code apiserver.crt}/{@code .key} — the serving certificate for 127.0.0.1 and localhost;</li>
 *   <li>{@code sa.key}/{@code sa.pub} — the key pair that signs and verifies service-account tokens;</li>
 *   <li>the admin user's client certificate ({@code CN=mclease-admin, O=system:masters}), kept in memory for the
 *       kubeconfig and the readiness probe.</li>
 * </ul>
 * Made once per cluster and kept across restarts, so clients built before a restart still trust the server.
 */
public final class ClusterPki {

  /** The admin user; in {@code system:masters}, which RBAC never refuses. */
  public static final String ADMIN_USER = "mclease-admin";

  private final Path dir;
  private final CertificateAuthority ca;
  private final KeyAndCert serving;
  private final KeyAndCert admin;

  private ClusterPki(Path dir, CertificateAuthority ca, KeyAndCert serving, KeyAndCert admin) {
    this.dir = dir;
    this.ca = ca;
    this.serving = serving;
    this.admin = admin;
  }

  /** Generates the keys and certificates of cluster {@code name} and writes the server's files into {@code dir}. */
  public static ClusterPki create(String name, Path dir) {
    CertificateAuthority ca = CertificateAuthority.create("mclease-testbed-" + name + "-ca");
    KeyAndCert serving = ca.issueServing("kube-apiserver", List.of("localhost"), List.of("127.0.0.1"));
    KeyAndCert admin = ca.issueClient(ADMIN_USER, List.of("system:masters"));
    KeyPair sa = CertificateAuthority.newKeyPair();
    ClusterPki pki = new ClusterPki(dir, ca, serving, admin);
    try {
      Files.createDirectories(dir);
      write(pki.caFile(), ca.ca().certPem());
      write(pki.servingCertFile(), serving.certPem());
      write(pki.servingKeyFile(), serving.keyPem());
      write(pki.serviceAccountKeyFile(), Pem.privateKey(sa.getPrivate()));
      write(pki.serviceAccountPublicKeyFile(), Pem.publicKey(sa.getPublic()));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the certificates of cluster " + name + " under " + dir, e);
    }
    return pki;
  }

  private static void write(Path file, String pem) throws IOException {
    Files.writeString(file, pem, StandardCharsets.US_ASCII);
  }

  public Path caFile() {
    return dir.resolve("ca.crt");
  }

  public Path servingCertFile() {
    return dir.resolve("apiserver.crt");
  }

  public Path servingKeyFile() {
    return dir.resolve("apiserver.key");
  }

  /** {@code --service-account-signing-key-file}. */
  public Path serviceAccountKeyFile() {
    return dir.resolve("sa.key");
  }

  /** {@code --service-account-key-file}. */
  public Path serviceAccountPublicKeyFile() {
    return dir.resolve("sa.pub");
  }

  /** The CA certificate as PEM (what clients trust). */
  public String caPem() {
    return ca.ca().certPem();
  }

  /** The admin's client certificate and key. */
  public KeyAndCert admin() {
    return admin;
  }

  /** The cluster's CA, to issue more client certificates (other users and groups). */
  public CertificateAuthority ca() {
    return ca;
  }

  /** A JDK TLS context that trusts this cluster's CA and presents the admin's client certificate. */
  public SSLContext adminSslContext() {
    try {
      char[] password = new char[0];
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("admin", admin.key(), password, new Certificate[] {admin.cert()});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password);
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca.ca().cert());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
      return ctx;
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new IllegalStateException("Cannot build a TLS context for " + dir, e);
    }
  }
}
