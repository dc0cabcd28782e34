package mclctl

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func tok(n int64) *int64 { return &n }

func lead(ctx, leader, cluster string, token int64) View {
	return View{Context: ctx, Namespace: "ns", Name: "op", Leader: leader, LeaderCluster: cluster, Token: tok(token)}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name      string
		views     []View
		leader    string // "" is none
		token     int64
		from      string
		warnings  int
		notes     int
		noteShows string
	}{
		{name: "no views"},
		{name: "nobody names a leader", views: []View{{Context: "a"}, {Context: "b", Candidate: "x"}}, notes: 0},
		{name: "all agree", views: []View{lead("a", "x", "east", 3), lead("b", "x", "east", 3)},
			leader: "x", token: 3, from: "a,b"},
		{name: "highest token wins, a lagging context is a note",
			views:  []View{lead("a", "x", "east", 3), lead("b", "y", "west", 4)},
			leader: "y", token: 4, from: "b", notes: 1, noteShows: "older token 3"},
		{name: "the highest token wins wherever it is in the order",
			views:  []View{lead("a", "y", "west", 9), lead("b", "x", "east", 3), lead("c", "y", "west", 9)},
			leader: "y", token: 9, from: "a,c", notes: 1},
		{name: "same token, different leaders: a warning",
			views:  []View{lead("a", "x", "east", 5), lead("b", "y", "west", 5)},
			leader: "x", token: 5, from: "a", warnings: 1},
		{name: "same token and identity, different clusters: a warning",
			views:  []View{lead("a", "x", "east", 5), lead("b", "x", "west", 5)},
			leader: "x", token: 5, from: "a", warnings: 1},
		{name: "a context naming nobody is a note, absent and unreadable ones are not",
			views: []View{lead("a", "x", "east", 2), {Context: "b", Token: tok(7)}, {Context: "c", Absent: true},
				{Context: "d", Problem: "unreachable", Leader: "z", Token: tok(99)}},
			leader: "x", token: 2, from: "a", notes: 1, noteShows: "context b names no leader"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.views)
			if tc.leader == "" {
				if s.Token != nil || s.Leader != "" {
					t.Fatalf("leader %q token %v, want none", s.Leader, s.Token)
				}
				return
			}
			if s.Token == nil || s.Leader != tc.leader || *s.Token != tc.token || strings.Join(s.From, ",") != tc.from {
				t.Fatalf("got %+v, want %s token %d from %s", s, tc.leader, tc.token, tc.from)
			}
			if len(s.Warnings) != tc.warnings || len(s.Notes) != tc.notes {
				t.Fatalf("warnings %q notes %q, want %d and %d", s.Warnings, s.Notes, tc.warnings, tc.notes)
			}
			if tc.noteShows != "" && !strings.Contains(strings.Join(s.Notes, "|"), tc.noteShows) {
				t.Fatalf("notes %q lack %q", s.Notes, tc.noteShows)
			}
		})
	}
}

func TestCurrentToken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		views []View
		want  int64
		ok    bool
	}{
		{name: "none", views: []View{{Context: "a"}}},
		{name: "highest of all", views: []View{lead("a", "x", "e", 3), lead("b", "y", "w", 8), lead("c", "x", "e", 5)}, want: 8, ok: true},
		{name: "a token without a leader still counts", views: []View{lead("a", "x", "e", 3), {Context: "b", Token: tok(4)}}, want: 4, ok: true},
		{name: "unreadable and absent do not", views: []View{lead("a", "x", "e", 3),
			{Context: "b", Problem: "p", Token: tok(40)}, {Context: "c", Absent: true, Token: tok(50)}}, want: 3, ok: true},
		{name: "zero is a token", views: []View{lead("a", "x", "e", 0)}, want: 0, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := CurrentToken(tc.views)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("CurrentToken = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestWaitConditions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		views    []View
		before   int64
		cluster  string
		released string // context of the view Released picks, "" none
		moved    string // the same for Moved(cluster)
	}{
		{name: "still the old token everywhere", views: []View{lead("a", "x", "east", 5), lead("b", "x", "east", 5)},
			before: 5, cluster: "west"},
		{name: "leaderless in between", views: []View{{Context: "a", Token: tok(5)}, {Context: "b", Token: tok(5)}},
			before: 5, cluster: "west"},
		{name: "another cluster leads with a larger token", views: []View{lead("a", "x", "east", 5), lead("b", "y", "west", 6)},
			before: 5, cluster: "west", released: "b", moved: "b"},
		{name: "the same identity again with a larger token counts as released, not as moved",
			views: []View{lead("a", "x", "east", 7)}, before: 5, cluster: "west", released: "a"},
		{name: "a third cluster took it: released but not moved to west",
			views: []View{lead("a", "z", "north", 6), lead("b", "x", "east", 5)}, before: 5, cluster: "west", released: "a"},
		{name: "west with the old token is not a move",
			views: []View{lead("a", "y", "west", 5)}, before: 5, cluster: "west"},
		{name: "an unreadable view never satisfies",
			views: []View{{Context: "a", Problem: "p", Leader: "y", LeaderCluster: "west", Token: tok(9)}}, before: 5, cluster: "west"},
		{name: "no token before (MinInt64 is passed): any leader in west",
			views: []View{lead("a", "y", "west", 1)}, before: -1 << 63, cluster: "west", released: "a", moved: "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := Released(tc.views, tc.before)
			if (tc.released != "") != ok || ok && v.Context != tc.released {
				t.Fatalf("Released = %+v, %v; want context %q", v, ok, tc.released)
			}
			v, ok = Moved(tc.views, tc.cluster, tc.before)
			if (tc.moved != "") != ok || ok && v.Context != tc.moved {
				t.Fatalf("Moved = %+v, %v; want context %q", v, ok, tc.moved)
			}
		})
	}
}

func TestClusterKnown(t *testing.T) {
	views := []View{lead("kind-a", "x", "east", 1), {Context: "kind-b", Conditions: []Condition{{Type: "Leader", Status: "False",
		Message: "the election controller of cluster south is shutting down"}}}}
	for cluster, want := range map[string]bool{"east": true, "kind-b": true, "south": true, "sout": false, "west": false} {
		if got := ClusterKnown(views, cluster); got != want {
			t.Errorf("ClusterKnown(%q) = %v, want %v", cluster, got, want)
		}
	}
}

func TestFormatAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0.0s", 1234 * time.Millisecond: "1.2s", 9940 * time.Millisecond: "9.9s", 42 * time.Second: "42s",
		3*time.Minute + 10*time.Second: "3m10s", 26 * time.Hour: "26h", -1500 * time.Millisecond: "-1.5s",
	} {
		if got := FormatAge(d); got != want {
			t.Errorf("FormatAge(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFormatConditions(t *testing.T) {
	for _, tc := range []struct {
		cs   []Condition
		want string
	}{
		{nil, "-"},
		{[]Condition{{Type: "Leader", Status: "True", Reason: "GlobalLockAcquired"}, {Type: "BackendReachable", Status: "True"}},
			"Leader=True,BackendReachable=True"},
		{[]Condition{{Type: "Leader", Status: "False", Reason: "GlobalLockHeldElsewhere"}, {Type: "RenewDeadlineCovered",
			Status: "Unknown", Reason: "RenewDeadlineNotPublished"}, {Type: "CandidateAlive", Status: "False"}},
			"Leader=False(GlobalLockHeldElsewhere),RenewDeadlineCovered=Unknown(RenewDeadlineNotPublished),CandidateAlive=False"},
	} {
		if got := FormatConditions(tc.cs); got != tc.want {
			t.Errorf("FormatConditions(%+v) = %q, want %q", tc.cs, got, tc.want)
		}
	}
}

func TestStatusTable(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	echo := now.Add(-1300 * time.Millisecond)
	east := lead("east", "op-east-0", "east", 7)
	east.Candidate, east.ObservedRenewTime = "op-east-0", &echo
	east.Conditions = []Condition{{Type: "Leader", Status: "True", Reason: "GlobalLockAcquired"}}
	west := lead("west", "op-east-0", "east", 7)
	west.Candidate = "op-west-1"
	west.Conditions = []Condition{{Type: "Leader", Status: "False", Reason: "GlobalLockHeldElsewhere"}}
	other := View{Context: "west", Namespace: "ns", Name: "aaa", Absent: true}
	report := NewStatusReport(now, []View{east, west, other},
		[]ContextProblem{{Context: "north", Problem: "unreachable (connection refused); check ..."}})
	var b bytes.Buffer
	if err := report.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `CONTEXT  NAMESPACE/NAME  LOCAL CANDIDATE                          LEADER     LEADER CLUSTER  TOKEN  LAST ECHO AGE*  CONDITIONS
west     ns/aaa          (absent: create it in this cluster too)  -          -               -      -               -
east     ns/op           op-east-0                                op-east-0  east            7      1.3s            Leader=True
west     ns/op           op-west-1                                op-east-0  east            7      -               Leader=False(GlobalLockHeldElsewhere)
ns/aaa: no context names a leader
ns/op: fleet leader op-east-0 in east, token 7 (contexts east, west)
context north: unreachable (connection refused); check ...
* LAST ECHO AGE: this machine's wall clock minus status.observedRenewTime (the candidate's clock): informational, not what leadership is judged by
`
	if b.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	if err := report.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Leases []struct {
			Name     string
			Summary  Summary
			Contexts []struct {
				Context            string
				LastEchoAgeSeconds *float64
			}
		}
		UnavailableContexts []ContextProblem
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(back.Leases) != 2 || back.Leases[1].Summary.Leader != "op-east-0" || *back.Leases[1].Summary.Token != 7 ||
		back.Leases[1].Contexts[0].LastEchoAgeSeconds == nil || *back.Leases[1].Contexts[0].LastEchoAgeSeconds != 1.3 ||
		len(back.UnavailableContexts) != 1 {
		t.Fatalf("json:\n%s", b.String())
	}
}

func TestWithAbsent(t *testing.T) {
	views := []View{{Context: "a", Namespace: "n", Name: "x"}, {Context: "b", Namespace: "n", Name: "y"}, {Context: "b", Namespace: "n", Name: "x"}}
	var got []string
	for _, v := range withAbsent(views, []string{"a", "b"}) {
		got = append(got, v.Context+":"+v.Key()+map[bool]string{true: ":absent"}[v.Absent])
	}
	if want := "a:n/x b:n/x a:n/y:absent b:n/y"; strings.Join(got, " ") != want {
		t.Fatalf("got %s, want %s", strings.Join(got, " "), want)
	}
}
