package dev.mclease.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A lease that one candidate in a whole fleet of clusters holds at a time.
 *
 * <p>The same namespace/name exists in every participating cluster. Candidates write {@link #getSpec() spec}
 * (their local heartbeat); only the election controller of that cluster writes {@link #getStatus() status},
 * through the {@code /status} subresource, to say which candidate holds the global lock.
 */
@Group(MultiClusterLease.GROUP)
@Version(MultiClusterLease.VERSION)
@Kind(MultiClusterLease.KIND)
@Plural(MultiClusterLease.PLURAL)
@Singular("multiclusterlease")
@ShortNames(MultiClusterLease.SHORT_NAME)
@AdditionalPrinterColumn(name = "Holder", jsonPath = ".spec.holderIdentity")
@AdditionalPrinterColumn(name = "Leader", jsonPath = ".status.leader")
@AdditionalPrinterColumn(name = "Cluster", jsonPath = ".status.leaderCluster")
@AdditionalPrinterColumn(name = "Token", jsonPath = ".status.fencingToken",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class MultiClusterLease extends CustomResource<MultiClusterLeaseSpec, MultiClusterLeaseStatus>
    implements Namespaced {

  public static final String GROUP = "mclease.dev";
  public static final String VERSION = "v1alpha1";
  public static final String KIND = "MultiClusterLease";
  public static final String PLURAL = "multiclusterleases";
  public static final String SHORT_NAME = "mcl";
  /** The CRD's metadata.name, {@code multiclusterleases.mclease.dev}. */
  public static final String CRD_NAME = PLURAL + "." + GROUP;

  /**
   * An object that carries its namespace and name and nothing else: what a fabric8 resource needs to address a patch.
   * Why: fabric8 7.9's {@code patch(PatchContext, String)} on a resource built from a name alone first GETs the object
   * only to learn that name ({@code getItemOrRequireFromServer}), one read more on every write; a resource built
   * from this item ({@code resource(named(ns, name))}) sends the patch alone. Only for patches that carry their own
   * preconditions (JSON Patch {@code test}s) or need none (status): this item has no resourceVersion.
   */
  public static MultiClusterLease named(String namespace, String name) {
    MultiClusterLease m = new MultiClusterLease();
    m.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
    return m;
  }

  @Override
  protected MultiClusterLeaseSpec initSpec() {
    return new MultiClusterLeaseSpec();
  }
}
