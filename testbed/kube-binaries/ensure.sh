# shellcheck shell=bash
# Sourced by ./mcl. ensure_kube_binaries finds or builds the real kube-apiserver, etcd and kubectl the testbed
# runs, and exports, for the processes ./mcl starts:
#   MCL_KUBE_APISERVER, MCL_ETCD  absolute paths of the two server binaries
#   MCL_ETCD_BINARY               = MCL_ETCD (the name the Java EtcdProvider reads)
#   MCL_KUBECTL                   absolute path of kubectl (the tests that run it skip without it)
# Each binary is taken, in this order, from
#   1. $KUBEBUILDER_ASSETS/{kube-apiserver,etcd,kubectl}  (the envtest convention: setup-envtest users have them)
#   2. $MCL_KUBE_APISERVER / $MCL_ETCD (or $MCL_ETCD_BINARY) / $MCL_KUBECTL
#   3. the per-machine cache ${XDG_CACHE_HOME:-~/.cache}/mclease/kube-binaries/<stamp>/, built there by build.sh
#      when missing or stale; <stamp> names the versions and hashes go.mod, go.sum and build.sh.
#      <cache>/current -> <stamp> is the build this checkout uses (Java looks there when the variables are unset)
#      kubectl alone never starts a build: when both servers came from 1. or 2., it is taken from an existing cache
#   4. PATH, only when the cache cannot be had (no Go, or the build failed), and said loudly.
# Returns non-zero, after saying what to install, when a server binary is found nowhere; ./mcl carries on (the Java
# side then falls back to the embedded mock server and says so). A missing kubectl is said, not an error.

MCL_KUBE_BINARIES_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

_kb_log() { if declare -F log >/dev/null; then log "$@"; else printf '[mcl] %s\n' "$*" >&2; fi; }
_kb_now() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/[.,]/}"; else echo "$(($(date +%s) * 1000000))"; fi; }
_kb_since() { local us=$(($(_kb_now) - $1)); printf '%d.%02d s' $((us / 1000000)) $((us % 1000000 / 10000)); }
_kb_is_exe() { [ -f "$1" ] && [ -x "$1" ]; }
_kb_abs() { local d; d="$(cd "$(dirname "$1")" && pwd)" && printf '%s/%s' "$d" "$(basename "$1")"; }
# a cache directory counts only when it holds all three (one built before kubectl was added has another stamp)
_kb_complete() { _kb_is_exe "$1/kube-apiserver" && _kb_is_exe "$1/etcd" && _kb_is_exe "$1/kubectl"; }

# the versions go.mod pins (read without running go, so a cache hit stays fast)
_kb_version() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$MCL_KUBE_BINARIES_SRC/go.mod"; }

_kb_stamp() {
  local k8s etcd hash
  k8s="$(_kb_version k8s.io/kubernetes)" && etcd="$(_kb_version go.etcd.io/etcd/server/v3)" || return 1
  [ -n "$k8s" ] && [ -n "$etcd" ] || { _kb_log "cannot read the pinned versions from $MCL_KUBE_BINARIES_SRC/go.mod"; return 1; }
  hash="$(cd "$MCL_KUBE_BINARIES_SRC" && cat go.mod go.sum build.sh | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-12)" \
    || return 1
  printf 'kube-apiserver-%s_etcd-%s_%s' "$k8s" "$etcd" "$hash"
}

# point <cache>/current at $1 (a stamp), atomically
_kb_point_current() {
  local root="$1" stamp="$2"
  [ "$(readlink "$root/current" 2>/dev/null)" = "$stamp" ] && return 0
  ln -sfn "$stamp" "$root/.current.$$" && mv -fT "$root/.current.$$" "$root/current" 2>/dev/null \
    || { rm -f "$root/.current.$$"; ln -sfn "$stamp" "$root/current"; }
}

# Sets _KB_DIR to the cache directory holding the binaries, building them when missing.
# Returns 2 when there is no Go to build with, 1 when the build failed; with $1 = cached-only, 3 instead of building.
_kb_from_cache() {
  _KB_DIR=""
  local root="${XDG_CACHE_HOME:-$HOME/.cache}/mclease/kube-binaries" stamp start fd="" tmp log_file
  stamp="$(_kb_stamp)" || return 1
  local dir="$root/$stamp"
  if _kb_complete "$dir"; then
    _kb_point_current "$root" "$stamp"; _KB_DIR="$dir"; return 0
  fi
  [ "${1:-}" = cached-only ] && return 3
  command -v go >/dev/null || return 2
  mkdir -p "$root" || return 1
  # one build per machine at a time; a second ./mcl waits, then takes what the first built
  if command -v flock >/dev/null; then
    exec {fd}>"$root/.lock"
    if ! flock -n "$fd"; then _kb_log "another build of the kube binaries is running; waiting for it"; flock "$fd"; fi
    if _kb_complete "$dir"; then
      exec {fd}>&-; _kb_point_current "$root" "$stamp"; _KB_DIR="$dir"; return 0
    fi
    rm -rf "$root"/.tmp.* # leftovers of interrupted builds (we hold the lock)
  fi
  tmp="$root/.tmp.$stamp.$$" log_file="$root/build-$stamp.log"
  start="$(_kb_now)"
  _kb_log "building kube-apiserver and kubectl $(_kb_version k8s.io/kubernetes) and etcd $(_kb_version go.etcd.io/etcd/server/v3) from Go modules into $dir"
  _kb_log "  once per machine: ~6 min cold on 2 cores, seconds once Go's caches are warm; log: $log_file"
  local ok=1
  if "$MCL_KUBE_BINARIES_SRC/build.sh" "$tmp" >"$log_file" 2>&1 \
      && "$tmp/kube-apiserver" --version >>"$log_file" 2>&1 && "$tmp/etcd" --version >>"$log_file" 2>&1 \
      && "$tmp/kubectl" version --client >>"$log_file" 2>&1; then
    { echo "kube-apiserver $(_kb_version k8s.io/kubernetes)"; echo "kubectl $(_kb_version k8s.io/kubernetes)"
      echo "etcd $(_kb_version go.etcd.io/etcd/server/v3)"
      echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(go env GOVERSION) from $MCL_KUBE_BINARIES_SRC"; } >"$tmp/VERSIONS"
    # the rename is the commit point: a directory named <stamp> always holds a complete build
    if mv -T "$tmp" "$dir" 2>/dev/null || _kb_complete "$dir"; then ok=0; fi
  fi
  rm -rf "$tmp"
  if [ "$ok" != 0 ]; then
    [ -n "$fd" ] && exec {fd}>&-
    _kb_log "building the kube binaries FAILED after $(_kb_since "$start"); last lines of $log_file:"
    tail -n 15 "$log_file" 2>/dev/null | sed 's/^/[mcl]   /' >&2
    return 1
  fi
  _kb_point_current "$root" "$stamp"
  # keep this build and the one before it (another checkout may still use it); drop older ones
  local old
  while read -r old; do [ -n "$old" ] && rm -rf "$root/$old" "$root/build-$old.log"; done \
    < <(cd "$root" && ls -1dt kube-apiserver-*_etcd-*_* 2>/dev/null | grep -vxF "$stamp" | tail -n +2)
  [ -n "$fd" ] && exec {fd}>&-
  _kb_log "built kube-apiserver, kubectl and etcd in $(_kb_since "$start") ($dir)"
  _KB_DIR="$dir"
}

ensure_kube_binaries() {
  local start api="" etcd="" kubectl="" api_from="" etcd_from="" kubectl_from="" rc=0 p
  start="$(_kb_now)"
  if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
    _kb_is_exe "$KUBEBUILDER_ASSETS/kube-apiserver" && api="$(_kb_abs "$KUBEBUILDER_ASSETS/kube-apiserver")" api_from=KUBEBUILDER_ASSETS
    _kb_is_exe "$KUBEBUILDER_ASSETS/etcd" && etcd="$(_kb_abs "$KUBEBUILDER_ASSETS/etcd")" etcd_from=KUBEBUILDER_ASSETS
    _kb_is_exe "$KUBEBUILDER_ASSETS/kubectl" && kubectl="$(_kb_abs "$KUBEBUILDER_ASSETS/kubectl")" kubectl_from=KUBEBUILDER_ASSETS
    [ -n "$api" ] && [ -n "$etcd" ] \
      || _kb_log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks an executable$([ -z "$api" ] && echo ' kube-apiserver')$([ -z "$etcd" ] && echo ' etcd'); looking further"
  fi
  if [ -z "$api" ] && [ -n "${MCL_KUBE_APISERVER:-}" ]; then
    if _kb_is_exe "$MCL_KUBE_APISERVER"; then api="$(_kb_abs "$MCL_KUBE_APISERVER")" api_from=MCL_KUBE_APISERVER
    else _kb_log "MCL_KUBE_APISERVER=$MCL_KUBE_APISERVER is not an executable file; ignoring it"; fi
  fi
  local etcd_var=MCL_ETCD
  [ -z "${MCL_ETCD:-}" ] && [ -n "${MCL_ETCD_BINARY:-}" ] && etcd_var=MCL_ETCD_BINARY
  if [ -z "$etcd" ] && [ -n "${!etcd_var:-}" ]; then
    if _kb_is_exe "${!etcd_var}"; then etcd="$(_kb_abs "${!etcd_var}")" etcd_from=$etcd_var
    else _kb_log "$etcd_var=${!etcd_var} is not an executable file; ignoring it"; fi
  fi
  if [ -z "$kubectl" ] && [ -n "${MCL_KUBECTL:-}" ]; then
    if _kb_is_exe "$MCL_KUBECTL"; then kubectl="$(_kb_abs "$MCL_KUBECTL")" kubectl_from=MCL_KUBECTL
    else _kb_log "MCL_KUBECTL=$MCL_KUBECTL is not an executable file; ignoring it"; fi
  fi
  if [ -z "$api" ] || [ -z "$etcd" ]; then
    _kb_from_cache || rc=$?
    if [ "$rc" = 0 ]; then
      [ -z "$api" ] && api="$_KB_DIR/kube-apiserver" api_from=cache
      [ -z "$etcd" ] && etcd="$_KB_DIR/etcd" etcd_from=cache
      [ -z "$kubectl" ] && kubectl="$_KB_DIR/kubectl" kubectl_from=cache
    fi
  elif [ -z "$kubectl" ] && _kb_from_cache cached-only; then
    kubectl="$_KB_DIR/kubectl" kubectl_from=cache
  fi
  if [ -z "$kubectl" ]; then
    if p="$(command -v kubectl)"; then
      kubectl="$p" kubectl_from=PATH
      [ "$rc" != 0 ] && _kb_log "FALLBACK: kubectl from PATH ($p; $("$p" version --client 2>/dev/null | head -n 1))"
    else
      _kb_log "no kubectl (not in KUBEBUILDER_ASSETS, MCL_KUBECTL, the cache or PATH): the tests that run it skip"
    fi
  fi
  if [ -z "$api" ] || [ -z "$etcd" ]; then
    local why="the build failed (see above)"
    [ "$rc" = 2 ] && why="there is no Go toolchain to build them with"
    if [ -z "$api" ] && p="$(command -v kube-apiserver)"; then
      api="$p" api_from=PATH; _kb_log "FALLBACK: kube-apiserver from PATH ($p; $("$p" --version 2>/dev/null)) because $why"
    fi
    if [ -z "$etcd" ] && p="$(command -v etcd)"; then
      etcd="$p" etcd_from=PATH; _kb_log "FALLBACK: etcd from PATH ($p; $("$p" --version 2>/dev/null | head -n 1)) because $why"
    fi
    if [ -z "$api" ] || [ -z "$etcd" ]; then
      local missing="kube-apiserver and etcd binaries"
      [ -n "$api" ] && missing="etcd binary"
      [ -n "$etcd" ] && missing="kube-apiserver binary"
      _kb_log "NO $missing, and $why."
      if [ "$rc" = 2 ]; then
        _kb_log "  Install Go >= $(awk '$1 == "go" { print $2; exit }' "$MCL_KUBE_BINARIES_SRC/go.mod") (https://go.dev/doc/install) and re-run ./mcl, which builds them"
      else
        _kb_log "  Fix the build (by hand: $MCL_KUBE_BINARIES_SRC/build.sh OUT_DIR) and re-run ./mcl"
      fi
      _kb_log "  (or point KUBEBUILDER_ASSETS at a setup-envtest directory, or set MCL_KUBE_APISERVER and MCL_ETCD)."
      _kb_log "  Without them the tests fall back to the embedded mock API server."
    fi
  fi
  if [ -n "$api" ]; then export MCL_KUBE_APISERVER="$api"; else unset MCL_KUBE_APISERVER; fi
  if [ -n "$kubectl" ]; then export MCL_KUBECTL="$kubectl"; else unset MCL_KUBECTL; fi
  if [ -n "$etcd" ]; then
    export MCL_ETCD="$etcd" MCL_ETCD_BINARY="$etcd"
  else
    unset MCL_ETCD MCL_ETCD_BINARY
  fi
  [ -n "$api" ] && [ -n "$etcd" ] || return 1
  if [ "$api_from" = cache ] && [ "$etcd_from" = cache ] && [ "$kubectl_from" = cache ]; then
    _kb_log "kube-apiserver and kubectl $(_kb_version k8s.io/kubernetes), etcd $(_kb_version go.etcd.io/etcd/server/v3): ${_KB_DIR/#"$HOME"/\~} ($(_kb_since "$start"))"
  else
    _kb_log "kube-apiserver: $api (from $api_from); etcd: $etcd (from $etcd_from); kubectl: ${kubectl:-none}${kubectl_from:+ (from $kubectl_from)} ($(_kb_since "$start"))"
  fi
}
