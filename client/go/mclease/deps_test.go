package mclease

import (
	"os/exec"
	"strings"
	"testing"
)

// The package must stay a small dependency for any controller: client-go and apimachinery (and what they bring),
// never an etcd client, gRPC, a cloud SDK or controller-runtime (examples and tests may use the latter).
func TestDependenciesAreClientGoAndApimachineryOnly(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH to list the dependencies with")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{"go.etcd.io/", "google.golang.org/grpc", "cloud.google.com/", "github.com/aws/",
		"github.com/Azure/", "golang.org/x/oauth2/google", "sigs.k8s.io/controller-runtime"}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %v", deps)
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("mclease depends on %s (forbidden prefix %s)", d, f)
			}
		}
	}
	var direct []string
	for _, d := range deps {
		if strings.HasPrefix(d, "k8s.io/") || strings.HasPrefix(d, "mclease.dev/") {
			continue
		}
		direct = append(direct, d)
	}
	t.Logf("%d non-standard packages, %d outside k8s.io", len(deps), len(direct))
}
