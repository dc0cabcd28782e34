package dev.mclease.testbed.kube;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;

/** PEM text of keys and certificates, and the base64 form kubeconfig's {@code *-data} fields want. */
public final class Pem {

  private Pem() {
  }

  /** {@code -----BEGIN CERTIFICATE-----}. */
  public static String certificate(X509Certificate cert) {
    return write(cert);
  }

  /**
   * A private key as PEM; an EC key in SEC 1 form ({@code EC PRIVATE KEY}) with its curve named inside, which Go
   * (kube-apiserver, kubectl), OpenSSL and fabric8 all read. (The JDK's PKCS#8 encoding names the curve only in the
   * outer wrapper; unwrapped as is, Go refuses it.)
   */
  public static String privateKey(PrivateKey key) {
    if (!(key instanceof ECPrivateKey ec)) {
      return write(key);
    }
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
      ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
      byte[] der = new org.bouncycastle.asn1.sec.ECPrivateKey(ec.getParams().getOrder().bitLength(), ec.getS(), curve)
          .getEncoded();
      return write(new PemObject("EC PRIVATE KEY", der));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode an EC private key", e);
    }
  }

  /** {@code -----BEGIN PUBLIC KEY-----} (the service-account verification key). */
  public static String publicKey(Key key) {
    return write(key);
  }

  /** Base64 of the PEM text, for {@code certificate-authority-data} and the like. */
  public static String base64(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
  }

  private static String write(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write PEM", e);
    }
    return out.toString();
  }
}
