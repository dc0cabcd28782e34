@fencing
Feature: Fenced side effects
  Exclusive callbacks are not enough: a leader's writes must not interleave with another leader's. While they lead,
  candidates write every 50 ms to a fenced PostgreSQL row, each write admitted by the client's write gate
  (LeaderWriteGate) on the candidate's own lock and monotonic clock and carrying the fencing token the gate returned;
  the row accepts a write only when its token is not lower than the one stored (one conditional UPDATE) and logs every
  attempt. The fenced-write checker then requires every accepted write to lie inside its token's leadership as the
  history recorded it, and accepted tokens never to go down. The split-brain checker runs as in every scenario.

  Scenario: Leaders write continuously through a pause and a release, and every accepted write is its leader's
    Given 3 clusters "east", "west", "south" with one candidate each, not yet started
    And every leader writes to a fenced PostgreSQL row while it leads
    When the fleet starts
    And a leader has been elected
    Then within 5 seconds the fenced row has accepted a write from the old leader
    When the leader is paused
    Then within 20 seconds exactly one leader runs in another cluster
    And within 5 seconds the fenced row has accepted a write from the new leader
    When the paused leader resumes
    And the leader releases its lease
    Then within 5 seconds exactly one leader runs in another cluster
    And within 5 seconds the fenced row has accepted a write from the new leader
    And the fenced row accepted writes with at least 3 fencing tokens
    And every accepted write came from its token's leader within that leadership, in token order

  # The window no client-side check can close: the gate passed, then the process froze before its write went out.
  # The write lands late with the old token and the row refuses it; the next write is refused by the gate itself,
  # which names the lease, the token and by how much the deadline had passed. A write that bypasses the gate is
  # refused by the row too. The gate installed on a fabric8 client does the same for Kubernetes writes.
  Scenario: A leader paused between its gate check and its write is fenced off by the row, then refused by its gate
    Given 3 clusters "east", "west", "south" with one candidate each, not yet started
    And every leader writes to a fenced PostgreSQL row while it leads
    When the fleet starts
    And a leader has been elected
    Then within 5 seconds the fenced row has accepted a write from the old leader
    And the leader's Kubernetes write through its write gate goes through
    When the leader is paused right after its next gate check
    Then within 20 seconds exactly one leader runs in another cluster
    And within 5 seconds the fenced row has accepted a write from the new leader
    When the paused leader resumes
    Then within 5 seconds the fenced row refuses the paused leader's late write with its old token
    And the paused leader's next write through its gate is refused, naming its token and how late it is
    And the paused leader's Kubernetes write through its write gate is refused and never reaches the API server
    When the paused leader writes to the fenced row with its old token, bypassing its gate
    Then every accepted write came from its token's leader within that leadership, in token order

  # Cut off from its API server, the old leader still reaches the row: only its own deadline (the gate) stops it.
  Scenario: A leader cut off from its API server but not from the fenced row stops writing in time
    Given 3 clusters "east", "west", "south" with one candidate each, not yet started
    And every leader writes to a fenced PostgreSQL row while it leads
    When the fleet starts
    And a leader has been elected
    Then within 5 seconds the fenced row has accepted a write from the old leader
    When the leader's candidate is partitioned from its API server
    Then within 20 seconds exactly one leader runs in another cluster
    And within 5 seconds the fenced row has accepted a write from the new leader
    When the partition heals
    Then the fenced row accepted writes with at least 2 fencing tokens
    And every accepted write came from its token's leader within that leadership, in token order
