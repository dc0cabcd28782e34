package dev.mclease.client.josdk;

import dev.mclease.client.CandidateRunner;
import dev.mclease.client.MultiClusterLeaseLock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;

/**
 * The JOSDK recipe (docs/client.md). JOSDK 5's {@code LeaderElectionConfiguration} builds its own {@code LeaseLock}
 * and cannot take another {@code Lock}, so leave JOSDK's leader election off and let a {@link CandidateRunner}
 * decide when the operator runs: a fresh {@link Operator} is built and started on each {@code onStartLeading}
 * and stopped on {@code onStopLeading}. Copy this class; it needs nothing from mclease-client but its public API.
 *
 * <p>Build the operator with {@code withCloseClientOnStop(false)} (the client outlives each term) and without
 * {@code withLeaderElectionConfiguration}. Reconcilers must still take {@link MultiClusterLeaseLock#leadership()}
 * or fence their writes with the token given to the factory: stopping an operator takes time, and a paused
 * process hears {@code onStopLeading} late.
 */
public final class OperatorPerLeadership implements AutoCloseable {

  private final CandidateRunner runner;
  private Operator operator; // touched only on the runner's callback thread

  /**
   * @param client the candidate's own cluster
   * @param lock the MultiClusterLeaseLock of this operator
   * @param operatorForTerm builds (not starts) a fresh operator for the leadership with the given fencing token
   */
  public OperatorPerLeadership(KubernetesClient client, MultiClusterLeaseLock lock,
      LongFunction<Operator> operatorForTerm) {
    this.runner = CandidateRunner.builder(client, lock)
        .onStartLeading(token -> {
          operator = operatorForTerm.apply(token);
          operator.start();
        })
        .onStopLeading(() -> {
          if (operator != null) {
            operator.stop();
            operator = null;
          }
        })
        .build();
  }

  /** Campaigns until closed; the future completes on close. */
  public CompletableFuture<Void> start() {
    return runner.start();
  }

  /** Stops the operator if it runs, releases the lease, stops campaigning. */
  @Override
  public void close() {
    runner.close();
  }
}
