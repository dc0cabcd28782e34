package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"mclease.dev/client/go/mclctl"
	"mclease.dev/client/go/mclease"
)

// TestKubectlMcl runs the plugin's commands against two real API servers, the package's (context "east") and one of
// its own ("west", started without the CRD), merged from two kubeconfig files through KUBECONFIG. The test plays
// both clusters' election controllers over one shared in-memory global lock, and honours the annotations the way
// mclctl's package doc says.
func TestKubectlMcl(t *testing.T) {
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	apiServer, etcd, _ := assets()
	env2 := &envtest.Environment{}
	env2.ControlPlane.GetAPIServer().Path = apiServer
	env2.ControlPlane.Etcd = &envtest.Etcd{Path: etcd}
	cfg2, err := env2.Start()
	if err != nil {
		t.Fatalf("second envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env2.Stop(); err != nil {
			t.Logf("second envtest stop: %v", err)
		}
	})
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", writeKubeconfig(t, dir, "east", cfg)+string(os.PathListSeparator)+writeKubeconfig(t, dir, "west", cfg2))
	ns := namespace(t)
	kube2 := kubernetes.NewForConfigOrDie(cfg2)
	if _, err := kube2.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	clusters := map[string]dynamic.Interface{"east": dyn, "west": dynamic.NewForConfigOrDie(cfg2)}
	createLease(t, clusters["east"], ns, "cand-east")
	key := ns + "/op"

	t.Run("status says which context lacks the CRD and what to do", func(t *testing.T) {
		code, out, _ := plugin(context.Background(), "status", key)
		if code != 0 || !strings.Contains(out, "context west: no MultiClusterLease CRD at ") ||
			!strings.Contains(out, "kubectl --context west apply -f crd/multiclusterleases.mclease.dev-v1.yml") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	if _, err := envtest.InstallCRDs(cfg2, envtest.CRDInstallOptions{Paths: []string{crdFile}, ErrorIfPathMissing: true}); err != nil {
		t.Fatal(err)
	}
	createLease(t, clusters["west"], ns, "") // west's candidate comes once east leads: east has token 1
	fleet := startFakeFleet(t, clusters, ns, "op", time.Second)
	awaitLeader(t, clusters, ns, "east", 1)
	setCandidate(t, clusters["west"], ns, "cand-west")

	t.Run("status: a line per context and the fleet's leader", func(t *testing.T) {
		code, out, errOut := plugin(context.Background(), "status", "-n", ns)
		if code != 0 {
			t.Fatalf("exit %d:\n%s%s", code, out, errOut)
		}
		t.Logf("kubectl mcl status -n %s:\n%s", ns, out)
		rows := map[string]string{}
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) == 8 && f[1] == key {
				rows[f[0]] = strings.Join(append(f[2:6:6], f[7]), " ")
			}
		}
		for ctx, want := range map[string]string{
			"east": "cand-east cand-east east 1 Leader=True",
			"west": "cand-west cand-east east 1 Leader=False(GlobalLockHeldElsewhere)",
		} {
			if rows[ctx] != want {
				t.Errorf("row of %s: %q, want %q, in\n%s", ctx, rows[ctx], want, out)
			}
		}
		if want := key + ": fleet leader cand-east in east, token 1 (contexts east, west)"; !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
		code, out, _ = plugin(context.Background(), "status", "-A", "-o", "json")
		var report mclctl.StatusReport
		if err := json.Unmarshal([]byte(out), &report); code != 0 || err != nil {
			t.Fatalf("exit %d, %v:\n%s", code, err, out)
		}
		for _, l := range report.Leases {
			if l.Namespace == ns && (len(l.Contexts) != 2 || l.Summary.Leader != "cand-east" || *l.Summary.Token != 1) {
				t.Errorf("lease %s in JSON: %+v", key, l)
			}
		}
	})

	t.Run("release: west's candidate leads with a larger token, the annotation is gone", func(t *testing.T) {
		gen := generations(t, clusters, ns)
		code, out, errOut := plugin(context.Background(), "release", key, "--timeout", "1m")
		if code != 0 || !strings.Contains(out, "released token 1; new leader cand-west in west, token 2") {
			t.Fatalf("exit %d:\n%s%s", code, out, errOut)
		}
		t.Logf("kubectl mcl release %s:\n%s%s", key, errOut, out)
		if fleet.asked(mclctl.ReleaseTokenAnnotation) != "1" {
			t.Errorf("the controllers never saw release-token 1")
		}
		assertNoAnnotations(t, clusters, ns)
		assertGenerations(t, clusters, ns, gen)
	})

	t.Run("move to the cluster that leads changes nothing", func(t *testing.T) {
		code, out, _ := plugin(context.Background(), "move", key, "--to", "west")
		if code != 0 || !strings.Contains(out, "cluster west already leads (leader cand-west, token 2): nothing changed") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if fleet.asked(mclctl.PreferredClusterAnnotation) != "" {
			t.Errorf("a preference was set")
		}
	})

	t.Run("move: east leads with a larger token", func(t *testing.T) {
		code, out, errOut := plugin(context.Background(), "move", key, "--to", "east", "--timeout", "1m")
		if code != 0 || !strings.Contains(out, "moved to cluster east: leader cand-east, token 3") ||
			strings.Contains(errOut, "warning") {
			t.Fatalf("exit %d:\n%s%s", code, out, errOut)
		}
		t.Logf("kubectl mcl move %s --to east:\n%s%s", key, errOut, out)
		assertNoAnnotations(t, clusters, ns)
	})

	t.Run("release with no candidate elsewhere: the same identity again, after L", func(t *testing.T) {
		setCandidate(t, clusters["west"], ns, "")
		code, out, errOut := plugin(context.Background(), "release", key, "--context", "east,west")
		if code != 0 || !strings.Contains(out, "new leader cand-east in east, token 4") ||
			!strings.Contains(out, "the same candidate again") {
			t.Fatalf("exit %d:\n%s%s", code, out, errOut)
		}
		assertNoAnnotations(t, clusters, ns)
		setCandidate(t, clusters["west"], ns, "cand-west")
	})

	t.Run("move to a cluster nobody runs: a warning, timeout, exit 1, annotation removed", func(t *testing.T) {
		code, out, errOut := plugin(context.Background(), "move", key, "--to", "nowhere", "--timeout", "1500ms")
		if code != mclctl.ExitFailed || !strings.Contains(errOut, `warning: no context's status names cluster "nowhere"`) ||
			!strings.Contains(errOut, "timed out after 1.5s") {
			t.Fatalf("exit %d:\n%s%s", code, out, errOut)
		}
		assertNoAnnotations(t, clusters, ns)
	})

	t.Run("interrupted: the annotation is removed", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		type result struct {
			code        int
			out, errOut string
		}
		done := make(chan result, 1)
		go func() {
			code, out, errOut := plugin(ctx, "move", key, "--to", "nowhere", "--timeout", "10m")
			done <- result{code, out, errOut}
		}()
		poll(t, func() bool {
			return annotation(t, clusters["east"], ns, mclctl.PreferredClusterAnnotation) == "nowhere" &&
				annotation(t, clusters["west"], ns, mclctl.PreferredClusterAnnotation) == "nowhere"
		}, "the preference set in both contexts")
		cancel()
		r := <-done
		if r.code != mclctl.ExitInterrupted || !strings.Contains(r.errOut, "interrupted: removing mclease.dev/preferred-cluster") {
			t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.errOut)
		}
		assertNoAnnotations(t, clusters, ns)
	})
}

// plugin runs kubectl mcl in this process with the KUBECONFIG of the test.
func plugin(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = mclctl.Main(ctx, args, mclctl.Env{Out: &out, Err: &errOut, PollInterval: 50 * time.Millisecond})
	return code, out.String(), errOut.String()
}

// writeKubeconfig writes the admin credentials of an envtest API server as a kubeconfig whose cluster, user and
// context are all called name.
func writeKubeconfig(t *testing.T, dir, name string, c *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{Server: c.Host, CertificateAuthorityData: c.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: c.CertData, ClientKeyData: c.KeyData, Token: c.BearerToken}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	kc.CurrentContext = name
	p := filepath.Join(dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*kc, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func createLease(t *testing.T, c dynamic.Interface, ns, candidate string) {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "mclease.dev/v1alpha1", "kind": "MultiClusterLease",
		"metadata": map[string]any{"namespace": ns, "name": "op"},
		"spec": map[string]any{"holderIdentity": candidate, "leaseDurationSeconds": int64(1),
			"renewTime": time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")}}}
	if _, err := c.Resource(mclease.GroupVersionResource).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func setCandidate(t *testing.T, c dynamic.Interface, ns, candidate string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"holderIdentity":%q}}`, candidate)
	if _, err := c.Resource(mclease.GroupVersionResource).Namespace(ns).Patch(context.Background(), "op", "application/merge-patch+json",
		[]byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, c dynamic.Interface, ns string) *unstructured.Unstructured {
	t.Helper()
	u, err := c.Resource(mclease.GroupVersionResource).Namespace(ns).Get(context.Background(), "op", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func annotation(t *testing.T, c dynamic.Interface, ns, key string) string {
	return get(t, c, ns).GetAnnotations()[key]
}

func assertNoAnnotations(t *testing.T, clusters map[string]dynamic.Interface, ns string) {
	t.Helper()
	for name, c := range clusters {
		a := get(t, c, ns).GetAnnotations()
		for _, k := range []string{mclctl.ReleaseTokenAnnotation, mclctl.PreferredClusterAnnotation} {
			if v, ok := a[k]; ok {
				t.Errorf("%s still has %s=%q", name, k, v)
			}
		}
	}
}

func generations(t *testing.T, clusters map[string]dynamic.Interface, ns string) map[string]int64 {
	g := map[string]int64{}
	for name, c := range clusters {
		g[name] = get(t, c, ns).GetGeneration()
	}
	return g
}

// assertGenerations: the plugin wrote metadata only (a spec change would bump the generation).
func assertGenerations(t *testing.T, clusters map[string]dynamic.Interface, ns string, before map[string]int64) {
	t.Helper()
	for name, g := range generations(t, clusters, ns) {
		if g != before[name] {
			t.Errorf("%s: generation %d → %d: the plugin changed spec", name, before[name], g)
		}
	}
}

// poll checks cond until it holds, failing after 30 s.
func poll(t *testing.T, cond func() bool, what string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func awaitLeader(t *testing.T, clusters map[string]dynamic.Interface, ns, cluster string, token int64) {
	t.Helper()
	poll(t, func() bool {
		for _, c := range clusters {
			u := get(t, c, ns)
			lc, _, _ := unstructured.NestedString(u.Object, "status", "leaderCluster")
			tok, _, _ := unstructured.NestedInt64(u.Object, "status", "fencingToken")
			if lc != cluster || tok != token {
				return false
			}
		}
		return true
	}, fmt.Sprintf("%s leading with token %d in every cluster", cluster, token))
}

// fakeFleet plays the election controllers of every cluster over one in-memory global lock, as the annotation
// contract says: the holder of the token named by release-token steps down and does not acquire again for L; a
// holder outside the preferred cluster steps down, and controllers outside it hold back for 2·L after they first
// saw the preference. Each controller writes the outcome into its own cluster's status through /status.
type fakeFleet struct {
	mu        sync.Mutex
	holder    string // cluster, "" when the key is free
	leader    string
	token     int64
	heldBack  map[string]time.Time
	prefSeen  map[string]string
	prefSince map[string]time.Time
	seen      map[string]string // annotation → the last non-empty value any controller saw
}

func startFakeFleet(t *testing.T, clusters map[string]dynamic.Interface, ns, name string, lease time.Duration) *fakeFleet {
	f := &fakeFleet{heldBack: map[string]time.Time{}, prefSeen: map[string]string{}, prefSince: map[string]time.Time{},
		seen: map[string]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for cluster, c := range clusters {
		wg.Go(func() {
			tick := time.NewTicker(20 * time.Millisecond) // the controller's own loop, not a wait of the test
			defer tick.Stop()
			for {
				f.reconcile(ctx, t, cluster, c.Resource(mclease.GroupVersionResource).Namespace(ns), name, lease)
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		})
	}
	return f
}

func (f *fakeFleet) asked(annotation string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[annotation]
}

func (f *fakeFleet) reconcile(ctx context.Context, t *testing.T, cluster string, r dynamic.ResourceInterface, name string, lease time.Duration) {
	u, err := r.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return
	}
	candidate, _, _ := unstructured.NestedString(u.Object, "spec", "holderIdentity")
	renew, _, _ := unstructured.NestedString(u.Object, "spec", "renewTime")
	a := u.GetAnnotations()
	release, pref := a[mclctl.ReleaseTokenAnnotation], a[mclctl.PreferredClusterAnnotation]
	now := time.Now()

	f.mu.Lock()
	for k, v := range map[string]string{mclctl.ReleaseTokenAnnotation: release, mclctl.PreferredClusterAnnotation: pref} {
		if v != "" {
			f.seen[k] = v
		}
	}
	if pref != f.prefSeen[cluster] {
		f.prefSeen[cluster], f.prefSince[cluster] = pref, now
	}
	honourPref := pref != "" && pref != cluster && now.Sub(f.prefSince[cluster]) < 2*lease
	if f.holder == cluster && (release == strconv.FormatInt(f.token, 10) || honourPref || candidate == "") {
		if release == strconv.FormatInt(f.token, 10) {
			f.heldBack[cluster] = now.Add(lease)
		}
		f.holder, f.leader = "", ""
	}
	if f.holder == "" && candidate != "" && !now.Before(f.heldBack[cluster]) && !honourPref {
		f.holder, f.leader = cluster, candidate
		f.token++
	}
	leaderCond := map[string]any{"type": "Leader", "status": "False", "reason": "GlobalLockHeldElsewhere",
		"message": "held by cluster " + f.holder, "lastTransitionTime": "2026-12-01T00:00:00Z"}
	status := map[string]any{"leader": f.leader, "leaderCluster": f.holder, "fencingToken": f.token}
	if f.holder == cluster {
		leaderCond["status"], leaderCond["reason"] = "True", "GlobalLockAcquired"
		status["observedRenewTime"], status["acquireTime"] = renew, renew
	}
	status["conditions"] = []any{leaderCond}
	f.mu.Unlock()

	old, _, _ := unstructured.NestedMap(u.Object, "status")
	delete(old, "conditions")
	cmp := map[string]any{}
	for k, v := range status {
		if k != "conditions" {
			cmp[k] = v
		}
	}
	if fmt.Sprint(old) == fmt.Sprint(cmp) {
		return
	}
	u.Object["status"] = status
	if _, err := r.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) && ctx.Err() == nil {
		t.Logf("fake controller of %s: %v", cluster, err)
	}
}
