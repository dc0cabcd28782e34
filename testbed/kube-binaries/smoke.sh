#!/usr/bin/env bash
# smoke.sh [DIR] : starts the built etcd and kube-apiserver (DIR defaults to the cache's `current`) on free loopback
# ports with throw-away certificates (openssl, in a temp dir), checks /readyz, /version and a service-account token,
# prints the start-up times and memory, then stops both and removes everything. The flags are the minimal set that
# works with kube-apiserver 1.37; the testbed's Java provider passes the same (see README.md).
set -euo pipefail
bin="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/mclease/kube-binaries/current}"
for b in etcd kube-apiserver; do [ -x "$bin/$b" ] || { echo "smoke.sh: no $bin/$b (run ./mcl, or build.sh DIR)" >&2; exit 1; }; done
command -v openssl >/dev/null && command -v curl >/dev/null || { echo "smoke.sh: needs openssl and curl" >&2; exit 1; }
w="$(mktemp -d)"
pids=()
# the API server before its etcd: an API server whose etcd is gone first takes minutes to shut down
cleanup() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
  rm -rf "$w"
}
trap cleanup EXIT
now() { date +%s%N; }
ms() { echo $(( ($(now) - $1) / 1000000 )); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cd "$w"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=smoke-ca 2>/dev/null
sign() { # name subject extensions
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%b' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 1 -extfile "$1.ext" 2>/dev/null
}
sign serving /CN=kube-apiserver 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
sign admin "/O=system:masters/CN=smoke-admin" 'extendedKeyUsage=clientAuth\n'
openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null

ec="$(free_port)" ep="$(free_port)" ap="$(free_port)"
t="$(now)"
"$bin/etcd" --name smoke --data-dir "$w/etcd" --log-level warn \
  --listen-client-urls "http://127.0.0.1:$ec" --advertise-client-urls "http://127.0.0.1:$ec" \
  --listen-peer-urls "http://127.0.0.1:$ep" --initial-advertise-peer-urls "http://127.0.0.1:$ep" \
  --initial-cluster "smoke=http://127.0.0.1:$ep" >"$w/etcd.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$ec/health" >/dev/null; do kill -0 "${pids[0]}" || { cat "$w/etcd.log"; exit 1; }; sleep 0.05; done
echo "etcd $(curl -s "http://127.0.0.1:$ec/version") healthy in $(ms "$t") ms"

t="$(now)"
"$bin/kube-apiserver" \
  --bind-address=127.0.0.1 --secure-port="$ap" --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
  --tls-cert-file="$w/serving.crt" --tls-private-key-file="$w/serving.key" --cert-dir="$w/certs" \
  --client-ca-file="$w/ca.crt" --authorization-mode=RBAC \
  --etcd-servers="http://127.0.0.1:$ec" --etcd-prefix=/smoke \
  --service-account-issuer="https://127.0.0.1:$ap" --service-account-key-file="$w/sa.pub" \
  --service-account-signing-key-file="$w/sa.key" --service-cluster-ip-range=10.0.0.0/24 >"$w/apiserver.log" 2>&1 &
pids+=($!)
k=(curl -s --cacert "$w/ca.crt" --cert "$w/admin.crt" --key "$w/admin.key")
until [ "$("${k[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$ap/readyz")" = 200 ]; do
  kill -0 "${pids[1]}" 2>/dev/null || { tail -n 20 "$w/apiserver.log"; exit 1; }; sleep 0.1
done
echo "kube-apiserver ready in $(ms "$t") ms; /version: $("${k[@]}" "https://127.0.0.1:$ap/version" | tr -d ' \n')"
"${k[@]}" -fo /dev/null -XPOST -H 'Content-Type: application/json' "https://127.0.0.1:$ap/api/v1/namespaces/default/serviceaccounts" \
  -d '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"smoke"}}'
"${k[@]}" -f -XPOST -H 'Content-Type: application/json' "https://127.0.0.1:$ap/api/v1/namespaces/default/serviceaccounts/smoke/token" \
  -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}' | grep -q '"token"' && echo "TokenRequest: ok"
echo "RSS: etcd $(($(awk '/VmRSS/ { print $2 }' "/proc/${pids[0]}/status") / 1024)) MiB, kube-apiserver $(($(awk '/VmRSS/ { print $2 }' "/proc/${pids[1]}/status") / 1024)) MiB"
echo "smoke test passed"
