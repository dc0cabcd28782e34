package mclease

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
)

const rbacHint = `grant the candidate's ServiceAccount a Role with the rule {apiGroups: ["mclease.dev"], ` +
	`resources: ["multiclusterleases"], verbs: ["get", "list", "watch", "create", "update", "patch"]} and a RoleBinding`

// problems logs each distinct problem once (and once when it is gone), so that a lock that cannot talk to its API
// server says what to grant, install or create without a line per tick; Problem() returns the current text.
type problems struct {
	subject string
	mu      sync.Mutex
	key     string
	text    string
}

func (p *problems) report(key, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != key {
		klog.Warningf("%s: %s", p.subject, text)
	}
	p.key, p.text = key, text
}

func (p *problems) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != "" {
		klog.Infof("%s: recovered (%s no longer applies)", p.subject, p.key)
	}
	p.key, p.text = "", ""
}

// clearIfVerb ends the current problem if it was one of verb ("get" for a failed read): a tick that reads fine but
// needs no write must not declare a failing write recovered.
func (p *problems) clearIfVerb(verb string) {
	p.mu.Lock()
	key := p.key
	p.mu.Unlock()
	if strings.HasPrefix(key, verb+":") {
		p.clear()
	}
}

func (p *problems) current() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.text
}

// explain says what failed and what to do, in the words of docs/client.md; key tells distinct problems apart.
func explain(verb, namespace, name, server string, renewDeadlineText string, err error) (key, text string) {
	what := fmt.Sprintf("multiclusterleases.mclease.dev %s/%s", namespace, name)
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		var netErr net.Error
		if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
			return verb + ":unreachable", fmt.Sprintf("cannot reach %s (%s %s: %v); check the network and kubeconfig. "+
				"Until it answers, this candidate answers from the last observed state and stops leading by "+
				"renewDeadline %s", server, verb, what, err, renewDeadlineText)
		}
		return verb + ":" + err.Error(), fmt.Sprintf("%s %s failed: %v", verb, what, err)
	}
	said := status.Status().Message
	code := status.Status().Code
	key = fmt.Sprintf("%s:%d", verb, code)
	switch {
	case apierrors.IsForbidden(err):
		return key, fmt.Sprintf("Forbidden: may not %s multiclusterleases.mclease.dev in namespace %s; %s. Server said: %s",
			verb, namespace, rbacHint, said)
	case apierrors.IsUnauthorized(err):
		return key, fmt.Sprintf("Unauthorized: %s rejected the credentials; check the kubeconfig or ServiceAccount token", server)
	case namespaceMissing(err, namespace):
		return key + ":ns", fmt.Sprintf("namespace %s does not exist in %s (%s %s answered 404): create it "+
			"(kubectl create namespace %s) or give the lock the namespace the candidates run in. Server said: %s",
			namespace, server, verb, what, namespace, said)
	case apierrors.IsNotFound(err):
		return key + ":crd", fmt.Sprintf("%s has no multiclusterleases.mclease.dev in namespace %s (%s answered 404): "+
			"install the CRD (kubectl apply -f multiclusterleases.mclease.dev-v1.yml). Server said: %s",
			server, namespace, verb, said)
	default:
		return key, fmt.Sprintf("%s %s failed with HTTP %d: %s", verb, what, code, said)
	}
}
