package dev.mclease.features;

import dev.mclease.testbed.chaos.Fault;
import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.chaos.FaultSchedule;
import dev.mclease.testbed.fleet.CandidateNode;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import io.cucumber.java.Scenario;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one scenario is working on: its fleet (a fresh one per scenario, shared by every step of it), the faults it
 * injected, and who led before and after. Cucumber's picocontainer makes one per scenario and hands it to every
 * step class; {@link Hooks} checks the history and closes everything when the scenario ends.
 */
public final class World {

  Scenario scenario;
  private Fleet fleet;
  private FaultInjector faults;
  private final Map<String, AutoCloseable> activeFaults = new LinkedHashMap<>();
  private int faultsInjected;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  /** The leader before the scenario's event, and its fencing token then. */
  CandidateNode oldLeader;
  long oldToken = -1;
  /** The leader found by the last "exactly one leader" step. */
  CandidateNode currentLeader;
  /** History time (nanos) of the last injected event: a fault, a release, a pause. */
  long eventAt = Long.MIN_VALUE;
  /** Wall-clock millis and history nanos taken together, to place spec.renewTime values on the history's axis. */
  long eventWallMillis;

  /** Errors seen while starting components, by cluster name (e.g. a controller refusing to start). */
  final Map<String, RuntimeException> startFailures = new LinkedHashMap<>();

  void fleet(Fleet f) {
    if (fleet != null) {
      throw new IllegalStateException("this scenario already has a fleet");
    }
    fleet = f;
    faults = new FaultInjector(f.history());
  }

  Fleet fleet() {
    if (fleet == null) {
      throw new IllegalStateException("no fleet yet: start the scenario with 'Given N clusters ...'");
    }
    return fleet;
  }

  Optional<Fleet> fleetIfAny() {
    return Optional.ofNullable(fleet);
  }

  Timings timings() {
    return fleet().timings();
  }

  /** Injects {@code fault} now, records it as a span of the history and remembers it under {@code label}. */
  void inject(String label, Fault fault) {
    markEvent();
    AutoCloseable handle = faults.inject(fault);
    faultsInjected++;
    activeFaults.put(label, handle);
  }

  /**
   * Something that happens once and is not undone within the scenario (a release, a crash): recorded as a fault
   * span that ends at once, so that from then on the checker holds the fleet to its leaderless bound again.
   */
  void event(String label, Fault fault) {
    inject(label, fault);
    heal(label);
  }

  /**
   * How a {@link FaultSchedule} injects into this scenario: each fault under a label of its own ("chaos 0", ...), so
   * that it counts, marks the event and is healed by its handle.
   */
  FaultSchedule.Injector scheduleInjector() {
    return fault -> {
      String label = "chaos " + faultsInjected;
      inject(label, fault);
      return () -> heal(label);
    };
  }

  /** Heals the fault injected under {@code label}. */
  void heal(String label) {
    AutoCloseable handle = activeFaults.remove(label);
    if (handle == null) {
      throw new IllegalStateException("no active fault '" + label + "'; active: " + activeFaults.keySet());
    }
    markEvent();
    try {
      handle.close();
    } catch (Exception e) {
      throw new IllegalStateException("healing '" + label + "' failed", e);
    }
  }

  /** Heals every fault still injected whose label starts with {@code prefix}. */
  void healAll(String prefix) {
    for (String label : List.copyOf(activeFaults.keySet())) {
      if (label.startsWith(prefix)) {
        heal(label);
      }
    }
  }

  int faultsInjected() {
    return faultsInjected;
  }

  void countFaults(int n) {
    faultsInjected += n;
  }

  FaultInjector injector() {
    return faults;
  }

  void markEvent() {
    eventWallMillis = System.currentTimeMillis();
    eventAt = System.nanoTime(); // the fleet's History is stamped with System.nanoTime()
  }

  /** Closed (newest first) when the scenario ends, before the fleet. */
  <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  /** Closes the scenario's own resources and the fleet; faults are not healed first (a dying fleet needs no heal). */
  void closeAll() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        // keep closing the rest
      }
    }
    closeables.clear();
    if (fleet != null) {
      fleet.close();
    }
  }

  String name() {
    return scenario == null ? "scenario" : scenario.getName();
  }
}
