# shellcheck shell=bash
# Sourced by ./mcl. ensure_fake_gcs finds or builds fake-gcs-server (github.com/fsouza/fake-gcs-server, an
# open-source Google Cloud Storage emulator) that the GCS backend's tests and `--backend gcs` runs of the testbed
# start, and exports, for the processes ./mcl starts:
#   MCL_FAKE_GCS_SERVER  absolute path of the binary (the Java FakeGcsProvider reads it)
# The binary is taken, in this order, from
#   1. $MCL_FAKE_GCS_SERVER
#   2. the per-machine cache ${XDG_CACHE_HOME:-~/.cache}/mclease/fake-gcs-server/<version>/, built there with
#      `go install github.com/fsouza/fake-gcs-server@<version>` (CGO_ENABLED=0, -trimpath) when missing;
#      <cache>/current -> <version> is the build this checkout uses (Java looks there when the variable is unset)
# Returns non-zero, after saying what to install, when it can be had from neither; ./mcl carries on (the GCS tests
# are then skipped with that reason, never failed).

MCL_FAKE_GCS_VERSION=v1.56.1
MCL_FAKE_GCS_MODULE=github.com/fsouza/fake-gcs-server

_fg_log() { if declare -F log >/dev/null; then log "$@"; else printf '[mcl] %s\n' "$*" >&2; fi; }
_fg_is_exe() { [ -f "$1" ] && [ -x "$1" ]; }

ensure_fake_gcs() {
  if [ -n "${MCL_FAKE_GCS_SERVER:-}" ]; then
    if _fg_is_exe "$MCL_FAKE_GCS_SERVER"; then
      _fg_log "fake-gcs-server: $MCL_FAKE_GCS_SERVER (from MCL_FAKE_GCS_SERVER)"; return 0
    fi
    _fg_log "MCL_FAKE_GCS_SERVER=$MCL_FAKE_GCS_SERVER is not an executable file; ignoring it"
    unset MCL_FAKE_GCS_SERVER
  fi
  local root="${XDG_CACHE_HOME:-$HOME/.cache}/mclease/fake-gcs-server"
  local dir="$root/$MCL_FAKE_GCS_VERSION" fd="" tmp log_file start=$SECONDS
  if ! _fg_is_exe "$dir/fake-gcs-server"; then
    if ! command -v go >/dev/null; then
      _fg_log "NO fake-gcs-server: it is built from its Go module and there is no 'go' on PATH."
      _fg_log "  Install Go >= 1.26 (https://go.dev/doc/install) and re-run ./mcl, or set MCL_FAKE_GCS_SERVER;"
      _fg_log "  without it the GCS backend's tests are skipped."
      return 1
    fi
    mkdir -p "$root" || return 1
    if command -v flock >/dev/null; then # one build per machine at a time
      exec {fd}>"$root/.lock"
      if ! flock -n "$fd"; then _fg_log "another build of fake-gcs-server is running; waiting for it"; flock "$fd"; fi
    fi
    if ! _fg_is_exe "$dir/fake-gcs-server"; then
      tmp="$root/.tmp.$MCL_FAKE_GCS_VERSION.$$" log_file="$root/build-$MCL_FAKE_GCS_VERSION.log"
      rm -rf "$tmp" && mkdir -p "$tmp"
      _fg_log "building fake-gcs-server $MCL_FAKE_GCS_VERSION from its Go module into $dir (once per machine; log: $log_file)"
      if (export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath" GOBIN="$tmp" \
            && go install -buildvcs=false -ldflags "-s -w" "$MCL_FAKE_GCS_MODULE@$MCL_FAKE_GCS_VERSION") >"$log_file" 2>&1 \
          && _fg_is_exe "$tmp/fake-gcs-server"; then
        echo "$MCL_FAKE_GCS_MODULE $MCL_FAKE_GCS_VERSION built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(go env GOVERSION)" >"$tmp/VERSION"
        rm -rf "$dir" && mv -T "$tmp" "$dir"
      else
        rm -rf "$tmp"
        [ -n "$fd" ] && exec {fd}>&-
        _fg_log "building fake-gcs-server $MCL_FAKE_GCS_VERSION FAILED after $((SECONDS - start)) s; last lines of $log_file:"
        tail -n 15 "$log_file" 2>/dev/null | sed 's/^/[mcl]   /' >&2
        _fg_log "  Fix the build (by hand: GOBIN=DIR go install $MCL_FAKE_GCS_MODULE@$MCL_FAKE_GCS_VERSION) or set"
        _fg_log "  MCL_FAKE_GCS_SERVER; without it the GCS backend's tests are skipped."
        return 1
      fi
      _fg_log "built fake-gcs-server $MCL_FAKE_GCS_VERSION in $((SECONDS - start)) s"
    fi
    [ -n "$fd" ] && exec {fd}>&-
  fi
  if [ "$(readlink "$root/current" 2>/dev/null)" != "$MCL_FAKE_GCS_VERSION" ]; then
    ln -sfn "$MCL_FAKE_GCS_VERSION" "$root/.current.$$" && mv -fT "$root/.current.$$" "$root/current"
  fi
  export MCL_FAKE_GCS_SERVER="$dir/fake-gcs-server"
  _fg_log "fake-gcs-server $MCL_FAKE_GCS_VERSION: ${dir/#"$HOME"/\~}"
}
