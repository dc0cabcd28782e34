package dev.mclease.testbed.kube;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** A private key and the certificate for its public key, as issued by a {@link CertificateAuthority}. */
public record KeyAndCert(PrivateKey key, X509Certificate cert) {

  /** The certificate as PEM. */
  public String certPem() {
    return Pem.certificate(cert);
  }

  /** The private key as PEM ({@code EC PRIVATE KEY}, which Go, kubectl and fabric8 all read). */
  public String keyPem() {
    return Pem.privateKey(key);
  }
}
