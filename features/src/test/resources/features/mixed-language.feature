@mixed-language
Feature: One election, two languages
  Candidates written in Go (client-go's elector on the Go lock of client/go, each a process of its own) and in
  Java elect one leader across three clusters through the same Java election controllers: the protocol is the
  CRD and docs/protocol.md, not a language. The Go processes report their leadership on stdout, which the
  testbed records into the fleet's history, so the split-brain checker judges Go and Java leaders together.
  Timings are the fast test timings: leaseDuration 2s, renewDeadline 1.5s, retryPeriod 0.2s, backend TTL 3s.

  Scenario: Go and Java candidates elect one leader, and crashes and releases move it between the languages
    Given 3 clusters "east", "west", "south" with one candidate each, not yet started
    And the election controllers run, but no candidate yet
    When a Go candidate "go-east" starts in cluster "east"
    Then within 30 seconds exactly one leader runs among Go and Java candidates: "go-east"
    When the Java candidates of clusters "west" and "south" start
    Then for 3 seconds exactly that leader keeps leading among Go and Java candidates
    # kill -9: no release; east's controller frees the global lock once go-east's last confirmation has run out
    When the Go leader crashes
    Then within 10 seconds exactly one leader runs among Go and Java candidates: a Java candidate in another cluster, with a larger fencing token
    # a new process of go-east, and a Go candidate beside the Java one in south: a local election across languages
    When the Go candidate "go-east" starts again
    And a Go candidate "go-south" starts in cluster "south"
    And the Java candidate that does not lead leaves
    And the Java leader releases its lease
    Then within 5 seconds exactly one leader runs among Go and Java candidates: a Go candidate, with a larger fencing token
    # SIGTERM: client-go's ReleaseOnCancel writes holderIdentity "" through the Go lock, which the controller frees at once
    When the Java candidate of cluster "west" starts
    And the Go candidate that does not lead leaves
    And the Go leader releases its lease
    Then within 5 seconds exactly one leader runs among Go and Java candidates: a Java candidate in another cluster, with a larger fencing token
    And the history holds the Go candidates' leaderships: 2 starts, the first of "go-east" in its first process
