package mclctl

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
)

// ContextProblem is a context that could not be asked at all (unreachable, no CRD, forbidden, bad kubeconfig
// entry), with what to do.
type ContextProblem struct {
	Context string `json:"context"`
	Problem string `json:"problem"`
}

// LeaseReport is one lease across the contexts, with its summary; -o json prints a list of them.
type LeaseReport struct {
	Namespace string       `json:"namespace"`
	Name      string       `json:"name"`
	Summary   Summary      `json:"summary"`
	Contexts  []ViewReport `json:"contexts"`
}

// ViewReport is a View with the age of its last echo on the plugin's wall clock (informational).
type ViewReport struct {
	View
	LastEchoAgeSeconds *float64 `json:"lastEchoAgeSeconds,omitempty"`
}

// StatusReport is what status shows, in table or JSON form.
type StatusReport struct {
	ObservedAt  time.Time        `json:"observedAt"`
	Leases      []LeaseReport    `json:"leases"`
	Unavailable []ContextProblem `json:"unavailableContexts,omitempty"`
}

// NewStatusReport groups views by lease (sorted by namespace/name; contexts in the order given) and summarizes each.
func NewStatusReport(now time.Time, views []View, problems []ContextProblem) StatusReport {
	r := StatusReport{ObservedAt: now, Leases: []LeaseReport{}, Unavailable: problems}
	byKey := map[string]int{}
	for _, v := range views {
		i, ok := byKey[v.Key()]
		if !ok {
			i = len(r.Leases)
			byKey[v.Key()] = i
			r.Leases = append(r.Leases, LeaseReport{Namespace: v.Namespace, Name: v.Name})
		}
		vr := ViewReport{View: v}
		if v.ObservedRenewTime != nil {
			age := now.Sub(*v.ObservedRenewTime).Seconds()
			vr.LastEchoAgeSeconds = &age
		}
		r.Leases[i].Contexts = append(r.Leases[i].Contexts, vr)
	}
	slices.SortStableFunc(r.Leases, func(a, b LeaseReport) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	for i := range r.Leases {
		vs := make([]View, len(r.Leases[i].Contexts))
		for j, c := range r.Leases[i].Contexts {
			vs[j] = c.View
		}
		r.Leases[i].Summary = Summarize(vs)
	}
	return r
}

// WriteJSON prints the report as indented JSON.
func (r StatusReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable prints one row per lease per context, a summary line per lease, and a line per unavailable context.
func (r StatusReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTEXT\tNAMESPACE/NAME\tLOCAL CANDIDATE\tLEADER\tLEADER CLUSTER\tTOKEN\tLAST ECHO AGE*\tCONDITIONS")
	for _, l := range r.Leases {
		for _, v := range l.Contexts {
			fmt.Fprintln(tw, strings.Join(row(v, r.ObservedAt), "\t"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Leases) == 0 {
		fmt.Fprintln(w, "no MultiClusterLease in the contexts that answered")
	}
	for _, l := range r.Leases {
		fmt.Fprintln(w, SummaryLine(l.Summary))
		for _, s := range l.Summary.Warnings {
			fmt.Fprintf(w, "  WARNING: %s\n", s)
		}
		for _, s := range l.Summary.Notes {
			fmt.Fprintf(w, "  note: %s\n", s)
		}
	}
	for _, p := range r.Unavailable {
		fmt.Fprintf(w, "context %s: %s\n", p.Context, p.Problem)
	}
	_, err := fmt.Fprintln(w, "* LAST ECHO AGE: this machine's wall clock minus status.observedRenewTime (the candidate's clock): informational, not what leadership is judged by")
	return err
}

func row(v ViewReport, now time.Time) []string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	switch {
	case v.Problem != "":
		return []string{v.Context, v.Key(), "(unreadable: " + v.Problem + ")", "", "", "", "", ""}
	case v.Absent:
		return []string{v.Context, v.Key(), "(absent: create it in this cluster too)", "-", "-", "-", "-", "-"}
	}
	token, age := "-", "-"
	if v.Token != nil {
		token = strconv.FormatInt(*v.Token, 10)
	}
	if v.ObservedRenewTime != nil {
		age = FormatAge(now.Sub(*v.ObservedRenewTime))
	}
	return []string{v.Context, v.Key(), dash(v.Candidate), dash(v.Leader), dash(v.LeaderCluster), token, age,
		FormatConditions(v.Conditions)}
}

// SummaryLine says who leads one lease across the fleet.
func SummaryLine(s Summary) string {
	key := s.Namespace + "/" + s.Name
	if s.Token == nil {
		return key + ": no context names a leader"
	}
	return fmt.Sprintf("%s: fleet leader %s, token %d (contexts %s)", key, who(s.Leader, s.LeaderCluster), *s.Token,
		strings.Join(s.From, ", "))
}

// FormatConditions is Type=True for a true condition, Type=Status(Reason) for any other, comma-separated.
func FormatConditions(cs []Condition) string {
	if len(cs) == 0 {
		return "-"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Type + "=" + c.Status
		if c.Status != "True" && c.Reason != "" {
			parts[i] += "(" + c.Reason + ")"
		}
	}
	return strings.Join(parts, ",")
}

// FormatAge is a duration as kubectl prints ages, with a tenth of a second below 10 s (echoes come every few
// seconds); negative when the candidate's clock is ahead of this machine's.
func FormatAge(d time.Duration) string {
	if d < 0 {
		return "-" + FormatAge(-d)
	}
	if d < 10*time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return duration.HumanDuration(d)
}
