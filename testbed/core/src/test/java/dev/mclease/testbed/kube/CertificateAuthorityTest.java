package dev.mclease.testbed.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The testbed's certificates carry what Go's TLS stack and Kubernetes' x509 authenticator check. */
class CertificateAuthorityTest {

  @TempDir
  Path tmp;

  @Test
  void servingAndClientCertificatesChainToTheCa() throws Exception {
    ClusterPki pki = ClusterPki.create("east", tmp);
    X509Certificate ca = pki.ca().ca().cert();
    assertThat(ca.getBasicConstraints()).as("a CA").isGreaterThanOrEqualTo(0);

    X509Certificate admin = pki.admin().cert();
    admin.verify(ca.getPublicKey());
    assertThat(admin.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
    assertThat(admin.getSubjectX500Principal().getName()).contains("CN=mclease-admin").contains("O=system:masters");
    assertThat(admin.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");

    KeyAndCert serving = pki.ca().issueServing("kube-apiserver", List.of("localhost"), List.of("127.0.0.1"));
    serving.cert().verify(ca.getPublicKey());
    assertThat(serving.cert().getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))))
        .containsExactlyInAnyOrder("localhost", "127.0.0.1");
    assertThat(serving.keyPem()).startsWith("-----BEGIN EC PRIVATE KEY-----");
    assertThat(pki.caFile()).exists();
    assertThat(pki.serviceAccountKeyFile()).exists();
    assertThat(pki.serviceAccountPublicKeyFile()).content().startsWith("-----BEGIN PUBLIC KEY-----");
    assertThat(pki.adminSslContext()).isNotNull();
  }
}
