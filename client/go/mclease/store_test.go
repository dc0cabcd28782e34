package mclease

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
)

// A Role from before 0.3 grants update but not patch: the store's first spec write meets a 403 on the patch and
// writes with update instead, and every later one goes to update at once (the real server's side of spec writes,
// their tests and their 422, is ApiSemanticsContract's, run on kube-apiserver).
func TestWriteSpecFallsBackToUpdateWhereAPatchIsForbidden(t *testing.T) {
	ctx := context.Background()
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"namespace": "ns", "name": "demo"},
		"spec":     map[string]any{"holderIdentity": "a", "renewTime": "2026-03-01T12:00:00.000000Z"},
	}}
	c := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{GroupVersionResource: kind + "List"}, obj)
	c.PrependReactor("patch", GroupVersionResource.Resource, func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(GroupVersionResource.GroupResource(), "demo", errors.New("no patch"))
	})
	s := newDynamicStore(c, "ns", "demo", "")

	for i, renew := range []string{"2026-03-01T12:00:02.000000Z", "2026-03-01T12:00:04.000000Z"} {
		base, err := s.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.ClearActions()
		written, err := s.writeSpec(ctx, base, leaseSpec{HolderIdentity: "a", RenewTime: renew})
		if err != nil {
			t.Fatalf("write %d: %v", i+1, err)
		}
		if written.spec.RenewTime != renew {
			t.Fatalf("write %d stored renewTime %q, want %q", i+1, written.spec.RenewTime, renew)
		}
		var verbs []string
		for _, a := range c.Actions() {
			verbs = append(verbs, a.GetVerb())
		}
		want := map[int]string{0: "[patch update]", 1: "[update]"}[i]
		if got := fmtVerbs(verbs); got != want {
			t.Fatalf("write %d sent %s, want %s", i+1, got, want)
		}
	}
	if !s.fallbackSaid {
		t.Fatal("the fallback was not said")
	}
}

func fmtVerbs(v []string) string {
	out := "["
	for i, s := range v {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out + "]"
}
