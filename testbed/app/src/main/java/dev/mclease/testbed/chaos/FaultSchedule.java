package dev.mclease.testbed.chaos;

import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.ClusterNode;
import dev.mclease.testbed.fleet.Fleet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * A seeded schedule of two to four faults against a running fleet, the one behind the features' {@code @chaos}
 * outlines and {@code ./mcl soak}. Each fault lasts 0.3 to 2.5 s; about a third of them stay in place while the next
 * one is injected (on another cluster), so faults also overlap. Targets are the current leader or its cluster seven
 * times out of ten. Everything is healed when the schedule ends. Lock-store outages (etcd members stopped or killed,
 * another store killed and restarted) are in the menu only when asked for.
 *
 * <p>The same seed draws the same numbers in the same order, so a seed names a schedule; which candidate or cluster
 * a pick hits still follows who leads at that moment. New faults go into {@link #menu()}, <em>at its end</em>: an
 * entry added in the middle renumbers every later one and so changes what every existing seed means.
 */
public final class FaultSchedule {

  /** Injects a fault (recording it in the history) and returns the handle that heals it. */
  @FunctionalInterface
  public interface Injector {
    AutoCloseable inject(Fault fault);
  }

  /** Lets {@code d} pass with faults in place; a caller may check an invariant all along (at most one leader). */
  @FunctionalInterface
  public interface Hold {
    void hold(Duration d);
  }

  /** One fault the schedule injected: its menu entry ({@code type}) and the fault's own description. */
  public record Injected(String type, String description) {
  }

  /** One pick from the menu: what it hits (a cluster name, or "store") and the fault. */
  private record Pick(String scope, Fault fault) {
  }

  /** One entry of the menu: a name for the report's "faults by type", and how it picks its target. */
  private record Entry(String type, Function<Fleet, Pick> pick) {
  }

  private static final String STORE = "store";
  /** What {@link #pick} falls back to when every cluster is busy. */
  static final String FALLBACK_TYPE = "slow lock-store links";

  private final Fleet fleet;
  private final Random random;
  private final boolean storeOutages;
  private final Injector injector;
  private final Hold hold;

  /**
   * @param storeOutages whether the menu includes lock-store outages: etcd members stopped and killed, or for
   *     another store {@link Fault#restartStore}
   * @param injector injects and records each fault
   * @param hold lets time pass between and during faults
   */
  public FaultSchedule(Fleet fleet, long seed, boolean storeOutages, Injector injector, Hold hold) {
    this.fleet = fleet;
    this.random = new Random(seed);
    this.storeOutages = storeOutages;
    this.injector = injector;
    this.hold = hold;
  }

  /** Runs the schedule; returns what was injected, in order. Faults still open when it fails are left to the caller. */
  public List<Injected> run() {
    List<Injected> log = new ArrayList<>();
    int faults = 2 + random.nextInt(3);
    List<AutoCloseable> open = new ArrayList<>();
    List<String> openScopes = new ArrayList<>();
    for (int i = 0; i < faults; i++) {
      hold.hold(between(100, 600));
      Entry entry = null;
      Pick pick = null;
      for (int attempt = 0; attempt < 20 && pick == null; attempt++) {
        List<Entry> menu = menu();
        entry = menu.get(random.nextInt(menu.size()));
        Pick p = entry.pick().apply(fleet);
        if (p != null && !openScopes.contains(p.scope())) {
          pick = p;
        }
      }
      String type = entry.type();
      if (pick == null) {
        pick = fallback(openScopes);
        type = FALLBACK_TYPE;
      }
      open.add(injector.inject(pick.fault()));
      log.add(new Injected(type, pick.fault().description()));
      openScopes.add(pick.scope());
      boolean overlapNext = i < faults - 1 && random.nextInt(10) < 3;
      if (!overlapNext) {
        hold.hold(between(300, 2500));
        for (int j = open.size() - 1; j >= 0; j--) {
          heal(open.get(j));
        }
        open.clear();
        openScopes.clear();
      }
    }
    return List.copyOf(log);
  }

  private static void heal(AutoCloseable handle) {
    try {
      handle.close();
    } catch (Exception e) {
      throw new IllegalStateException("healing a fault of the schedule failed", e);
    }
  }

  /** Every cluster is busy: a harmless slowdown of the first free target. */
  private Pick fallback(List<String> busy) {
    ClusterNode c = fleet.clusters().stream().filter(n -> !busy.contains(n.name())).findFirst()
        .orElse(fleet.clusters().get(0));
    return new Pick(c.name(), Fault.slowEtcdLinks(c, Duration.ofMillis(50)));
  }

  /** The faults a schedule may pick; each picks its own target, usually the leader or its cluster. */
  private List<Entry> menu() {
    List<Entry> m = new ArrayList<>();
    m.add(new Entry("candidate partitioned from its API server", f -> candidate(Fault::partitionCandidateFromApi)));
    m.add(new Entry("candidate paused", f -> candidate(Fault::pauseCandidate)));
    m.add(new Entry("candidate crashed and restarted", f -> candidate(Crashes::crashAndRestartCandidate)));
    m.add(new Entry("candidate released", f -> candidate(Fault::releaseCandidate)));
    m.add(new Entry("candidate wall clock jump", f -> candidate(
        c -> Fault.skewCandidateClock(c, Duration.ofHours(random.nextBoolean() ? 1 : -1)))));
    m.add(new Entry("candidate clock drift", f -> candidate(
        c -> Fault.driftCandidateClock(c, random.nextBoolean() ? 0.9 : 1.1))));
    m.add(new Entry("controller partitioned from its API server", f -> cluster(Fault::partitionControllerFromApi)));
    m.add(new Entry("controller partitioned from the lock store", f -> cluster(Fault::partitionControllerFromEtcd)));
    m.add(new Entry("controller killed", f -> cluster(Fault::killController)));
    m.add(new Entry("controller wall clock jump", f -> cluster(
        n -> Fault.skewControllerClock(n, Duration.ofHours(random.nextBoolean() ? 1 : -1)))));
    m.add(new Entry(FALLBACK_TYPE, f -> cluster(
        n -> Fault.slowEtcdLinks(n, Duration.ofMillis(50 + random.nextInt(150))))));
    m.add(new Entry("cluster isolated", f -> cluster(Fault::isolateCluster)));
    m.add(new Entry("cluster lost", f -> cluster(Crashes::loseCluster)));
    if (!storeOutages) {
      return m;
    }
    if (!"etcd".equals(fleet.backend())) {
      m.add(new Entry("lock store killed and restarted", f -> new Pick(STORE, Fault.restartStore(f))));
    } else if (fleet.etcd().size() >= 3) {
      m.add(new Entry("etcd member killed",
          f -> new Pick(STORE, Fault.killEtcdMember(f, random.nextInt(f.etcd().size())))));
      m.add(new Entry("etcd quorum lost (2 of 3 stopped)",
          f -> new Pick(STORE, Fault.stopEtcdMembers(f, List.of(0, 1)))));
    } else {
      m.add(new Entry("etcd stopped (1 of 1)", f -> new Pick(STORE, Fault.stopEtcdMembers(f, List.of(0)))));
    }
    return m;
  }

  private Pick candidate(Function<CandidateNode, Fault> fault) {
    List<CandidateNode> running = fleet.candidates().stream().filter(CandidateNode::isRunning).toList();
    CandidateNode target;
    var leader = fleet.leader();
    if (random.nextInt(10) < 7 && leader.isPresent()) {
      target = leader.get();
    } else {
      List<CandidateNode> pool = running.isEmpty() ? fleet.candidates() : running;
      target = pool.get(random.nextInt(pool.size()));
    }
    return new Pick(target.clusterName(), fault.apply(target));
  }

  private Pick cluster(Function<ClusterNode, Fault> fault) {
    ClusterNode target;
    var leader = fleet.leader();
    if (random.nextInt(10) < 7 && leader.isPresent()) {
      target = fleet.cluster(leader.get().clusterName());
    } else {
      target = fleet.clusters().get(random.nextInt(fleet.clusters().size()));
    }
    return new Pick(target.name(), fault.apply(target));
  }

  private Duration between(int minMillis, int maxMillis) {
    return Duration.ofMillis(minMillis + random.nextInt(maxMillis - minMillis + 1));
  }
}
