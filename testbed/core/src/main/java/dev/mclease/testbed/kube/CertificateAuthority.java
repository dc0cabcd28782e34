package dev.mclease.testbed.kube;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for one test cluster, FOR TESTS ONLY: it signs the API server's serving
 * certificate and the client certificates of its users, as envtest's TinyCA does.
 *
 * <p>Keys are ECDSA P-256: generating one takes a millisecond (an RSA 2048 key takes a hundred), and Go, the JDK
 * and fabric8 all read them. BouncyCastle only builds the certificates; the JDK's own providers make and sign.
 */
public final class CertificateAuthority {

  /** Long enough for a shared cluster that lives as long as a long test run or demo, short enough to be no use. */
  static final Duration VALIDITY = Duration.ofDays(30);
  private static final String SIGNATURE = "SHA256withECDSA";

  private final KeyAndCert ca;
  private final AtomicLong serial = new AtomicLong(2);

  private CertificateAuthority(KeyAndCert ca) {
    this.ca = ca;
  }

  /** A new self-signed CA named {@code commonName}. */
  public static CertificateAuthority create(String commonName) {
    KeyPair keys = newKeyPair();
    X500Name subject = name(commonName, List.of("mclease-testbed"));
    try {
      X509v3CertificateBuilder b = builder(subject, BigInteger.ONE, subject, keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign
          | KeyUsage.digitalSignature));
      b.addExtension(Extension.subjectKeyIdentifier, false,
          new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
      return new CertificateAuthority(new KeyAndCert(keys.getPrivate(), sign(b, keys.getPrivate())));
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("Cannot create the test CA " + commonName, e);
    }
  }

  /** The CA's own key and self-signed certificate. */
  public KeyAndCert ca() {
    return ca;
  }

  /**
   * A TLS server certificate for {@code dnsNames} and {@code ipAddresses} (its subject alternative names; TLS
   * clients check those, not the common name).
   */
  public KeyAndCert issueServing(String commonName, List<String> dnsNames, List<String> ipAddresses) {
    List<GeneralName> sans = new ArrayList<>();
    dnsNames.forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
    ipAddresses.forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
    return issue(commonName, List.of("mclease-testbed"), KeyPurposeId.id_kp_serverAuth,
        new GeneralNames(sans.toArray(GeneralName[]::new)));
  }

  /**
   * A client certificate for Kubernetes' x509 authenticator: the common name is the user name, each organization a
   * group ({@code system:masters} makes an admin that RBAC never refuses).
   */
  public KeyAndCert issueClient(String user, List<String> groups) {
    return issue(user, groups, KeyPurposeId.id_kp_clientAuth, null);
  }

  private KeyAndCert issue(String commonName, List<String> organizations, KeyPurposeId usage, GeneralNames sans) {
    KeyPair keys = newKeyPair();
    try {
      X509v3CertificateBuilder b = builder(
          // The issuer must equal the CA's subject byte for byte: Go chains certificates by the raw names.
          X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded()),
          BigInteger.valueOf(serial.getAndIncrement()), name(commonName, organizations), keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usage));
      b.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.cert()));
      if (sans != null) {
        b.addExtension(Extension.subjectAlternativeName, false, sans);
      }
      return new KeyAndCert(keys.getPrivate(), sign(b, ca.key()));
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("Cannot issue a test certificate for " + commonName, e);
    }
  }

  /** A fresh ECDSA P-256 key pair (also used for the service-account token signing key). */
  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("This JDK cannot generate EC P-256 keys", e);
    }
  }

  private static X500Name name(String commonName, List<String> organizations) {
    X500NameBuilder n = new X500NameBuilder(BCStyle.INSTANCE);
    organizations.forEach(o -> n.addRDN(BCStyle.O, o));
    n.addRDN(BCStyle.CN, commonName);
    return n.build();
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, BigInteger serial, X500Name subject,
      PublicKey key) {
    // Backdated a little so that a certificate is valid at once even for a verifier whose clock is behind.
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, serial, Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(VALIDITY)), subject, key);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      ContentSigner s = new JcaContentSignerBuilder(SIGNATURE).build(signer);
      return new JcaX509CertificateConverter().getCertificate(b.build(s));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("Cannot sign with " + SIGNATURE, e);
    }
  }
}
