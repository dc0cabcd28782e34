package dev.mclease.client;

import dev.mclease.crd.MicroTimes;
import dev.mclease.crd.MultiClusterLease;
import dev.mclease.crd.MultiClusterLeaseSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock's I/O on its one object, run on the lock's io lane: a tick's read and at most one heartbeat write (or the
 * create), and the release. What to write is never decided here: the {@link Ledger} (the lock, under its monitor)
 * says whether a heartbeat may be written and which T, and takes in every state read or written. Every spec write is
 * a CAS on the spec it decided on ({@link SpecWriter}), the create one on the name; a 409 is another writer's turn,
 * not an error.
 *
 * <p>A tick reads the object only when the watch cannot vouch for its state ({@link Ledger#known}) or the last write
 * found it stale (a 404, or a 409 that a renewal's immediate read and second write did not get past): a tick that
 * writes nothing then sends no request at all, and one that writes sends one unless a status write overtook it.
 */
final class HeartbeatWriter {

  private static final Logger LOG = LoggerFactory.getLogger(MultiClusterLeaseLock.class);
  private static final int RELEASE_ATTEMPTS = 3;

  /** The lock's side: decisions and state, each call under the lock's monitor. */
  interface Ledger {
    /** Takes in a state of the object (null = it does not exist). */
    void observe(MultiClusterLease obj);

    /**
     * The heartbeat to write on {@code current} (null = the object is missing: create it), or null when none may be
     * written now. {@link Heartbeat#took} says why we may write while we did not hold spec ("" when we hold it);
     * {@code served}: the object carries a status (its controller has served it), which sets the cadence.
     */
    Heartbeat nextHeartbeat(MultiClusterLeaseSpec current, boolean served, boolean create);

    /** Release: forgets our heartbeats (no echo may confirm us any more) and picks the T of the released spec. */
    Instant forgetForRelease();

    /**
     * The newest state this process has seen of the object (watch, reads, its own writes), when the watch vouches
     * that it is current ({@link WatchView}); null when the tick must read it.
     */
    WatchView.Stored known();
  }

  /** A heartbeat to write: T, and why ({@link LocalElection#mayWrite}). */
  record Heartbeat(Instant t, String took) {
  }

  private final String namespace;
  private final String name;
  private final String identity;
  private final String instance;
  private final Duration leaseDuration;
  private final Duration renewDeadline;
  private final String subject;
  private final ApiErrors errors;
  private final Problems problems;
  private final Problems schemaProblems;
  private final Ledger ledger;
  private final SpecWriter specs;
  /** A write on the watch's state was refused as stale: read before the next decision. Only the io lane touches it. */
  private boolean readNext;

  HeartbeatWriter(String namespace, String name, String identity, String instance, Duration leaseDuration,
      Duration renewDeadline, String subject, Problems problems, Problems schemaProblems, Ledger ledger) {
    this.namespace = namespace;
    this.name = name;
    this.identity = identity;
    this.instance = instance;
    this.leaseDuration = leaseDuration;
    this.renewDeadline = renewDeadline;
    this.subject = subject;
    this.errors = new ApiErrors(namespace, name, renewDeadline);
    this.problems = problems;
    this.schemaProblems = schemaProblems;
    this.ledger = ledger;
    this.specs = new SpecWriter(namespace, subject, LOG);
  }

  /** The tick: read (unless the watch vouches for the state), maybe one spec write (or the create), observe. */
  void tick(KubernetesClient client) {
    WatchView.Stored known = readNext ? null : ledger.known();
    MultiClusterLease current;
    if (known != null) {
      current = known.object();
    } else {
      try {
        current = resource(client).get();
      } catch (KubernetesClientException e) {
        reportFailure(client, "get", e);
        return;
      }
      readNext = false;
      ledger.observe(current);
    }
    Heartbeat h = ledger.nextHeartbeat(current == null ? null : current.getSpec(),
        current != null && current.getStatus() != null, current == null);
    if (h == null) {
      // the read works (or the watch does, which reads too); whether a write does is for the next write to say
      problems.clearIfVerb("get");
      return;
    }
    if (current == null) {
      create(client, h.t());
      return;
    }
    try {
      writeHeartbeat(client, current, h);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT && known != null) {
        // decided on the watch's state, which another write had just overtaken (with update instead of patch, any
        // status write; with patch, our own earlier write whose answer was lost): read and write the same heartbeat
        // once more now if spec is still ours, or the refresh waits a tick
        problems.clear();
        retryOnARead(client, h);
      } else if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        problems.clear();
        readNext = true;
        LOG.debug("{}: another writer changed the object first (409); not an error, next tick reads and decides",
            subject);
      } else if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND && known != null) {
        readNext = true; // deleted since the watch's state: the next tick reads and creates
        LOG.debug("{}: the object is gone (404); next tick reads and decides", subject);
      } else {
        reportFailure(client, "update", e);
      }
    }
  }

  /**
   * The one retry of a heartbeat refused as stale: only while the fresh state shows this instance holding spec (a
   * renewal; anything else is for the next tick to decide), with the same T, whose confirmation counts from when it
   * was first decided, so the retry can only shorten it.
   */
  private void retryOnARead(KubernetesClient client, Heartbeat h) {
    MultiClusterLease fresh;
    try {
      fresh = resource(client).get();
    } catch (KubernetesClientException e) {
      reportFailure(client, "get", e);
      return;
    }
    ledger.observe(fresh);
    if (fresh == null || fresh.getSpec() == null || !identity.equals(fresh.getSpec().getHolderIdentity())) {
      readNext = true;
      return;
    }
    try {
      writeHeartbeat(client, fresh, h);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        readNext = true;
        LOG.debug("{}: another writer changed the object first (409) twice; next tick reads and decides", subject);
      } else {
        reportFailure(client, "update", e);
      }
    }
  }

  /** Writes heartbeat {@code h} on {@code base} (a CAS on its spec) and takes in the answer. */
  private void writeHeartbeat(KubernetesClient client, MultiClusterLease base, Heartbeat h) {
    MultiClusterLease written = specs.write(client, base, heartbeatSpec(h.t()));
    problems.clear();
    if (!h.took().isEmpty()) {
      LOG.info("{}: became this cluster's local candidate ({}); leader once the election controller confirms",
          subject, h.took());
    }
    ledger.observe(written);
    checkSchema(written);
  }

  private void create(KubernetesClient client, Instant t) {
    MultiClusterLease fresh = new MultiClusterLease();
    fresh.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
    fresh.setSpec(heartbeatSpec(t));
    try {
      MultiClusterLease created = client.resource(fresh).create();
      problems.clear();
      LOG.info("{}: created the object and became this cluster's local candidate", subject);
      ledger.observe(created);
      checkSchema(created);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        problems.clear();
        readNext = true;
        LOG.debug("{}: another candidate created the object first; not an error", subject);
      } else {
        reportFailure(client, "create", e);
      }
    }
  }

  /**
   * Writes {@code spec.holderIdentity = ""} if this instance holds spec, re-reading when spec changed first; false when it did not
   * hold it.
   *
   * @throws LockException when the write fails for another reason than losing the object to someone else
   */
  boolean release(KubernetesClient client) {
    int readConflicts = 0;
    for (int attempt = 1; ; attempt++) {
      // The watch's state spares the read only when it says we hold spec: "not ours" is read again, since a write of
      // ours whose answer was lost could still hold it, and a release that wrongly finds nothing to do would leave the
      // other candidates waiting leaseDuration.
      WatchView.Stored known = attempt == 1 && !readNext ? ledger.known() : null;
      MultiClusterLease current = known == null ? null : known.object();
      boolean read = current == null || current.getSpec() == null
          || !identity.equals(current.getSpec().getHolderIdentity());
      if (read) {
        try {
          current = resource(client).get();
        } catch (KubernetesClientException e) {
          reportFailure(client, "get", e);
          throw new LockException(subject + ": cannot release: " + problems.current().orElse(e.getMessage()), e);
        }
        readNext = false;
        ledger.observe(current);
      }
      if (current == null || current.getSpec() == null || !identity.equals(current.getSpec().getHolderIdentity())) {
        return false;
      }
      // Again, on the io lane: a heartbeat of a tick that was still in flight when release() began may have been
      // recorded since. No echo may confirm us once the controller can see "" and free the lock at once.
      Instant t = ledger.forgetForRelease();
      try {
        MultiClusterLease written = specs.write(client, current,
            new MultiClusterLeaseSpec("", leaseSeconds(), MicroTimes.of(t)));
        ledger.observe(written);
        problems.clear();
        LOG.info("{}: released the local candidacy (spec.holderIdentity=\"\")", subject);
        return true;
      } catch (KubernetesClientException e) {
        if (!read && e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
          continue; // gone since the watch's state: the read of the next attempt says so
        }
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          reportFailure(client, "update", e);
          throw new LockException(subject + ": cannot release: " + problems.current().orElse(e.getMessage()), e);
        }
        if (read && ++readConflicts >= RELEASE_ATTEMPTS) {
          throw new LockException(subject + ": release lost " + RELEASE_ATTEMPTS + " races for spec in a row");
        }
        LOG.debug("{}: conflict while releasing, re-reading", subject);
      }
    }
  }

  /** Reported once while the cluster's CRD prunes this release's fields from our heartbeat; see ApiErrors. */
  private void checkSchema(MultiClusterLease written) {
    MultiClusterLeaseSpec spec = written == null ? null : written.getSpec();
    if (spec == null || !identity.equals(spec.getHolderIdentity())) {
      return;
    }
    ApiErrors.outdatedCrd(spec).ifPresentOrElse(m -> schemaProblems.report("crd-outdated", m), schemaProblems::clear);
  }

  /** Explains a failed request against the lock's object (what happened and what to do). */
  String explain(String verb, Throwable t, KubernetesClient client) {
    return errors.explain(verb, t, client == null ? null : client.getMasterUrl().toString());
  }

  private void reportFailure(KubernetesClient client, String verb, KubernetesClientException e) {
    problems.report(ApiErrors.key(verb, e), explain(verb, e, client));
  }

  Resource<MultiClusterLease> resource(KubernetesClient c) {
    return c.resources(MultiClusterLease.class).inNamespace(namespace).withName(name);
  }

  /** Our heartbeat T, with the renewDeadline the controller caps confirmations by, and this lock instance. */
  private MultiClusterLeaseSpec heartbeatSpec(Instant t) {
    return new MultiClusterLeaseSpec(identity, leaseSeconds(), MicroTimes.of(t), renewDeadline.toMillis(), instance);
  }

  private int leaseSeconds() {
    return (int) leaseDuration.toSeconds();
  }
}
