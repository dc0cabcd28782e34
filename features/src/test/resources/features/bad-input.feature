@bad-input @own-clusters
Feature: Bad input
  Whatever is written into a MultiClusterLease or into the backend by someone other than the protocol, the
  controller reports it in a condition that says what to do, and keeps serving every other lease. Nobody
  takes a lock on the strength of bad input.

  # The CRD's schema makes the API server refuse such a spec. Where the schema is missing (a hand-edited or old
  # CRD) the write goes through, and the controller must still refuse to act on it.
  Scenario Outline: An invalid spec (<what>) is refused by the API server, and reported as InvalidSpec where it slips through
    Given 2 clusters "east", "west" with one candidate each
    And a leader has been elected
    When someone writes the lease "default/broken" straight into every cluster with <field> <value>
    Then every API server refuses it with 422 Invalid, naming "spec.<field>"
    When the MultiClusterLease CRD in every cluster is replaced by one without a validation schema
    And someone writes the lease "default/broken" straight into every cluster with <field> <value>
    Then every API server accepts it
    And within 5 seconds every controller reports condition Leader False with reason InvalidSpec on "default/broken"
    And that condition's message names "<field>"
    And nobody holds "default/broken" in etcd
    And within 5 seconds the old leader still leads with the same fencing token
    When the leader releases its lease
    Then within 2 seconds exactly one leader runs in another cluster

    Examples:
      | what                     | field                | value                   |
      | leaseDurationSeconds 0   | leaseDurationSeconds | 0                       |
      | 300-character holder     | holderIdentity       | a 300-character string  |

  Scenario: A malformed value in etcd is reported, and nobody takes the key
    Given 2 clusters "east", "west" with one candidate each, not yet started
    And the lease's key in etcd holds "this is not a lock value" written straight into etcd
    When the controllers and candidates start
    Then within 5 seconds every controller reports condition Leader False with reason MalformedBackendValue on "default/demo"
    And for 3 seconds no candidate leads
    And the lease's key in etcd still holds "this is not a lock value"
    When the malformed value is deleted from etcd
    Then within 10 seconds exactly one leader runs in any cluster

  Scenario: A cluster without the CRD: its controller refuses to start and says how to fix it, the other cluster leads
    Given 2 clusters "east", "west" with one candidate each, not yet started
    And the MultiClusterLease CRD is not installed in "west"
    When the controllers and candidates start
    Then the controller of "west" refused to start with an error naming "The MultiClusterLease CRD (multiclusterleases.mclease.dev) is not installed in cluster west"
    And within 5 seconds the candidate in "west" reports a problem naming "install the CRD"
    And within 10 seconds exactly one leader runs in "east"
    And for 2 seconds exactly that leader keeps leading

  # RBAC is the real server's: ServiceAccount tokens from the TokenRequest API, the ClusterRole of controller/deploy.
  Scenario: A candidate's service account may not write the status: only its controller may
    Given 1 cluster "east" with one candidate each
    And a leader has been elected
    When the candidate's service account tries to write the lease's status
    Then the API server refuses it with 403 Forbidden
    And for 2 seconds exactly the old leader keeps leading

  Scenario: A candidate whose service account may not create the lease says what to grant, and the other cluster leads
    Given 2 clusters "east", "west" with one candidate each, not yet started
    When the controllers and the candidates of "east" start
    And a candidate starts in "west" as a service account whose Role lacks "create"
    Then within 5 seconds that candidate reports a problem naming "Forbidden: may not create multiclusterleases.mclease.dev"
    And that problem names the rule to grant and quotes the API server's 403 for its service account
    And within 10 seconds exactly one leader runs in "east"
    When that candidate's Role is given "create"
    Then within 10 seconds that candidate's problem clears, and it does not lead
    And for 2 seconds exactly that leader keeps leading
