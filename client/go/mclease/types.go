package mclease

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersionResource of the MultiClusterLease custom resource (crd/multiclusterleases.mclease.dev-v1.yml).
var GroupVersionResource = schema.GroupVersionResource{Group: "mclease.dev", Version: "v1alpha1", Resource: "multiclusterleases"}

const (
	kind       = "MultiClusterLease"
	apiVersion = "mclease.dev/v1alpha1"
	// microFormat is metav1.MicroTime as the API server and the Java client write it: UTC, exactly six fractional
	// digits. Heartbeats are compared by the instant they name, so the format must carry microseconds.
	microFormat = "2006-01-02T15:04:05.000000Z"
)

// leaseObject is the part of a MultiClusterLease the lock reads and writes; unknown fields are kept in raw so that
// an update never drops what a newer schema added.
type leaseObject struct {
	meta   metav1.ObjectMeta
	spec   leaseSpec
	status *leaseStatus
	raw    *unstructured.Unstructured
}

type leaseSpec struct {
	HolderIdentity            string `json:"holderIdentity"` // "" is a release: always written
	LeaseDurationSeconds      *int64 `json:"leaseDurationSeconds,omitempty"`
	RenewTime                 string `json:"renewTime,omitempty"`
	RenewDeadlineMilliseconds *int64 `json:"renewDeadlineMilliseconds,omitempty"`
	HolderInstance            string `json:"holderInstance,omitempty"`
}

type leaseStatus struct {
	Leader                         string `json:"leader,omitempty"`
	LeaderCluster                  string `json:"leaderCluster,omitempty"`
	FencingToken                   *int64 `json:"fencingToken,omitempty"`
	AcquireTime                    string `json:"acquireTime,omitempty"`
	ObservedRenewTime              string `json:"observedRenewTime,omitempty"`
	ConfirmationWindowMilliseconds *int64 `json:"confirmationWindowMilliseconds,omitempty"`
}

// fromUnstructured reads the fields the protocol uses; a field of the wrong type is an error (the object is then
// treated as unreadable, never as free).
func fromUnstructured(u *unstructured.Unstructured) (*leaseObject, error) {
	if u == nil {
		return nil, nil
	}
	o := &leaseObject{raw: u.DeepCopy()}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(metaMap(u), &o.meta); err != nil {
		return nil, fmt.Errorf("metadata of %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	if m, ok := u.Object["spec"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &o.spec); err != nil {
			return nil, fmt.Errorf("spec of %s/%s: %w", u.GetNamespace(), u.GetName(), err)
		}
	}
	if m, ok := u.Object["status"].(map[string]any); ok {
		o.status = &leaseStatus{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, o.status); err != nil {
			return nil, fmt.Errorf("status of %s/%s: %w", u.GetNamespace(), u.GetName(), err)
		}
	}
	return o, nil
}

func metaMap(u *unstructured.Unstructured) map[string]any {
	m, _ := u.Object["metadata"].(map[string]any)
	return m
}

// withSpec is the object to send to update or create: its metadata (resourceVersion: the CAS) and the given spec.
// Status is left out: the candidate never writes it, and the main resource ignores it anyway.
func (o *leaseObject) withSpec(s leaseSpec) (*unstructured.Unstructured, error) {
	var u *unstructured.Unstructured
	if o.raw != nil {
		u = o.raw.DeepCopy()
	} else {
		u = &unstructured.Unstructured{Object: map[string]any{}}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetNamespace(o.meta.Namespace)
		u.SetName(o.meta.Name)
	}
	delete(u.Object, "status")
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&s)
	if err != nil {
		return nil, err
	}
	u.Object["spec"] = m
	return u, nil
}

func formatMicro(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(microFormat)
}

// parseMicro reads any RFC 3339 form; ok is false for an empty or malformed value.
func parseMicro(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
