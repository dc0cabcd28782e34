@operator-actions
Feature: Operator actions with kubectl mcl
  An operator sees the lease as every cluster sees it, makes the leader step down, and moves leadership to a named
  cluster for a maintenance, with the kubectl plugin kubectl mcl (client/go/cmd/kubectl-mcl) over a kubeconfig with
  one context per cluster. release and move set an annotation on the object in every cluster, wait for the
  hand-over and remove the annotation; the election controllers step the holder down only once no confirmation
  can be in force, so the split-brain checker finds no overlap, and the next leader has a larger fencing token.
  Timings are the fast test timings: leaseDuration 2s, renewDeadline 1.5s, retryPeriod 0.2s, backend TTL 3s.

  Scenario: kubectl mcl status shows every cluster's view of the lease
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the operator runs kubectl mcl status
    Then kubectl mcl succeeds
    And within 2 seconds its status shows, on the line of every cluster, the leader, its cluster and its fencing token

  Scenario: kubectl mcl release: the leader steps down, another cluster leads, no overlap, a larger token
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the operator runs kubectl mcl release on the lease
    Then kubectl mcl succeeds
    And within 5 seconds exactly one leader runs in another cluster
    And the new leader's fencing token is larger than the old leader's
    And the old leader's last leadership ended before the new leader's began
    And no operator annotation is left on any cluster

  Scenario: kubectl mcl move hands leadership to the named cluster, no overlap, a larger token
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the operator runs kubectl mcl move to a cluster that does not lead
    Then kubectl mcl succeeds
    And within 5 seconds exactly one leader runs in the cluster it was moved to
    And the new leader's fencing token is larger than the old leader's
    And the old leader's last leadership ended before the new leader's began
    And no operator annotation is left on any cluster
    And for 3 seconds exactly that leader keeps leading

  Scenario: kubectl mcl move to the cluster that leads changes nothing
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the operator runs kubectl mcl move to the cluster that leads
    Then kubectl mcl succeeds
    And it says that cluster leads already, and nothing changed
    And no operator annotation is left on any cluster
