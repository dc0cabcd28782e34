@lease-expiry
Feature: Lease expiry
  A heartbeat counts for leaseDuration, as observed on the clock of whoever reads it. When heartbeats stop, the
  lease runs out after leaseDuration - not before - and only then may someone else take over; while they keep
  coming within leaseDuration, the same acquisition of the global lock (the same fencing token) goes on.
  Timings that could let two leaders overlap are refused up front, with the numbers in the message.

  Scenario: When the leader's heartbeats stop, its lease expires after leaseDuration, not before
    Given 2 clusters "east", "west" with one candidate each
    And a leader has been elected
    When the leader's heartbeats stop
    Then within 2 seconds the old leader no longer leads
    And within 10 seconds exactly one leader runs in another cluster
    And the new leader started no sooner than the lease duration after the last heartbeat it could have seen
    And the old leader's controller reports condition CandidateAlive False with reason HeartbeatExpired

  Scenario: Heartbeats that keep coming within leaseDuration keep the leadership and its fencing token
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    Then for 6 seconds exactly the old leader keeps leading
    And the history shows one leadership only, with one fencing token

  Scenario: A heartbeat gap shorter than leaseDuration does not cost the global lock
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader's heartbeats stop for 1 second
    Then within 5 seconds the old leader leads again with the same fencing token
    And no other candidate led in the meantime

  Scenario: Unsafe timings are refused with a message that gives the numbers
    Given 2 clusters "east", "west" with one candidate each
    And a leader has been elected
    Then these controller timings are refused, the message naming the numbers:
      | renewDeadline | retryPeriod | backendTtl | backendRenewInterval | safetyMargin | message names         |
      | 10s           | 2s          | 12s        | 2s                   | 2s           | 10s, 2s, 12s          |
      | 1.5s          | 0.2s        | 2s         | 0.3s                 | 0.5s         | 1.5s, 0.3s, 0.5s, 2s  |
      | 10s           | 2s          | 20s        | 9s                   | 2s           | 10s, 9s, 2s, 20s      |
      | 1.5s          | 1.2s        | 3s         | 0.3s                 | 0.5s         | D + R + M, 1.2s, 3s   |
      | 1s            | 2s          | 20s        | 2s                   | 2s           | D=1s, R=2s            |
    And a controller for "east" started with renewDeadline 10s and backendTtl 12s refuses to start with the same kind of message
    And these candidate timings are refused by the lock builder, the message naming the numbers:
      | leaseDuration | renewDeadline | retryPeriod | message names    |
      | 10s           | 15s           | 2s          | PT10S, PT15S     |
      | 15s           | 2s            | 2s          | PT2S             |
      | 1.5s          | 1s            | 0.2s        | PT1.5S           |
    And for 1 second exactly the old leader keeps leading

  Scenario: The default timings are accepted, and a graceful handover with them is immediate
    Given 2 clusters "east", "west" with one candidate each and the default timings
    And a leader has been elected
    Then the controller accepts the timings leaseDuration 15s, renewDeadline 10s, retryPeriod 2s, backendTtl 15s, backendRenewInterval 2s, safetyMargin 2s
    When the leader releases its lease
    Then within 2 seconds exactly one leader runs in another cluster
    And the new leader's fencing token is larger than the old leader's
