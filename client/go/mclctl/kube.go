package mclctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"mclease.dev/client/go/mclease"
)

const fieldManager = "kubectl-mcl"

// Target is one selected context: a dynamic client on its API server, or the reason there is none.
type Target struct {
	Context string
	Server  string
	Client  dynamic.Interface
	Problem string // the kubeconfig entry is unusable
}

// LoadTargets reads the kubeconfig that rules give (client-go merges every file of KUBECONFIG) and makes a client per
// selected context, every context when none is selected (sorted by name). It also returns the namespace of the
// current context ("default" when it has none), which commands use when -n is not given.
func LoadTargets(rules *clientcmd.ClientConfigLoadingRules, selected []string, requestTimeout time.Duration) ([]Target, string, error) {
	raw, err := rules.Load()
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the kubeconfig: %w", err)
	}
	var names []string
	for n := range raw.Contexts {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return nil, "", fmt.Errorf("the kubeconfig (%s) has no contexts: give --kubeconfig or set KUBECONFIG (files joined by ':')",
			strings.Join(rules.GetLoadingPrecedence(), ":"))
	}
	if len(selected) > 0 {
		for _, s := range selected {
			if raw.Contexts[s] == nil {
				return nil, "", fmt.Errorf("no context %q in the kubeconfig; it has %s", s, strings.Join(names, ", "))
			}
		}
		names = slices.Compact(slices.Clone(selected))
	}
	ns := "default"
	if c := raw.Contexts[raw.CurrentContext]; c != nil && c.Namespace != "" {
		ns = c.Namespace
	}
	targets := make([]Target, 0, len(names))
	for _, n := range names {
		t := Target{Context: n}
		rc, err := clientcmd.NewNonInteractiveClientConfig(*raw, n, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
		if err == nil {
			t.Server = rc.Host
			rc.Timeout = requestTimeout
			rc.UserAgent = "kubectl-mcl"
			t.Client, err = dynamic.NewForConfig(rc)
		}
		if err != nil {
			t.Problem = fmt.Sprintf("its kubeconfig entry is unusable: %v; fix it (kubectl config view --minify --context %s)", err, n)
		}
		targets = append(targets, t)
	}
	return targets, ns, nil
}

func (t Target) resource(ns string) dynamic.ResourceInterface {
	return t.Client.Resource(mclease.GroupVersionResource).Namespace(ns)
}

// Get reads namespace/name: a View, Absent when this context has no such object, Problem when it cannot tell.
func (t Target) Get(ctx context.Context, ns, name string) View {
	v := View{Context: t.Context, Namespace: ns, Name: name}
	if t.Problem != "" {
		v.Problem = t.Problem
		return v
	}
	u, err := t.resource(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil:
		return viewOf(t.Context, u)
	case objectMissing(err, name):
		v.Absent = true
	default:
		v.Problem = t.explain(err)
	}
	return v
}

// List reads every lease in ns ("" is all namespaces).
func (t Target) List(ctx context.Context, ns string) ([]View, *ContextProblem) {
	if t.Problem != "" {
		return nil, &ContextProblem{Context: t.Context, Problem: t.Problem}
	}
	l, err := t.resource(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, &ContextProblem{Context: t.Context, Problem: t.explain(err)}
	}
	vs := make([]View, 0, len(l.Items))
	for i := range l.Items {
		vs = append(vs, viewOf(t.Context, &l.Items[i]))
	}
	return vs, nil
}

// Annotate sets key to value on namespace/name with a JSON merge patch on metadata.annotations (nil removes it).
// It never touches spec or status.
func (t Target) Annotate(ctx context.Context, ns, name, key string, value *string) error {
	if t.Problem != "" {
		return errors.New(t.Problem)
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{key: value}}})
	if err != nil {
		return err
	}
	_, err = t.resource(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
	if err != nil {
		return errors.New(t.explain(err))
	}
	return nil
}

// explain says what failed and what to do.
func (t Target) explain(err error) string {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		var netErr net.Error
		var urlErr *url.Error
		if errors.As(err, &netErr) || errors.As(err, &urlErr) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("unreachable (%v); check that the cluster runs and the context's server %s (kubectl --context %s get --raw /version)",
				err, t.Server, t.Context)
		}
		return err.Error()
	}
	said := st.Status().Message
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Sprintf("Unauthorized: %s rejected the context's credentials; refresh them (kubectl --context %s get ns)", t.Server, t.Context)
	case apierrors.IsForbidden(err):
		return fmt.Sprintf("Forbidden: %s; the plugin needs get, list and patch on multiclusterleases.mclease.dev", said)
	case crdMissing(err):
		return fmt.Sprintf("no MultiClusterLease CRD at %s: install it (kubectl --context %s apply -f crd/multiclusterleases.mclease.dev-v1.yml)",
			t.Server, t.Context)
	default:
		return fmt.Sprintf("%s answered HTTP %d: %s", t.Server, st.Status().Code, said)
	}
}

// objectMissing: a 404 that the API server answered with a Status naming the object. Without the CRD the request
// reaches the server's last handler, whose 404 is plain text; client-go then makes a generic error of it (naming the
// object too, but with an "unexpected server response" cause).
func objectMissing(err error, name string) bool {
	var st apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &st) || crdMissing(err) {
		return false
	}
	d := st.Status().Details
	return d != nil && d.Name == name
}

// crdMissing: a 404 that names no object (list, watch), or one that is not the API server's Status.
func crdMissing(err error) bool {
	var st apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &st) {
		return false
	}
	d := st.Status().Details
	if d == nil || d.Name == "" {
		return true
	}
	for _, c := range d.Causes {
		if c.Type == metav1.CauseTypeUnexpectedServerResponse {
			return true
		}
	}
	return false
}

// viewOf reads the fields the plugin shows; a field of an unexpected type is left out.
func viewOf(context string, u *unstructured.Unstructured) View {
	v := View{Context: context, Namespace: u.GetNamespace(), Name: u.GetName()}
	v.Candidate, _, _ = unstructured.NestedString(u.Object, "spec", "holderIdentity")
	v.Leader, _, _ = unstructured.NestedString(u.Object, "status", "leader")
	v.LeaderCluster, _, _ = unstructured.NestedString(u.Object, "status", "leaderCluster")
	if tok, ok := int64Field(u.Object, "status", "fencingToken"); ok {
		v.Token = &tok
	}
	if s, _, _ := unstructured.NestedString(u.Object, "status", "observedRenewTime"); s != "" {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			v.ObservedRenewTime = &t
		}
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		v.Conditions = append(v.Conditions, Condition{Type: str("type"), Status: str("status"), Reason: str("reason"),
			Message: str("message")})
	}
	a := u.GetAnnotations()
	v.ReleaseToken, v.PreferredCluster = a[ReleaseTokenAnnotation], a[PreferredClusterAnnotation]
	return v
}

func int64Field(obj map[string]any, path ...string) (int64, bool) {
	f, ok, _ := unstructured.NestedFieldNoCopy(obj, path...)
	if !ok {
		return 0, false
	}
	switch n := f.(type) {
	case int64:
		return n, true
	case float64:
		return int64(n), n == float64(int64(n))
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// each runs f for every target at once (one slow or unreachable context does not delay the others); results are in
// target order.
func each[R any](targets []Target, f func(Target) R) []R {
	out := make([]R, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { out[i] = f(t) })
	}
	wg.Wait()
	return out
}
