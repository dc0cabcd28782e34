@process-faults
Feature: Faults on real processes
  Signals sent to the testbed's real processes, as production sees them. A frozen process (SIGSTOP, then SIGCONT: a
  long GC pause, a throttled container, a migrating VM) keeps its sockets and its peers' connections open, so its
  clients hang until their own timeouts instead of failing fast as they do behind a cut proxy; a killed one (SIGKILL)
  drops every connection and every watch. The split-brain checker judges every history, as in every scenario.

  # The leader's candidate and its controller both hang on the frozen server: the candidate cannot heartbeat and its
  # confirmation runs out within D; the controller, seeing no heartbeat for L, releases the key once no echo can
  # still be in force, and another cluster takes it. Thawed, the old leader reads that another cluster leads.
  @own-clusters
  Scenario: The kube-apiserver of the leader's cluster freezes: another cluster leads, and the thaw changes nothing
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the kube-apiserver of the leader's cluster is frozen
    Then within 20 seconds exactly one leader runs in another cluster
    When the frozen kube-apiserver thaws
    Then for 3 seconds exactly that leader keeps leading

  @own-clusters
  Scenario: The kube-apiserver of the leader's cluster is killed and restarted: another cluster leads, and keeps leading
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the kube-apiserver of the leader's cluster is killed
    Then within 20 seconds exactly one leader runs in another cluster
    When the killed kube-apiserver starts again
    Then for 3 seconds exactly that leader keeps leading
