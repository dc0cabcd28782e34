package mclease

import (
	"encoding/json"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
)

// decidedOn are the spec fields the local election decides on: while all three hold what a decision saw, spec is as
// it saw it (another candidate's write always changes holderIdentity or renewTime).
var decidedOn = []string{"holderIdentity", "holderInstance", "renewTime"}

// specPatch is a spec write as a compare-and-swap on spec alone: a JSON Patch whose test operations hold base's
// decided-on fields as the server sent them, then one "add /spec" with spec.
//
// Why not the resourceVersion: the controller's status writes move it too, so a heartbeat or a release decided on the
// watch's state failed with 409 whenever an echo landed in between, although status is no input of the local
// election. The API server applies the patch to the object it is about to store and retries its own
// resourceVersion conflicts, so the tests and the write are one atomic step. A field absent from base is tested as
// JSON null, which Kubernetes' JSON Patch (evanphx/json-patch v4, in kube-apiserver and k3s) takes as "absent or
// null"; base without spec tests /spec itself.
func specPatch(base *leaseObject, spec leaseSpec) ([]byte, error) {
	next, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&spec)
	if err != nil {
		return nil, err
	}
	seen, hasSpec := seenSpec(base)
	ops := make([]map[string]any, 0, len(decidedOn)+1)
	if !hasSpec {
		ops = append(ops, map[string]any{"op": "test", "path": "/spec", "value": nil})
	} else {
		for _, f := range decidedOn {
			ops = append(ops, map[string]any{"op": "test", "path": "/spec/" + f, "value": seen[f]})
		}
	}
	ops = append(ops, map[string]any{"op": "add", "path": "/spec", "value": next})
	return json.Marshal(ops)
}

// seenSpec is base's spec as the server sent it (raw, so that an absent field stays absent), else its typed fields.
func seenSpec(base *leaseObject) (map[string]any, bool) {
	if base.raw != nil {
		m, ok := base.raw.Object["spec"].(map[string]any)
		return m, ok
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&base.spec)
	return m, err == nil
}

// refusedAsStale: the server refused a patch because one of its tests failed (spec changed since base was seen).
// That is the only way specPatch can fail to apply ("add /spec" always can), and kube-apiserver answers it 422 Invalid
// naming no object and no cause (it drops the library's text: "the server rejected our request due to an error in
// our request"); a schema refusal names both and is a real error.
func refusedAsStale(err error) bool {
	var st apierrors.APIStatus
	if !asStatus(err, &st) || st.Status().Code != 422 {
		return false
	}
	d := st.Status().Details
	return d == nil || (d.Name == "" && len(d.Causes) == 0)
}
