@split-brain
Feature: No split brain
  Whatever is cut, paused, skewed or lost, two candidates never lead at the same time, and every new
  leadership carries a larger fencing token than the one before. A leadership lasts, by definition, until the
  candidate's own monotonic deadline of its newest confirmation; the checker compares those intervals.

  Scenario: The leader's cluster is isolated from everything, then rejoins as a follower
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader's cluster is isolated from everything
    Then within 3 seconds the old leader no longer leads
    And within 20 seconds exactly one leader runs in another cluster
    When the isolation heals
    Then for 3 seconds exactly that leader keeps leading
    And the fencing tokens in the history strictly increase

  # Raising a candidate's renewDeadline "to ride out a slow API server" while the controllers keep theirs: the
  # controller caps every confirmation by what its lock still covers (status.confirmationWindowMilliseconds), so the
  # candidate stops leading before the lock can pass on, and the condition says what is wrong, with the numbers.
  Scenario: A candidate whose renewDeadline is far longer than its controller's does not outlive the controller
    Given 3 clusters "east", "west", "south" with one candidate each, not yet started
    And the candidates of "east" run with leaseDuration 10s, renewDeadline 8s and retryPeriod 1s
    When the controllers and the candidates of "east" start
    And a leader has been elected
    And the other candidates start
    And for 2 seconds exactly the old leader keeps leading
    And the leader's controller crashes
    Then within 12 seconds exactly one leader runs in another cluster
    And the old leader's last leadership ended before the new leader's began
    And the new leader's fencing token is larger than the old leader's
    And the old leader's controller reports condition RenewDeadlineCovered False with reason RenewDeadlineTooLong
    And that condition's message names "renewDeadline 8000 ms"
    And that condition's message names "at most 2200 ms"

  Scenario: Lock-store answers held past the session TTL arrive late and do not revive the lapsed session
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the lock store's answers to the leader's controller are held
    Then within 4 seconds the old leader no longer leads
    When the held answers are delivered after 4 seconds
    Then within 10 seconds exactly one leader runs in any cluster
    And the fencing tokens in the history strictly increase

  Scenario: A paused leader resumes after its lease ran out and does not lead again
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the leader is paused
    Then within 20 seconds exactly one leader runs in another cluster
    When the paused leader resumes
    Then for 3 seconds exactly that leader keeps leading
    And the paused leader's last leadership ended before the new leader's began

  Scenario Outline: Wall clocks jumping by <leader offset> on the leader's side and <others offset> elsewhere do not matter
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When the wall clocks of the leader's candidate and controller jump by <leader offset>
    And the wall clocks of every other candidate and controller jump by <others offset>
    Then for 4 seconds exactly the old leader keeps leading
    When the leader releases its lease
    Then within 2 seconds exactly one leader runs in another cluster
    And the new leader's fencing token is larger than the old leader's

    Examples:
      | leader offset | others offset |
      | +1h           | -1h           |
      | -1h           | +1h           |

  Scenario Outline: Clock rates drifting to <rate> times real speed, within the safety margin
    Given 3 clusters "east", "west", "south" with one candidate each
    And a leader has been elected
    When every candidate's clocks run at <rate> times real speed
    Then for 3 seconds exactly the old leader keeps leading
    When the leader's candidate crashes
    Then within 10 seconds exactly one leader runs in another cluster
    And the new leader's fencing token is larger than the old leader's

    Examples:
      | rate |
      | 0.9  |
      | 1.1  |

  Scenario: etcd loses quorum: nobody leads until it is back
    Given 3 clusters "east", "west", "south" with one candidate each and 3 etcd members
    And a leader has been elected
    When 2 of the 3 etcd members stop
    Then within 4 seconds no candidate leads
    And for 4 seconds no candidate leads
    When the stopped etcd members start again
    Then within 20 seconds exactly one leader runs in any cluster
    And the fencing tokens in the history strictly increase

  Scenario: One of 3 etcd members crashes: the election carries on
    Given 3 clusters "east", "west", "south" with one candidate each and 3 etcd members
    And a leader has been elected
    When etcd member 0 is killed
    Then within 20 seconds exactly one leader runs in any cluster
    And for 3 seconds exactly that leader keeps leading
    When the stopped etcd members start again
    Then for 2 seconds exactly that leader keeps leading

  # Breadth: each seed drives its own schedule of two to four faults, some overlapping, on a fresh fleet: partitions
  # (candidate, controller <-> API server, controller <-> etcd, whole cluster), pauses, crashes, releases, clock
  # jumps and drift, controller kills, slow etcd links, cluster loss. The same seed replays the same schedule
  # (targets follow who leads, so timing can still vary). -Dsoak=N adds N seeds, with etcd outages too
  # (-Dsoak.etcdOutages=false leaves them out).
  @chaos
  Scenario Outline: Seeded random fault schedule <seed> with <members> etcd member(s)
    Given 3 clusters "east", "west", "south" with one candidate each and <members> etcd members
    And a leader has been elected
    When the random fault schedule with seed <seed> runs
    Then within 10 seconds exactly one leader runs in any cluster
    And every fault of the schedule is recorded in the history

    Examples:
      | seed | members |
      | 1    | 1       |
      | 2    | 1       |
      | 3    | 1       |
      | 4    | 1       |
      | 5    | 3       |
      | 6    | 1       |
      | 7    | 1       |
      | 8    | 1       |
      | 9    | 1       |
      | 10   | 3       |
      | 11   | 1       |
      | 12   | 1       |
      | 13   | 1       |
      | 14   | 1       |
      | 15   | 3       |
      | 16   | 1       |
      | 17   | 1       |
      | 18   | 1       |
      | 19   | 1       |
      | 20   | 3       |
      | 21   | 1       |
      | 22   | 1       |
      | 23   | 1       |
      | 24   | 1       |
      | 25   | 3       |
      | 26   | 1       |
      | 27   | 1       |
      | 28   | 1       |
      | 29   | 1       |
      | 30   | 3       |
      | 31   | 1       |
      | 32   | 1       |

  # The same schedules with etcd outages in the menu too (members stopped or killed, quorum lost). They found a
  # controller bug, fixed in 3e677ee: an acquire that timed out during an outage was executed by etcd afterwards and
  # left the key held by the controller's own live session, so nobody led again (seed 14, soak seed 1000).
  @chaos
  Scenario Outline: Seeded random fault schedule <seed> with etcd outages and <members> etcd member(s)
    Given 3 clusters "east", "west", "south" with one candidate each and <members> etcd members
    And a leader has been elected
    When the random fault schedule with seed <seed> and etcd outages runs
    Then within 10 seconds exactly one leader runs in any cluster
    And every fault of the schedule is recorded in the history

    Examples:
      | seed | members |
      | 101  | 1       |
      | 102  | 3       |
      | 103  | 1       |
      | 104  | 3       |
      | 105  | 1       |
      | 106  | 3       |
      | 107  | 1       |
      | 108  | 3       |

  @chaos @soak
  Scenario: Soak - the extra seeds asked for with -Dsoak=N, each on a fresh fleet
    Given the number of soak seeds asked for
    When that many random fault schedules run, each on a fresh fleet of 3 clusters
    Then every one of their histories passes the split-brain checker

  # Regression for the bug above: a backend call that timed out on the controller's side was not cancelled -
  # jetcd kept retrying it while etcd had no quorum, and etcd executed it once quorum returned. The contender's
  # acquire then held the key with its own live session while the controller called it "held by an earlier session
  # of this cluster's controller" and kept that lease alive itself: nobody led, for good.
  Scenario: A release and a contender's acquire, both queued during an etcd quorum loss, still end with one leader
    Given 2 clusters "east", "west" with one candidate each and 3 etcd members
    And a leader has been elected
    When 2 of the 3 etcd members stop
    And the leader releases its lease
    Then for 2 seconds no candidate leads
    When the stopped etcd members start again
    Then within 10 seconds exactly one leader runs in another cluster
