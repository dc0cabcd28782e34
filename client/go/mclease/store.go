package mclease

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// store is the lock's whole view of the API server: read and create one object, write its spec as a compare-and-swap
// on spec alone (specPatch; a spec changed since is apierrors' 409, as a lost resourceVersion race was) and watch it. The unit tests replace it with a fake that plays the
// API server and, through status, the election controller.
type store interface {
	// get returns (nil, nil) when the object does not exist.
	get(ctx context.Context) (*leaseObject, error)
	create(ctx context.Context, obj *unstructured.Unstructured) (*leaseObject, error)
	// writeSpec writes spec on base (the state a decision was made on): a 409 when spec changed since.
	writeSpec(ctx context.Context, base *leaseObject, spec leaseSpec) (*leaseObject, error)
	// watch calls onChange with every new state (nil: deleted) until ctx is done, reconnecting on its own.
	watch(ctx context.Context, onChange func(*leaseObject))
	// vouches reports whether the watch vouches that what it delivered is the object's newest state, give or take
	// its delivery delay: it has listed, and its stream is open past its initial state. False before watch runs,
	// before its first list, while its stream is being re-established and once it stopped; then a tick reads.
	vouches() bool
	// server names the API server in messages.
	server() string
}

type dynamicStore struct {
	client    dynamic.NamespaceableResourceInterface
	namespace string
	name      string
	host      string
	streams   streamState

	mu     sync.Mutex
	synced func() bool // the informer's HasSynced, once watch runs

	// What the server said when it refused a patch with 403 ("": patches go through), and whether the fallback to
	// update was said. Only writeSpec touches them, and the lock calls it holding io.
	patchRefusal string
	fallbackSaid bool
}

func newDynamicStore(c dynamic.Interface, namespace, name, host string) *dynamicStore {
	return &dynamicStore{client: c.Resource(GroupVersionResource), namespace: namespace, name: name, host: host}
}

func (s *dynamicStore) get(ctx context.Context) (*leaseObject, error) {
	u, err := s.client.Namespace(s.namespace).Get(ctx, s.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && !namespaceMissing(err, s.namespace) && !crdMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return fromUnstructured(u)
}

func (s *dynamicStore) create(ctx context.Context, obj *unstructured.Unstructured) (*leaseObject, error) {
	u, err := s.client.Namespace(s.namespace).Create(ctx, obj, metav1.CreateOptions{FieldManager: "mclease-candidate"})
	if err != nil {
		return nil, err
	}
	return fromUnstructured(u)
}

// writeSpec patches (specPatch). Where the candidate's Role grants update but not patch (the rule docs/client.md gave
// before 0.3), the first 403 on a patch switches this store to update, a resourceVersion CAS, for the rest of its
// life, with one warning that says what to grant: the election keeps working, only its writes conflict with status
// writes again.
func (s *dynamicStore) writeSpec(ctx context.Context, base *leaseObject, spec leaseSpec) (*leaseObject, error) {
	if s.patchRefusal == "" {
		patch, err := specPatch(base, spec)
		if err != nil {
			return nil, err
		}
		u, err := s.client.Namespace(s.namespace).Patch(ctx, s.name, types.JSONPatchType, patch,
			metav1.PatchOptions{FieldManager: "mclease-candidate"})
		switch {
		case err == nil:
			return fromUnstructured(u)
		case refusedAsStale(err):
			return nil, apierrors.NewConflict(GroupVersionResource.GroupResource(), s.name,
				fmt.Errorf("spec changed since it was read (%w)", err))
		case !apierrors.IsForbidden(err):
			return nil, err
		}
		s.patchRefusal = err.Error()
	}
	obj, err := base.withSpec(spec)
	if err != nil {
		return nil, err
	}
	u, err := s.client.Namespace(s.namespace).Update(ctx, obj, metav1.UpdateOptions{FieldManager: "mclease-candidate"})
	if err != nil {
		return nil, err // a Role that grants neither verb is explained by the update's own 403
	}
	if !s.fallbackSaid {
		s.fallbackSaid = true
		klog.Warningf("%s/%s: may not patch %s in namespace %s; writing spec with update (a resourceVersion CAS) "+
			"until this process restarts, which the controller's status writes make fail now and then (a release or "+
			"heartbeat then costs a read and a second write); add \"patch\" to the verbs of the candidate's Role "+
			"(controller/deploy/clusterrole-candidate.yaml has it). Server said: %s", s.namespace, s.name,
			GroupVersionResource.GroupResource(), s.namespace, s.patchRefusal)
	}
	return fromUnstructured(u)
}

func (s *dynamicStore) server() string {
	if s.host == "" {
		return "the API server"
	}
	return "the API server at " + s.host
}

// vouches: the informer has delivered its first list (HasSynced) and one of its watch streams is open past its initial
// state (streamState). HasSynced alone stays true forever after the first list, through every broken watch and
// re-list; client-go's other signals do not say "watching now" either: IsStopped is only the informer's end, and the
// watch error handler hears only a ListAndWatch that returned an error, not a stream that ended (a timeout, a 410
// Gone) nor a re-watch the reflector retries on its own (connection refused, 429), and never the recovery.
func (s *dynamicStore) vouches() bool {
	s.mu.Lock()
	synced := s.synced
	s.mu.Unlock()
	return synced != nil && synced() && s.streams.open()
}

// watch runs an informer on the one object: it lists, watches, and re-lists after a lost watch with backoff, so a
// confirmation arrives as soon as the controller writes it instead of at the next tick. Each watch stream goes
// through streamState, which vouches tells the lock about.
func (s *dynamicStore) watch(ctx context.Context, onChange func(*leaseObject)) {
	byName := fields.OneTermEqualSelector("metadata.name", s.name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = byName
			return s.client.Namespace(s.namespace).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = byName
			w, err := s.client.Namespace(s.namespace).Watch(ctx, o)
			if err != nil {
				return nil, err
			}
			return s.streams.track(w, o.SendInitialEvents != nil && *o.SendInitialEvents), nil
		},
	}
	deliver := func(obj any) {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			if o, err := fromUnstructured(u); err == nil {
				onChange(o)
			}
		}
	}
	_, informer := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: lw,
		ObjectType:    &unstructured.Unstructured{},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    deliver,
			UpdateFunc: func(_, obj any) { deliver(obj) },
			DeleteFunc: func(any) { onChange(nil) },
		},
	})
	s.mu.Lock()
	s.synced = informer.HasSynced
	s.mu.Unlock()
	informer.RunWithContext(ctx)
}

// namespaceMissing tells a real API server's 404 for the namespace from a missing object.
func namespaceMissing(err error, namespace string) bool {
	var st apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !asStatus(err, &st) {
		return false
	}
	d := st.Status().Details
	return d != nil && d.Kind == "namespaces" && d.Name == namespace
}

// crdMissing: without the CRD the server answers 404 with no details of the object, "the server could not find
// the requested resource".
func crdMissing(err error) bool {
	var st apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !asStatus(err, &st) {
		return false
	}
	d := st.Status().Details
	return d == nil || d.Name == ""
}

func asStatus(err error, st *apierrors.APIStatus) bool {
	s, ok := err.(apierrors.APIStatus)
	if ok {
		*st = s
	}
	return ok
}
