package mclease

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestSpecPatchTestsWhatTheLocalElectionDecidedOn(t *testing.T) {
	lease := int64(15)
	next := leaseSpec{HolderIdentity: "me", LeaseDurationSeconds: &lease, RenewTime: "2026-03-01T12:00:02.500000Z",
		HolderInstance: "i-2"}
	nextJSON := `{"op":"add","path":"/spec","value":{"holderIdentity":"me","holderInstance":"i-2",` +
		`"leaseDurationSeconds":15,"renewTime":"2026-03-01T12:00:02.500000Z"}}`
	tests := []struct {
		name string
		spec any // the raw spec the server sent; nil: none
		want string
	}{
		{"all three as sent", map[string]any{"holderIdentity": "other", "holderInstance": "i-1",
			"renewTime": "2026-03-01T12:00:00.000001Z", "leaseDurationSeconds": int64(15)},
			`[{"op":"test","path":"/spec/holderIdentity","value":"other"},` +
				`{"op":"test","path":"/spec/holderInstance","value":"i-1"},` +
				`{"op":"test","path":"/spec/renewTime","value":"2026-03-01T12:00:00.000001Z"},` + nextJSON + `]`},
		{"absent fields are tested as null (a release; an old client)", map[string]any{"holderIdentity": ""},
			`[{"op":"test","path":"/spec/holderIdentity","value":""},` +
				`{"op":"test","path":"/spec/holderInstance","value":null},` +
				`{"op":"test","path":"/spec/renewTime","value":null},` + nextJSON + `]`},
		{"no holderIdentity at all stays null, not \"\"", map[string]any{"leaseDurationSeconds": int64(15)},
			`[{"op":"test","path":"/spec/holderIdentity","value":null},` +
				`{"op":"test","path":"/spec/holderInstance","value":null},` +
				`{"op":"test","path":"/spec/renewTime","value":null},` + nextJSON + `]`},
		{"no spec: /spec itself", nil, `[{"op":"test","path":"/spec","value":null},` + nextJSON + `]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "x"}}}
			if tt.spec != nil {
				u.Object["spec"] = tt.spec
			}
			base, err := fromUnstructured(u)
			if err != nil {
				t.Fatal(err)
			}
			got, err := specPatch(base, next)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, got, tt.want) {
				t.Errorf("patch\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestOnlyAFailedTestIsAStaleSpec(t *testing.T) {
	status := func(code int32, msg string) error {
		return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: code, Message: msg,
			Reason: metav1.StatusReasonInvalid, Details: &metav1.StatusDetails{}}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		// what kube-apiserver 1.37 answers a failed test (ApiSemanticsContract checks it on the real server)
		{"a failed test", status(422, "the server rejected our request due to an error in our request"), true},
		{"the schema refused a field", apierrors.NewInvalid(schema.GroupKind{Group: "mclease.dev", Kind: kind}, "x",
			field.ErrorList{field.TooLong(field.NewPath("spec", "holderIdentity"), "", 253)}), false},
		{"a 409 is not judged here", status(http.StatusConflict, "testing value"), false},
		{"not an API status", errors.New("testing value"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refusedAsStale(tt.err); got != tt.want {
				t.Errorf("refusedAsStale(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func jsonEqual(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}
