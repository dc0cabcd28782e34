#!/usr/bin/env bash
# build.sh OUT_DIR : builds kube-apiserver, kubectl and etcd, at the versions go.mod pins, into OUT_DIR.
# Static (CGO_ENABLED=0), -trimpath, stripped, and stamped with the release's version the way Kubernetes' and
# etcd's own builds stamp it, so `kube-apiserver --version`, its /version, `kubectl version --client` and
# `etcd --version` tell the truth.
# ./mcl calls this through ensure.sh (which caches the result); running it by hand is fine too.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$HERE"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"

k8s="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
[[ "$k8s" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || { echo "build.sh: k8s.io/kubernetes $k8s is not a release" >&2; exit 1; }
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
# the staging modules must be the same release (gen-replace.sh writes them so); component-base holds the version
base="$(go list -m -f '{{with .Replace}}{{.Version}}{{else}}{{.Version}}{{end}}' k8s.io/component-base)"
[ "$base" = "v0.$minor.${k8s##*.}" ] || { echo "build.sh: k8s.io/component-base is $base, want v0.$minor.${k8s##*.}: run ./gen-replace.sh" >&2; exit 1; }
etcd="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
etcd_api="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/api/v3)" # its version package says what `etcd --version` prints
[ "$etcd_api" = "$etcd" ] || { echo "build.sh: go.etcd.io/etcd/api/v3 resolved to $etcd_api but server/v3 is $etcd" >&2; exit 1; }

# A module-proxy download carries no git metadata. Kubernetes stamps buildDate from SOURCE_DATE_EPOCH for
# reproducible builds; the default here is the release's own time (so a rebuild is byte-identical), and the
# commit is unknown unless given: KUBE_GIT_COMMIT / ETCD_GIT_SHA. Tree state "archive" is what Kubernetes' own
# hack/lib/version.sh reports for a build from a source archive.
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  build_date="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
else
  build_date="$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)"
fi
kube_x=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_x+=" -X '$pkg.gitVersion=$k8s' -X '$pkg.gitMajor=$major' -X '$pkg.gitMinor=$minor'"
  kube_x+=" -X '$pkg.gitCommit=${KUBE_GIT_COMMIT:-}' -X '$pkg.gitTreeState=${KUBE_GIT_TREE_STATE:-archive}'"
  kube_x+=" -X '$pkg.buildDate=$build_date'"
done
etcd_x=" -X 'go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_GIT_SHA:-not-from-git(module-$etcd)}'"

build() { # name package ldflags
  local start=$SECONDS
  echo "build.sh: go build $2 -> $out/$1" >&2
  go build -trimpath -buildvcs=false -ldflags "-s -w$3" -o "$out/$1" "$2"
  echo "build.sh: $1 built in $((SECONDS - start)) s" >&2
}
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$kube_x"
# kubectl shares most packages with kube-apiserver (client-go, apimachinery), so it comes right after it
build kubectl k8s.io/kubernetes/cmd/kubectl "$kube_x"
build etcd go.etcd.io/etcd/server/v3 "$etcd_x"
