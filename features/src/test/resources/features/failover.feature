@failover
Feature: Failover
  One candidate in the whole fleet leads. When it goes away - gracefully, by crashing, with its controller,
  with its whole cluster, or cut off from etcd or from its API server - a candidate elsewhere takes over
  within a bounded time, never while the old leader may still lead, and with a larger fencing token.
  Every scenario records a leadership history; the split-brain checker reads it when the scenario ends.
  Timings are the fast test timings: leaseDuration 2s, renewDeadline 1.5s, retryPeriod 0.2s, backend TTL 3s.

  Scenario: A leader that releases its lease hands over to another cluster at once
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader releases its lease
    Then within 2 seconds exactly one leader runs in another cluster
    And the new leader's fencing token is larger than the old leader's

  Scenario: A crashed candidate is replaced once its lease has run out, not before
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader's candidate crashes
    Then within 10 seconds exactly one leader runs in another cluster
    And the new leader started no sooner than the lease duration after the last heartbeat it could have seen
    And the new leader's fencing token is larger than the old leader's

  # With one cluster only, the standby is the only one left to take over: the local election hands spec to it
  # after leaseDuration, and its controller releases and re-acquires, so the new leader has a new, larger token.
  # (With more clusters, the release lets any cluster win the lock.)
  Scenario: A standby candidate in the same cluster takes over from a crashed leader, with a new fencing token
    Given 1 cluster "east" with two candidates each
    And a leader has been elected
    When the leader's candidate crashes
    Then within 10 seconds exactly one leader runs in the same cluster
    And the new leader's fencing token is larger than the old leader's

  # The pod name is the documented identity, and a restarted container keeps it. The new process takes spec at once,
  # but its controller sees a new spec.holderInstance: it releases once the dead process's last confirmation has run
  # out and acquires again, so a late write of the dead process can be fenced against the new one.
  Scenario: A candidate killed and restarted under the same identity leads again only with a larger fencing token
    Given 1 cluster "east" with one candidate each
    And a leader has been elected
    When the leader's candidate crashes and restarts under the same identity
    Then within 10 seconds the restarted candidate leads again with a larger fencing token
    And the fencing tokens in the history strictly increase

  Scenario: A crashed controller's cluster gives up the lead, and another cluster leads once its backend lease expired
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader's controller crashes
    Then within 3 seconds the old leader no longer leads
    And within 10 seconds exactly one leader runs in another cluster
    And the new leader's fencing token is larger than the old leader's

  Scenario: Losing the leader's whole cluster
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader's cluster is lost
    Then within 10 seconds exactly one leader runs in another cluster
    And the new leader's fencing token is larger than the old leader's
    When the lost cluster comes back
    Then for 3 seconds exactly that leader keeps leading

  Scenario: The leader's cluster is partitioned from etcd
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader's cluster is partitioned from etcd
    Then within 3 seconds the old leader no longer leads
    And within 20 seconds exactly one leader runs in another cluster
    When the partition heals
    Then for 3 seconds exactly that leader keeps leading

  Scenario: The leader's controller is partitioned from its API server
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader's controller is partitioned from its API server
    Then within 3 seconds the old leader no longer leads
    And within 20 seconds exactly one leader runs in another cluster
    When the partition heals
    Then for 3 seconds exactly that leader keeps leading

  Scenario: The leader's candidate is partitioned from its API server
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader's candidate is partitioned from its API server
    Then within 3 seconds the old leader no longer leads
    And within 20 seconds exactly one leader runs in another cluster
    When the partition heals
    Then for 3 seconds exactly that leader keeps leading
