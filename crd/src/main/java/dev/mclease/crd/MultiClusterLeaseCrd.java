package dev.mclease.crd;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The CustomResourceDefinition generated at build time from {@link MultiClusterLease}. */
public final class MultiClusterLeaseCrd {

  /** Classpath location where the fabric8 CRD generator writes the v1 CRD. */
  public static final String RESOURCE = "/META-INF/fabric8/" + MultiClusterLease.CRD_NAME + "-v1.yml";

  private MultiClusterLeaseCrd() {
  }

  /** The generated CRD YAML, exactly as packaged. */
  public static String yaml() {
    try (InputStream in = MultiClusterLeaseCrd.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("CRD " + RESOURCE + " is not on the classpath: build the crd module "
            + "with Maven so that the fabric8 CRD generator runs");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The generated CRD as an object, ready to create in a cluster. */
  public static CustomResourceDefinition definition() {
    return Serialization.unmarshal(yaml(), CustomResourceDefinition.class);
  }
}
