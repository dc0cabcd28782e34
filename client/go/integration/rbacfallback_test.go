package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"mclease.dev/client/go/mclease"
)

// The candidate ClusterRole the project ships; the test's Roles are its rules, with or without patch.
var candidateRoleFile = filepath.Join("..", "..", "..", "controller", "deploy", "clusterrole-candidate.yaml")

// leaseVerbs are the verbs on multiclusterleases whose grant the test waits to see in force.
var leaseVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete"}

// A candidate whose Role grants update but not patch on multiclusterleases (a Role from before 0.3), against a real
// kube-apiserver's RBAC, as a ServiceAccount with a bearer token: it creates the object, its first spec write is a
// JSON Patch refused 403 and then the same write as an update (a PUT with the resourceVersion it decided on), every
// later heartbeat and its release are PUTs only, it says so in one warning, leads, and its release leaves
// holderIdentity "". The positive control is the shipped candidate Role (with patch): every spec write is a JSON
// Patch, no PUT, no warning. (TestATickSendsOnlyItsWrite counts PATCH and PUT as one "spec write", as system:masters.)
func TestSpecWritesFallBackToUpdateWhereTheRoleForbidsPatch(t *testing.T) {
	shipped := shippedCandidateRules(t)
	for _, tc := range []struct {
		name     string
		rules    []rbacv1.PolicyRule
		fallback bool // spec writes fall back to update
	}{
		{"a Role before 0.3, without patch", without(shipped, "patch"), true},
		{"the shipped candidate Role", shipped, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := namespace(t)
			warnings := captureWarnings(t)
			wire := &wireLog{}
			rc := serviceAccountConfig(t, ns, "candidate", tc.rules)
			rc.Wrap(wire.wrap)
			startStatusWriter(t, ns)
			c := runAs(t, rc, short(ns, "go-a"), true)
			select {
			case <-c.started:
			case <-time.After(20 * time.Second):
				t.Fatalf("no leadership: %s; spec writes on the wire: %v", c.lock.Problem(), wire.writes())
			}

			want := http.MethodPatch
			if tc.fallback {
				want = http.MethodPut
			}
			// the lead's heartbeats: the first spec write and three more, written (200) as want
			err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 20*time.Second, true,
				func(context.Context) (bool, error) { return wire.heartbeats(want) >= 4, nil })
			if err != nil {
				t.Fatalf("not four heartbeats written as %s within 20 s: %s; spec writes: %v", want, c.lock.Problem(), wire.writes())
			}
			if !c.lock.Leadership().Leader {
				t.Fatalf("not leading after its heartbeats: %s; spec writes: %v", c.lock.Problem(), wire.writes())
			}
			if p := c.lock.Problem(); p != "" {
				t.Fatalf("problem while leading: %q", p)
			}
			c.stop() // client-go releases (ReleaseOnCancel) while it leads
			if err := c.lock.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if h, ok := spec(t, ns)["holderIdentity"]; !ok || h != "" {
				t.Fatalf("holderIdentity on the server after the release: %v (present %v)", h, ok)
			}

			creates, writes := wire.creates(), wire.writes()
			t.Logf("create %v; %d spec writes: %v", creates, len(writes), writes)
			// the object is the candidate's: it was let create it (a create that the lock's request timeout cut, as on
			// a server just started, is sent again by the next tick, and meets 409 if the cut one went through)
			if len(creates) == 0 || slices.ContainsFunc(creates, func(w wireWrite) bool {
				return w.code != 0 && w.code != http.StatusCreated && w.code != http.StatusConflict
			}) {
				t.Fatalf("creates: %v; want the candidate's create of the object: 201 (or unanswered, or 409 after one)", creates)
			}
			from := 0 // the first spec write that must be sent as want
			if tc.fallback {
				if first := writes[0]; first.method != http.MethodPatch || first.code != http.StatusForbidden || !first.jsonPatch {
					t.Fatalf("first spec write %v; want a JSON Patch refused 403", first)
				}
				from = 1 // then the same write as an update, and every later one
			}
			for i := from; i < len(writes); i++ {
				switch w := writes[i]; {
				case w.method != want:
					t.Fatalf("spec write %d: %v; want %s from spec write %d on", i+1, w, want, from+1)
				case w.method == http.MethodPatch && (w.code != http.StatusOK || !w.jsonPatch):
					t.Fatalf("spec write %d: %v; want a JSON Patch, 200", i+1, w)
				case w.method == http.MethodPut && (w.resourceVersion == "" || (w.code != http.StatusOK && w.code != http.StatusConflict)):
					// a status write between the decision and the update refuses it 409: the lock reads and writes again
					t.Fatalf("spec write %d: %v; want an update with a resourceVersion, 200 or 409", i+1, w)
				}
			}
			release := writes[len(writes)-1]
			if !release.release || release.code != http.StatusOK {
				t.Fatalf("last spec write %v; want the release (holderIdentity \"\"), 200", release)
			}

			said := warnings.lines(ns + "/demo: may not patch")
			switch {
			case tc.fallback && (len(said) != 1 || !strings.Contains(said[0], `add "patch"`)):
				t.Fatalf("warnings of the fallback: %q; want one that says to add \"patch\"", said)
			case !tc.fallback && len(said) != 0:
				t.Fatalf("warnings of a fallback with patch granted: %q", said)
			}
		})
	}
}

// wireLog records, as they go on the wire and with the server's answer, the creates of MultiClusterLease "demo"
// and its spec writes (a PATCH, or a PUT where patch is refused). Writes are never concurrent: the lock serialises
// them.
type wireLog struct {
	mu      sync.Mutex
	entries []wireWrite
}

type wireWrite struct {
	method          string
	code            int    // 0: no answer
	jsonPatch       bool   // a PATCH of type application/json-patch+json
	resourceVersion string // of a PUT's object
	release         bool   // the write sets spec.holderIdentity ""
}

func (w wireWrite) String() string {
	s := fmt.Sprintf("%s %d", w.method, w.code)
	if w.release {
		s += " (release)"
	}
	return s
}

func (l *wireLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		path := r.URL.Path
		object := strings.HasSuffix(path, "/multiclusterleases/demo")
		create := strings.HasSuffix(path, "/multiclusterleases") && r.Method == http.MethodPost
		write := object && (r.Method == http.MethodPatch || r.Method == http.MethodPut)
		if !create && !write {
			return rt.RoundTrip(r)
		}
		e := wireWrite{method: r.Method, jsonPatch: r.Header.Get("Content-Type") == "application/json-patch+json"}
		if r.Body != nil {
			body, err := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				return nil, err
			}
			r = r.Clone(r.Context())
			r.Body = io.NopCloser(bytes.NewReader(body))
			e.resourceVersion, e.release = readWrite(r.Method, body)
		}
		resp, err := rt.RoundTrip(r)
		if resp != nil {
			e.code = resp.StatusCode
		}
		l.mu.Lock()
		l.entries = append(l.entries, e)
		l.mu.Unlock()
		return resp, err
	})
}

// readWrite is what a create or spec write's body says: the object's resourceVersion, and whether it sets
// spec.holderIdentity "" (a PATCH's "add /spec" value, a PUT's or POST's object).
func readWrite(method string, body []byte) (resourceVersion string, release bool) {
	type object struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
		Spec *struct {
			HolderIdentity *string `json:"holderIdentity"`
		} `json:"spec"`
	}
	releases := func(o object) bool {
		return o.Spec != nil && o.Spec.HolderIdentity != nil && *o.Spec.HolderIdentity == ""
	}
	if method == http.MethodPatch {
		var ops []struct {
			Op    string `json:"op"`
			Path  string `json:"path"`
			Value json.RawMessage
		}
		_ = json.Unmarshal(body, &ops)
		for _, op := range ops {
			if op.Op == "add" && op.Path == "/spec" {
				var o object
				_ = json.Unmarshal([]byte(`{"spec":`+string(op.Value)+`}`), &o)
				return "", releases(o)
			}
		}
		return "", false
	}
	var o object
	_ = json.Unmarshal(body, &o)
	return o.Metadata.ResourceVersion, releases(o)
}

func (l *wireLog) recorded(create bool) []wireWrite {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []wireWrite
	for _, e := range l.entries {
		if (e.method == http.MethodPost) == create {
			out = append(out, e)
		}
	}
	return out
}

func (l *wireLog) creates() []wireWrite { return l.recorded(true) }
func (l *wireLog) writes() []wireWrite  { return l.recorded(false) }

// heartbeats is how many spec writes that were no release the server took (200) as method.
func (l *wireLog) heartbeats(method string) int {
	n := 0
	for _, w := range l.writes() {
		if w.method == method && w.code == http.StatusOK && !w.release {
			n++
		}
	}
	return n
}

// shippedCandidateRules are the rules of controller/deploy/clusterrole-candidate.yaml.
func shippedCandidateRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	f, err := os.Open(candidateRoleFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var role rbacv1.ClusterRole
	if err := yaml.NewYAMLOrJSONDecoder(f, 4096).Decode(&role); err != nil {
		t.Fatalf("%s: %v", candidateRoleFile, err)
	}
	if !grants(role.Rules, "patch") || !grants(role.Rules, "update") {
		t.Fatalf("%s grants no update and patch on multiclusterleases: %+v", candidateRoleFile, role.Rules)
	}
	return role.Rules
}

// without is rules with verb removed from each.
func without(rules []rbacv1.PolicyRule, verb string) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, 0, len(rules))
	for _, r := range rules {
		r = *r.DeepCopy()
		r.Verbs = slices.DeleteFunc(r.Verbs, func(v string) bool { return v == verb })
		out = append(out, r)
	}
	return out
}

// grants: rules allow verb on multiclusterleases (no wildcards: the project's rules name both).
func grants(rules []rbacv1.PolicyRule, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.APIGroups, mclease.GroupVersionResource.Group) &&
			slices.Contains(r.Resources, mclease.GroupVersionResource.Resource) && slices.Contains(r.Verbs, verb)
	})
}

// serviceAccountConfig creates ServiceAccount sa in ns, a Role with rules and its RoleBinding, and returns a config
// for the same API server that authenticates as sa with a token from the TokenRequest API (the admin config's TLS
// trust, no client certificate), once the authorizer applies the Role to each of leaseVerbs.
func serviceAccountConfig(t *testing.T, ns, sa string, rules []rbacv1.PolicyRule) *rest.Config {
	t.Helper()
	ctx := context.Background()
	meta := metav1.ObjectMeta{Name: sa, Namespace: ns}
	if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: meta, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: meta,
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: sa},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: ns}}}
	if _, err := kube.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expiry := int64(3600)
	tr, err := kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rc := rest.AnonymousClientConfig(cfg)
	rc.BearerToken = tr.Status.Token
	asSA := kubernetes.NewForConfigOrDie(rc)
	var last map[string]bool
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		last = map[string]bool{}
		for _, verb := range leaseVerbs {
			review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb,
					Group: mclease.GroupVersionResource.Group, Resource: mclease.GroupVersionResource.Resource}}}
			got, err := asSA.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
			if err != nil {
				return false, err
			}
			last[verb] = got.Status.Allowed
		}
		for _, verb := range leaseVerbs {
			if last[verb] != grants(rules, verb) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the authorizer did not apply Role %s/%s (%v) to %s: %v; allowed: %v", ns, sa, rules, sa, err, last)
	}
	return rc
}

// warningLog is what klog writes at WARNING (and above) while a test runs.
type warningLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *warningLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// lines are the warnings that contain s.
func (w *warningLog) lines(s string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, l := range strings.Split(w.buf.String(), "\n") {
		if strings.HasPrefix(l, "W") && strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// captureWarnings sends klog's WARNING output to a warningLog as well (every line still goes to stderr through the
// INFO output) until the test ends.
func captureWarnings(t *testing.T) *warningLog {
	t.Helper()
	w := &warningLog{}
	state := klog.CaptureState()
	t.Cleanup(state.Restore)
	klog.LogToStderr(false)
	klog.SetOutput(os.Stderr)
	klog.SetOutputBySeverity("WARNING", w)
	return w
}
