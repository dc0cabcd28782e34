package dev.mclease.testbed.chaos;

import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The faults a person tries first, each aimed at the current leader (its process, its cluster) or at the lock store:
 * the demo's tour walks through them in this order and the live page offers one button each.
 */
public enum TourFault {

  RELEASE("graceful release", "the leader leaves on purpose (releaseOnCancel) and campaigns again", true) {
    @Override
    public Fault aimAt(Fleet fleet, CandidateNode leader) {
      return Fault.releaseCandidate(leader);
    }
  },
  CRASH("candidate crash", "the leader's process dies without a word; it restarts as a new process", true) {
    @Override
    public Fault aimAt(Fleet fleet, CandidateNode leader) {
      return Fault.killCandidate(leader);
    }
  },
  CONTROLLER("controller loss", "the election controller of the leader's cluster dies; its lock-store session"
      + " runs out after G", true) {
    @Override
    public Fault aimAt(Fleet fleet, CandidateNode leader) {
      return Fault.killController(clusterOf(fleet, leader));
    }
  },
  PARTITION("partition", "the leader's cluster is cut off: its controller from the lock store, every candidate"
      + " from its API server", true) {
    @Override
    public Fault aimAt(Fleet fleet, CandidateNode leader) {
      return Fault.isolateCluster(clusterOf(fleet, leader));
    }
  },
  STORE("lock-store outage", "the global lock store goes down for every controller, then comes back with its data",
      false) {
    @Override
    public Fault aimAt(Fleet fleet, CandidateNode leader) {
      if ("etcd".equals(fleet.backend())) {
        return Fault.stopEtcdMembers(fleet, IntStream.range(0, fleet.etcd().size()).boxed().toList());
      }
      return Fault.restartStore(fleet);
    }

    @Override
    public Duration hold(Timings t) {
      // past G, so that every backend session has had time to lapse while the store is away
      return t.backendTtl().plusSeconds(1);
    }
  },
  CLOCK("wall-clock jump", "the leader's wall clock jumps an hour ahead: the lock judges on the monotonic clock,"
      + " so nothing should move", false) {
    @Override
    public Fault aimAt(Fleet fleet, CandidateNode leader) {
      return Fault.skewCandidateClock(leader, Duration.ofHours(1));
    }

    @Override
    public Duration hold(Timings t) {
      return t.leaseDuration().plusSeconds(1);
    }
  },
  PAUSE("paused leader", "the leader's election thread freezes (as SIGSTOP) while its lock's deadline runs out;"
      + " it hears that it lost only when it thaws", true) {
    @Override
    public Fault aimAt(Fleet fleet, CandidateNode leader) {
      return Fault.pauseCandidate(leader);
    }
  };

  private final String label;
  private final String explanation;
  private final boolean healOnMove;

  TourFault(String label, String explanation, boolean healOnMove) {
    this.label = label;
    this.explanation = explanation;
    this.healOnMove = healOnMove;
  }

  /** Lower-case name for URLs and options: {@code release}, {@code crash}, ... */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public String label() {
    return label;
  }

  /** What the fault does and what to expect, in one sentence. */
  public String explanation() {
    return explanation;
  }

  /**
   * True when leadership is expected to move while the fault lasts, so the tour heals it as soon as another leader
   * is seen; false when the fault is held for {@link #hold(Timings)} whatever happens.
   */
  public boolean healOnMove() {
    return healOnMove;
  }

  /** The longest the tour holds this fault: for faults that move leadership, the fleet's leaderless bound. */
  public Duration hold(Timings t) {
    return t.leaderlessBound();
  }

  /** The fault, aimed at the fleet's current leader; throws when there is no single leader to aim at. */
  public Fault aim(Fleet fleet) {
    CandidateNode leader = fleet.leader()
        .orElseThrow(() -> new IllegalStateException("no single leader to aim '" + label + "' at right now"));
    return aimAt(fleet, leader);
  }

  /**
   * The fault, aimed at {@code leader}: pass the leader you just waited for, since a second read of the fleet's
   * leader may find none (the one seen may lapse in between).
   */
  public abstract Fault aimAt(Fleet fleet, CandidateNode leader);

  public static TourFault byId(String id) {
    for (TourFault f : values()) {
      if (f.id().equals(id)) {
        return f;
      }
    }
    throw new IllegalArgumentException("no fault '" + id + "'; faults: " + List.of(values()).stream()
        .map(TourFault::id).toList());
  }

  private static ClusterNode clusterOf(Fleet fleet, CandidateNode leader) {
    return fleet.cluster(leader.clusterName());
  }
}
