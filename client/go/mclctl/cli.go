package mclctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/clock"
)

// Env is what Main takes from its surroundings; zero fields get the defaults.
type Env struct {
	Out, Err io.Writer // os.Stdout, os.Stderr
	// Clock for ages, the wait's timeout and its polling (clock.RealClock{}).
	Clock clock.WithTicker
	// PollInterval between reads of every context while release and move wait (500ms).
	PollInterval time.Duration
	// LoadingRules find the kubeconfig (clientcmd.NewDefaultClientConfigLoadingRules(): KUBECONFIG, ~/.kube/config).
	LoadingRules *clientcmd.ClientConfigLoadingRules
}

// Exit codes of Main.
const (
	ExitOK          = 0
	ExitFailed      = 1 // an error, or the wait timed out
	ExitUsage       = 2
	ExitInterrupted = 130
)

const usage = `kubectl mcl: MultiClusterLease leadership across the clusters of a kubeconfig

  kubectl mcl status [ns/name] [-n ns | -A] [-o table|json]   one line per lease per context, and the fleet's leader
  kubectl mcl release ns/name [--timeout 2m]                  the leader steps down; another cluster's candidate leads
  kubectl mcl move ns/name --to <cluster> [--timeout 2m]      hand leadership over to the controller of <cluster>

Common flags: --context a,b (repeatable; default every context), --kubeconfig, -n/--namespace, --request-timeout.
`

var (
	errTimeout     = errors.New("timed out")
	errInterrupted = errors.New("interrupted")
)

type runner struct {
	Env
	targets   []Target
	namespace string // -n, else the current context's
	nsGiven   bool
	reqTO     time.Duration
}

// Main runs one command (args without the program name) and returns its exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Out == nil {
		env.Out = os.Stdout
	}
	if env.Err == nil {
		env.Err = os.Stderr
	}
	if env.Clock == nil {
		env.Clock = clock.RealClock{}
	}
	if env.PollInterval <= 0 {
		env.PollInterval = 500 * time.Millisecond
	}
	if env.LoadingRules == nil {
		env.LoadingRules = clientcmd.NewDefaultClientConfigLoadingRules()
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(env.Err, usage)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmd, args := args[0], args[1:]
	fs := pflag.NewFlagSet("kubectl mcl "+cmd, pflag.ContinueOnError)
	fs.SetOutput(env.Err)
	contexts := fs.StringSlice("context", nil, "contexts to use, repeatable or comma-separated (default: every context of the kubeconfig)")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: KUBECONFIG, whose files are merged, else ~/.kube/config)")
	ns := fs.StringP("namespace", "n", "", "namespace (default: the current context's)")
	reqTO := fs.Duration("request-timeout", 10*time.Second, "timeout of each request to an API server")
	var all *bool
	var output, to *string
	var timeout *time.Duration
	switch cmd {
	case "status":
		all = fs.BoolP("all-namespaces", "A", false, "leases of every namespace")
		output = fs.StringP("output", "o", "table", "table or json")
	case "release", "move":
		timeout = fs.Duration("timeout", 2*time.Minute, "how long to wait for the new leader")
		if cmd == "move" {
			to = fs.String("to", "", "the cluster (its controller's --cluster-name, status.leaderCluster) to hand over to")
		}
	default:
		fmt.Fprintf(env.Err, "unknown command %q\n\n%s", cmd, usage)
		return ExitUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if *kubeconfig != "" {
		env.LoadingRules.ExplicitPath = *kubeconfig
	}
	r := &runner{Env: env, reqTO: *reqTO, nsGiven: *ns != ""}
	targets, currentNs, err := LoadTargets(env.LoadingRules, *contexts, *reqTO)
	if err != nil {
		fmt.Fprintln(env.Err, err)
		return ExitFailed
	}
	r.targets, r.namespace = targets, currentNs
	if *ns != "" {
		r.namespace = *ns
	}
	pos := fs.Args()
	switch cmd {
	case "status":
		if len(pos) > 1 || *all && len(pos) == 1 || (*output != "table" && *output != "json") {
			fmt.Fprintf(env.Err, "usage: kubectl mcl status [ns/name] [-n ns | -A] [-o table|json]\n")
			return ExitUsage
		}
		return r.status(ctx, pos, *all, *output == "json")
	default:
		if len(pos) != 1 || to != nil && *to == "" {
			fmt.Fprintf(env.Err, "usage: kubectl mcl %s ns/name%s [--timeout 2m]\n", cmd, map[bool]string{true: " --to <cluster>"}[to != nil])
			return ExitUsage
		}
		ns, name, err := r.lease(pos[0])
		if err != nil {
			fmt.Fprintln(env.Err, err)
			return ExitUsage
		}
		if cmd == "release" {
			return r.release(ctx, ns, name, *timeout)
		}
		return r.move(ctx, ns, name, *to, *timeout)
	}
}

// lease reads ns/name, or name in the namespace of -n or the current context.
func (r *runner) lease(arg string) (ns, name string, err error) {
	ns, name, found := strings.Cut(arg, "/")
	if !found {
		return r.namespace, arg, nil
	}
	if ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q is not namespace/name", arg)
	}
	if r.nsGiven && ns != r.namespace {
		return "", "", fmt.Errorf("%q names namespace %s, -n says %s", arg, ns, r.namespace)
	}
	return ns, name, nil
}

// read gets namespace/name in every context; the views of contexts that could not tell are split off as problems.
func (r *runner) read(ctx context.Context, ns, name string) (views []View, problems []ContextProblem) {
	for _, v := range each(r.targets, func(t Target) View { return t.Get(ctx, ns, name) }) {
		if v.Problem != "" {
			problems = append(problems, ContextProblem{Context: v.Context, Problem: v.Problem})
		} else {
			views = append(views, v)
		}
	}
	return views, problems
}

func (r *runner) status(ctx context.Context, pos []string, all, asJSON bool) int {
	var views []View
	var problems []ContextProblem
	if len(pos) == 1 {
		ns, name, err := r.lease(pos[0])
		if err != nil {
			fmt.Fprintln(r.Err, err)
			return ExitUsage
		}
		views, problems = r.read(ctx, ns, name)
	} else {
		ns := r.namespace
		if all {
			ns = ""
		}
		type listed struct {
			views   []View
			problem *ContextProblem
		}
		lists := each(r.targets, func(t Target) listed { v, p := t.List(ctx, ns); return listed{v, p} })
		var answered []string
		for i, l := range lists {
			if l.problem != nil {
				problems = append(problems, *l.problem)
				continue
			}
			answered = append(answered, r.targets[i].Context)
			views = append(views, l.views...)
		}
		views = withAbsent(views, answered)
	}
	report := NewStatusReport(r.Clock.Now(), views, problems)
	var err error
	if asJSON {
		err = report.WriteJSON(r.Out)
	} else {
		err = report.WriteTable(r.Out)
	}
	if err != nil {
		fmt.Fprintln(r.Err, err)
		return ExitFailed
	}
	if len(problems) == len(r.targets) {
		return ExitFailed
	}
	return ExitOK
}

// withAbsent adds an Absent view for every lease that a context which answered does not have, so that a lease
// missing in one cluster shows; views come out grouped by lease, contexts in the order of answered.
func withAbsent(views []View, answered []string) []View {
	byKey := map[string]map[string]View{}
	var keys []View
	for _, v := range views {
		if byKey[v.Key()] == nil {
			byKey[v.Key()] = map[string]View{}
			keys = append(keys, v)
		}
		byKey[v.Key()][v.Context] = v
	}
	var out []View
	for _, k := range keys {
		for _, c := range answered {
			v, ok := byKey[k.Key()][c]
			if !ok {
				v = View{Context: c, Namespace: k.Namespace, Name: k.Name, Absent: true}
			}
			out = append(out, v)
		}
	}
	return out
}

func (r *runner) release(ctx context.Context, ns, name string, timeout time.Duration) int {
	key := ns + "/" + name
	views, problems := r.read(ctx, ns, name)
	r.warn(problems)
	s := Summarize(views)
	if s.Token == nil {
		fmt.Fprintf(r.Out, "%s: no context names a leader: nothing to release\n", key)
		return ExitOK
	}
	before, _ := CurrentToken(views)
	token := fmt.Sprint(*s.Token)
	return r.handOver(ctx, views, ns, name, ReleaseTokenAnnotation, token, timeout,
		fmt.Sprintf("%s: asking %s (token %s) to step down", key, who(s.Leader, s.LeaderCluster), token),
		fmt.Sprintf("a leader with a token above %d", before),
		func(vs []View) (View, bool) { return Released(vs, before) },
		func(v View) string {
			same := ""
			if v.Leader == s.Leader {
				same = " (the same candidate again: no other cluster had a candidate)"
			}
			return fmt.Sprintf("%s: released token %s; new leader %s, token %d (context %s)%s", key, token,
				who(v.Leader, v.LeaderCluster), *v.Token, v.Context, same)
		})
}

func (r *runner) move(ctx context.Context, ns, name, to string, timeout time.Duration) int {
	key := ns + "/" + name
	views, problems := r.read(ctx, ns, name)
	r.warn(problems)
	s := Summarize(views)
	if s.Token != nil && s.LeaderCluster == to {
		fmt.Fprintf(r.Out, "%s: cluster %s already leads (leader %s, token %d): nothing changed\n", key, to, s.Leader, *s.Token)
		return ExitOK
	}
	if !ClusterKnown(views, to) {
		fmt.Fprintf(r.Err, "warning: no context's status names cluster %q and no context is called so; a controller honours "+
			"only its own --cluster-name, so check the spelling (a preference nobody honours only delays acquisitions, for a bounded time)\n", to)
	}
	before, ok := CurrentToken(views)
	if !ok {
		before = math.MinInt64
	}
	was := "no leader"
	if s.Token != nil {
		was = fmt.Sprintf("%s, token %d", who(s.Leader, s.LeaderCluster), *s.Token)
	}
	return r.handOver(ctx, views, ns, name, PreferredClusterAnnotation, to, timeout,
		fmt.Sprintf("%s: moving to cluster %s (now %s)", key, to, was),
		fmt.Sprintf("a leader in cluster %s with a larger token", to),
		func(vs []View) (View, bool) { return Moved(vs, to, before) },
		func(v View) string {
			return fmt.Sprintf("%s: moved to cluster %s: leader %s, token %d (context %s; was %s)", key, to, v.Leader, *v.Token,
				v.Context, was)
		})
}

// handOver sets the annotation in every context that has the object, waits for done, and removes it again from all
// of them whatever happened.
func (r *runner) handOver(ctx context.Context, views []View, ns, name, annotation, value string, timeout time.Duration,
	intro, awaited string, done func([]View) (View, bool), success func(View) string) int {
	var present []Target
	for _, t := range r.targets {
		for _, v := range views {
			if v.Context == t.Context && !v.Absent {
				present = append(present, t)
			}
		}
	}
	defer r.removeAnnotation(ctx, present, ns, name, annotation)
	var set []string
	for i, err := range each(present, func(t Target) error { return t.Annotate(ctx, ns, name, annotation, &value) }) {
		if err != nil {
			fmt.Fprintf(r.Err, "context %s: could not set %s: %v\n", present[i].Context, annotation, err)
		} else {
			set = append(set, present[i].Context)
		}
	}
	if len(set) == 0 {
		fmt.Fprintf(r.Err, "%s/%s: %s is set in no context: nothing asked\n", ns, name, annotation)
		return ExitFailed
	}
	fmt.Fprintf(r.Err, "%s: set %s=%q in contexts %s; waiting up to %s for %s\n", intro, annotation, value,
		strings.Join(set, ", "), timeout, awaited)
	start := r.Clock.Now()
	var last []View
	v, err := r.wait(ctx, timeout, func() (View, bool) {
		last, _ = r.read(ctx, ns, name)
		return done(last)
	})
	switch {
	case err == nil:
		fmt.Fprintf(r.Out, "%s after %s\n", success(v), FormatAge(r.Clock.Since(start)))
		return ExitOK
	case errors.Is(err, errInterrupted):
		fmt.Fprintf(r.Err, "interrupted: removing %s\n", annotation)
		return ExitInterrupted
	default:
		fmt.Fprintf(r.Err, "timed out after %s waiting for %s; the contexts show: %s\n", timeout, awaited, SummaryLine(Summarize(last)))
		return ExitFailed
	}
}

// wait calls check until it holds, every PollInterval, until timeout on the clock or until ctx is done.
func (r *runner) wait(ctx context.Context, timeout time.Duration, check func() (View, bool)) (View, error) {
	deadline := r.Clock.NewTimer(timeout)
	defer deadline.Stop()
	tick := r.Clock.NewTicker(r.PollInterval)
	defer tick.Stop()
	for {
		if v, ok := check(); ok {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return View{}, errInterrupted
		case <-deadline.C():
			return View{}, errTimeout
		case <-tick.C():
		}
	}
}

// removeAnnotation takes the annotation off every context again, with a context of its own so that it also runs
// after an interrupt.
func (r *runner) removeAnnotation(ctx context.Context, targets []Target, ns, name, annotation string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.reqTO)
	defer cancel()
	for i, err := range each(targets, func(t Target) error { return t.Annotate(cctx, ns, name, annotation, nil) }) {
		if err != nil {
			fmt.Fprintf(r.Err, "context %s: could not remove %s: %v; remove it by hand (kubectl --context %s annotate -n %s multiclusterlease %s %s-)\n",
				targets[i].Context, annotation, err, targets[i].Context, ns, name, annotation)
		}
	}
}

func (r *runner) warn(problems []ContextProblem) {
	for _, p := range problems {
		fmt.Fprintf(r.Err, "context %s: %s\n", p.Context, p.Problem)
	}
}
