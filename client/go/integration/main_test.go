// Package integration runs the mclease lock against a real kube-apiserver (controller-runtime's envtest with the
// binaries the testbed uses), with a test-side status writer standing in for the election controller.
package integration

import (
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
	cfg       *rest.Config
	dyn       dynamic.Interface
	kube      kubernetes.Interface
	skipWhy   string
	crdFile   = filepath.Join("..", "..", "..", "crd", "multiclusterleases.mclease.dev-v1.yml")
	startedIn string
)

// assets finds kube-apiserver and etcd: KUBEBUILDER_ASSETS, the directory of MCL_KUBE_APISERVER, or the cache that
// ./mcl test fills (testbed/kube-binaries).
func assets() (string, string) {
	var tried []string
	candidates := []string{os.Getenv("KUBEBUILDER_ASSETS")}
	if p := os.Getenv("MCL_KUBE_APISERVER"); p != "" {
		candidates = append(candidates, filepath.Dir(p))
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache", "mclease", "kube-binaries", "current"))
	}
	for _, dir := range candidates {
		if dir == "" {
			continue
		}
		tried = append(tried, dir)
		if isExec(filepath.Join(dir, "kube-apiserver")) && isExec(filepath.Join(dir, "etcd")) {
			return dir, ""
		}
	}
	return "", fmt.Sprintf("no kube-apiserver and etcd binaries in %v (KUBEBUILDER_ASSETS, MCL_KUBE_APISERVER, "+
		"~/.cache/mclease/kube-binaries/current); ./mcl test builds them", tried)
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func TestMain(m *testing.M) {
	dir, why := assets()
	if dir == "" {
		skipWhy = why
		os.Exit(m.Run())
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: []string{crdFile}, ErrorIfPathMissing: true},
	}
	var err error
	if cfg, err = env.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "envtest with the binaries in %s did not start: %v\n", dir, err)
		os.Exit(1)
	}
	startedIn = dir
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
