package mclctl

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
)

func TestLeaseArgument(t *testing.T) {
	for _, tc := range []struct {
		arg, nsFlag     string
		wantNs, wantErr string
		wantName        string
	}{
		{arg: "ns1/op", wantNs: "ns1", wantName: "op"},
		{arg: "op", wantNs: "current", wantName: "op"},
		{arg: "op", nsFlag: "n2", wantNs: "n2", wantName: "op"},
		{arg: "n2/op", nsFlag: "n2", wantNs: "n2", wantName: "op"},
		{arg: "n1/op", nsFlag: "n2", wantErr: "-n says n2"},
		{arg: "/op", wantErr: "not namespace/name"},
		{arg: "a/b/c", wantErr: "not namespace/name"},
	} {
		r := &runner{namespace: "current"}
		if tc.nsFlag != "" {
			r.namespace, r.nsGiven = tc.nsFlag, true
		}
		ns, name, err := r.lease(tc.arg)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("lease(%q, -n %q) = %v, want error with %q", tc.arg, tc.nsFlag, err, tc.wantErr)
			}
			continue
		}
		if err != nil || ns != tc.wantNs || name != tc.wantName {
			t.Errorf("lease(%q, -n %q) = %s, %s, %v; want %s/%s", tc.arg, tc.nsFlag, ns, name, err, tc.wantNs, tc.wantName)
		}
	}
}

func TestExplain(t *testing.T) {
	gr := schema.GroupResource{Group: "mclease.dev", Resource: "multiclusterleases"}
	target := Target{Context: "west", Server: "https://10.0.0.1:6443"}
	for _, tc := range []struct {
		name    string
		err     error
		missing bool // objectMissing(err, "op")
		says    string
	}{
		{name: "object missing", err: apierrors.NewNotFound(gr, "op"), missing: true, says: "answered HTTP 404"},
		{name: "CRD missing (a 404 naming nothing)", err: apierrors.NewNotFound(schema.GroupResource{}, ""),
			says: "no MultiClusterLease CRD at https://10.0.0.1:6443: install it (kubectl --context west apply"},
		{name: "CRD missing on get: the server's plain-text 404 as client-go reports it",
			err:  apierrors.NewGenericServerResponse(404, "GET", gr, "op", "404 page not found", 0, true),
			says: "no MultiClusterLease CRD at https://10.0.0.1:6443"},
		{name: "forbidden", err: apierrors.NewForbidden(gr, "op", errors.New("no")), says: "needs get, list and patch"},
		{name: "unauthorized", err: apierrors.NewUnauthorized("who"), says: "rejected the context's credentials"},
		{name: "deadline", err: context.DeadlineExceeded, says: "unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := objectMissing(tc.err, "op"); got != tc.missing {
				t.Errorf("objectMissing = %v", got)
			}
			if got := target.explain(tc.err); !strings.Contains(got, tc.says) {
				t.Errorf("explain = %q, want it to say %q", got, tc.says)
			}
		})
	}
}

// kubeconfig writes a kubeconfig with one context per name, each pointing at server.
func kubeconfig(t *testing.T, server string, names ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\nclusters:\n")
	for _, n := range names {
		b.WriteString("- name: " + n + "\n  cluster:\n    server: " + server + "\n")
	}
	b.WriteString("users:\n- name: u\n  user:\n    token: t\ncontexts:\n")
	for _, n := range names {
		b.WriteString("- name: " + n + "\n  context:\n    cluster: " + n + "\n    user: u\n    namespace: team\n")
	}
	b.WriteString("current-context: " + names[0] + "\n")
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMainUsageAndUnreachable(t *testing.T) {
	cfg := kubeconfig(t, "http://127.0.0.1:1", "b", "a")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		out    string // in stdout
		errOut string // in stderr
	}{
		{name: "no command", args: nil, code: ExitUsage, errOut: "kubectl mcl status"},
		{name: "unknown command", args: []string{"frobnicate"}, code: ExitUsage, errOut: `unknown command "frobnicate"`},
		{name: "move without --to", args: []string{"move", "ns/op", "--kubeconfig", cfg}, code: ExitUsage, errOut: "--to <cluster>"},
		{name: "release without a lease", args: []string{"release", "--kubeconfig", cfg}, code: ExitUsage, errOut: "usage"},
		{name: "bad output", args: []string{"status", "-o", "yaml", "--kubeconfig", cfg}, code: ExitUsage, errOut: "usage"},
		{name: "unknown context", args: []string{"status", "--context", "a,zz", "--kubeconfig", cfg}, code: ExitFailed,
			errOut: `no context "zz" in the kubeconfig; it has a, b`},
		{name: "every context unreachable: a line each, no crash", args: []string{"status", "--kubeconfig", cfg}, code: ExitFailed,
			out: "context a: unreachable"},
		{name: "a named lease, one selected context", args: []string{"status", "team/op", "--context", "b", "--kubeconfig", cfg},
			code: ExitFailed, out: "context b: unreachable"},
		{name: "release with every context unreachable asks nothing", args: []string{"release", "op", "--kubeconfig", cfg},
			code: ExitOK, out: "team/op: no context names a leader: nothing to release", errOut: "context a: unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(context.Background(), tc.args, Env{Out: &out, Err: &errOut, LoadingRules: &clientcmd.ClientConfigLoadingRules{}})
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errOut.String())
			}
		})
	}
}
