package mclctl

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Annotations of the operator actions (the package doc gives the contract).
const (
	ReleaseTokenAnnotation     = "mclease.dev/release-token"
	PreferredClusterAnnotation = "mclease.dev/preferred-cluster"
)

// View is one MultiClusterLease as one context shows it. Problem is set when the object could not be read there
// (then only Context, Namespace and Name mean anything); Absent when the context has no such object.
type View struct {
	Context           string      `json:"context"`
	Namespace         string      `json:"namespace"`
	Name              string      `json:"name"`
	Absent            bool        `json:"absent,omitempty"`
	Problem           string      `json:"problem,omitempty"`
	Candidate         string      `json:"localCandidate,omitempty"`
	Leader            string      `json:"leader,omitempty"`
	LeaderCluster     string      `json:"leaderCluster,omitempty"`
	Token             *int64      `json:"fencingToken,omitempty"`
	ObservedRenewTime *time.Time  `json:"observedRenewTime,omitempty"`
	Conditions        []Condition `json:"conditions,omitempty"`
	ReleaseToken      string      `json:"releaseToken,omitempty"`
	PreferredCluster  string      `json:"preferredCluster,omitempty"`
}

// Condition is the part of a status condition the plugin shows.
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Key is namespace/name.
func (v View) Key() string { return v.Namespace + "/" + v.Name }

// leads: this view names a leader with a token.
func (v View) leads() bool { return v.Problem == "" && !v.Absent && v.Leader != "" && v.Token != nil }

// Summary is the fleet's view of one lease: the leader named with the highest fencing token, and what disagrees.
type Summary struct {
	Namespace     string   `json:"namespace"`
	Name          string   `json:"name"`
	Leader        string   `json:"leader,omitempty"`
	LeaderCluster string   `json:"leaderCluster,omitempty"`
	Token         *int64   `json:"fencingToken,omitempty"`
	From          []string `json:"from,omitempty"`     // the contexts that name it with that token
	Warnings      []string `json:"warnings,omitempty"` // same token, different leaders
	Notes         []string `json:"notes,omitempty"`    // contexts that lag behind or name nobody
}

// Summarize picks the fleet's leader of one lease from its views (all of the same namespace/name, in context order):
// the leader that a status names with the highest fencing token. Contexts that name another leader with that same
// token are a warning; contexts with a lower token, or none, are notes.
func Summarize(views []View) Summary {
	var s Summary
	if len(views) > 0 {
		s.Namespace, s.Name = views[0].Namespace, views[0].Name
	}
	var best *View
	for i := range views {
		if v := &views[i]; v.leads() && (best == nil || *v.Token > *best.Token) {
			best = v
		}
	}
	if best == nil {
		return s
	}
	tok := *best.Token
	s.Leader, s.LeaderCluster, s.Token = best.Leader, best.LeaderCluster, &tok
	for _, v := range views {
		switch {
		case v.Problem != "" || v.Absent:
		case !v.leads():
			s.Notes = append(s.Notes, fmt.Sprintf("context %s names no leader", v.Context))
		case *v.Token < tok:
			s.Notes = append(s.Notes, fmt.Sprintf("context %s still shows %s with the older token %d (its controller has not seen the newest acquisition yet)",
				v.Context, who(v.Leader, v.LeaderCluster), *v.Token))
		case v.Leader == s.Leader && v.LeaderCluster == s.LeaderCluster:
			s.From = append(s.From, v.Context)
		default:
			s.Warnings = append(s.Warnings, fmt.Sprintf("context %s names %s with the same token %d as context %s names %s: "+
				"two acquisitions with one token must not happen; check that every controller uses the same lock store and a unique --cluster-name",
				v.Context, who(v.Leader, v.LeaderCluster), tok, best.Context, who(best.Leader, best.LeaderCluster)))
		}
	}
	return s
}

func who(leader, cluster string) string {
	if cluster == "" {
		return leader
	}
	return leader + " in " + cluster
}

// CurrentToken is the highest status.fencingToken across the views, whoever it names; ok is false when none has one.
func CurrentToken(views []View) (token int64, ok bool) {
	for _, v := range views {
		if v.Problem == "" && !v.Absent && v.Token != nil && (!ok || *v.Token > token) {
			token, ok = *v.Token, true
		}
	}
	return token, ok
}

// Released is release's wait condition: the first view (in context order) that names a leader with a token larger
// than before.
func Released(views []View, before int64) (View, bool) {
	for _, v := range views {
		if v.leads() && *v.Token > before {
			return v, true
		}
	}
	return View{}, false
}

// Moved is move's wait condition: the first view that names a leader in cluster with a token larger than before.
func Moved(views []View, cluster string, before int64) (View, bool) {
	for _, v := range views {
		if v.leads() && v.LeaderCluster == cluster && *v.Token > before {
			return v, true
		}
	}
	return View{}, false
}

// ClusterKnown: some view's status names cluster (as leaderCluster or in a condition message) or a context has
// its name. move only warns when it is not: a cluster that never led appears in no status.
func ClusterKnown(views []View, cluster string) bool {
	for _, v := range views {
		if v.Context == cluster || v.LeaderCluster == cluster {
			return true
		}
		for _, c := range v.Conditions {
			if slices.Contains(strings.FieldsFunc(c.Message, func(r rune) bool {
				return r == ' ' || r == ',' || r == ';' || r == '(' || r == ')' || r == ':'
			}), cluster) {
				return true
			}
		}
	}
	return false
}
