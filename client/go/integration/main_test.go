// Package integration runs the mclease lock against a real kube-apiserver (controller-runtime's envtest with the
// binaries the testbed uses), with a test-side status writer standing in for the election controller.
package integration

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// One API server for the whole package (a few seconds to start); every test works in a namespace of its own.
var (
	cfg     *rest.Config
	dyn     dynamic.Interface
	kube    kubernetes.Interface
	skipWhy string
	crdFile = filepath.Join("..", "..", "..", "crd", "multiclusterleases.mclease.dev-v1.yml")
)

// assets finds kube-apiserver and etcd as ./mcl does (testbed/kube-binaries/ensure.sh): KUBEBUILDER_ASSETS, then
// MCL_KUBE_APISERVER and MCL_ETCD (or MCL_ETCD_BINARY), then the per-machine cache that ./mcl test fills.
func assets() (apiServer, etcd, why string) {
	home, _ := os.UserHomeDir()
	cache := filepath.Join(home, ".cache", "mclease", "kube-binaries", "current")
	var tried []string
	pick := func(env ...string) string {
		for _, e := range env {
			if p := os.Getenv(e); p != "" {
				tried = append(tried, e+"="+p)
				if isExec(p) {
					return p
				}
			}
		}
		return ""
	}
	inDir := func(dir, bin string) string {
		if dir == "" {
			return ""
		}
		tried = append(tried, filepath.Join(dir, bin))
		if p := filepath.Join(dir, bin); isExec(p) {
			return p
		}
		return ""
	}
	apiServer = cmp.Or(inDir(os.Getenv("KUBEBUILDER_ASSETS"), "kube-apiserver"), pick("MCL_KUBE_APISERVER"), inDir(cache, "kube-apiserver"))
	etcd = cmp.Or(inDir(os.Getenv("KUBEBUILDER_ASSETS"), "etcd"), pick("MCL_ETCD", "MCL_ETCD_BINARY"), inDir(cache, "etcd"))
	if apiServer == "" || etcd == "" {
		return "", "", fmt.Sprintf("no kube-apiserver and etcd binaries (tried %v); ./mcl test builds them", tried)
	}
	return apiServer, etcd, ""
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func TestMain(m *testing.M) {
	apiServer, etcd, why := assets()
	if why != "" {
		skipWhy = why
		os.Exit(m.Run())
	}
	env := &envtest.Environment{
		CRDInstallOptions: envtest.CRDInstallOptions{Paths: []string{crdFile}, ErrorIfPathMissing: true},
	}
	env.ControlPlane.GetAPIServer().Path = apiServer
	env.ControlPlane.Etcd = &envtest.Etcd{Path: etcd}
	var err error
	if cfg, err = env.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "envtest with %s and %s did not start: %v\n", apiServer, etcd, err)
		os.Exit(1)
	}
	dyn = dynamic.NewForConfigOrDie(cfg)
	kube = kubernetes.NewForConfigOrDie(cfg)
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "envtest stop: %v\n", err)
	}
	os.Exit(code)
}

// namespace skips without binaries, else creates a fresh namespace for the test.
func namespace(t *testing.T) string {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	ns := "t-" + uuid.NewString()[:8]
	_, err := kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}
