#!/usr/bin/env bash
# A real, local Kubernetes control plane for mlform's tests: etcd, kube-apiserver (TLS, token
# auth, RBAC) and kube-controller-manager (namespace and garbage-collector controllers, so
# namespaces finish terminating and foreground deletes complete; the service account
# controller, so every namespace gets its `default` account; the claim protection
# controller, so a deleted PersistentVolumeClaim goes; deployment, replicaset, stateful
# set and daemon set controllers, so rollouts report status: with no kubelet, a Deployment with replicas
# never becomes available and one at zero replicas completes; the job controller, so a Job
# of zero completions completes and one with pods to run never does), all on loopback with free
# ports. Kubernetes 1.20.2 is built once from Debian bookworm's source package, offline, and
# cached in ~/.cache/mlform/kube-1.20.2.
#
#   cluster.sh build        build (or reuse) the binaries
#   cluster.sh start DIR    start a cluster whose files live in DIR; writes DIR/kubeconfig
#   cluster.sh stop DIR     stop it
set -euo pipefail

cache="${HOME}/.cache/mlform/kube-1.20.2"

need_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Each need is checked on its own: a machine may have Go and etcd from elsewhere and still
# lack Debian's source list, which `apt-get source` needs.
have_packages() {
  command -v etcd >/dev/null && command -v go >/dev/null && command -v rsync >/dev/null \
    && command -v dpkg-source >/dev/null \
    && [ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ]
}

have_source_list() {
  apt-get source --print-uris --download-only kubernetes 2>/dev/null | grep -q "kubernetes_.*orig"
}

install_packages() {
  if have_packages; then
    return
  fi
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    golang-go etcd-server golang-github-modern-go-reflect2-dev rsync jq dpkg-dev >/dev/null
}

add_source_list() {
  if have_source_list; then
    return
  fi
  if [ ! -f /etc/apt/sources.list.d/mlform-deb-src.sources ]; then
    need_root tee /etc/apt/sources.list.d/mlform-deb-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  need_root apt-get update -qq
  if ! have_source_list; then
    echo "apt-get cannot find the kubernetes source package even with deb-src for bookworm configured" >&2
    exit 1
  fi
}

build() {
  install_packages
  if [ -x "${cache}/kube-apiserver" ] && [ -x "${cache}/kube-controller-manager" ]; then
    return
  fi
  add_source_list
  local work
  work="$(mktemp -d)"
  (
    cd "${work}"
    apt-get source --download-only kubernetes >/dev/null 2>&1
    tar xf kubernetes_*.orig.tar.*
    src="$(find . -maxdepth 1 -mindepth 1 -type d | head -n1)"
    cd "${src}"
    # The vendored reflect2 1.0.1 crashes under Go 1.19 on the first custom-resource
    # request; Debian's 1.0.2 does not.
    rm -rf vendor/github.com/modern-go/reflect2
    cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 vendor/github.com/modern-go/reflect2
    GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0 \
      make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"${work}/build.log" 2>&1 \
      || { tail -40 "${work}/build.log" >&2; exit 1; }
    mkdir -p "${cache}"
    cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "${cache}/"
  )
  rm -rf "${work}"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir="$1"
  build
  mkdir -p "${dir}/pki"
  dir="$(cd "${dir}" && pwd)"
  local pki="${dir}/pki"
  # A CA and a server certificate signed by it (rustls rejects a self-signed server cert
  # used as its own CA).
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mlform-test-ca" \
    -keyout "${pki}/ca.key" -out "${pki}/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "${pki}/server.key" -out "${pki}/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"${pki}/server.ext"
  openssl x509 -req -in "${pki}/server.csr" -CA "${pki}/ca.crt" -CAkey "${pki}/ca.key" \
    -CAcreateserial -days 2 -extfile "${pki}/server.ext" -out "${pki}/server.crt" 2>/dev/null
  openssl genrsa -out "${pki}/sa.key" 2048 2>/dev/null
  openssl rsa -in "${pki}/sa.key" -pubout -out "${pki}/sa.pub" 2>/dev/null
  local token
  token="$(openssl rand -hex 16)"
  echo "${token},mlform-admin,mlform-admin,system:masters" >"${pki}/tokens.csv"

  local etcd_port peer_port api_port
  etcd_port="$(free_port)"
  peer_port="$(free_port)"
  api_port="$(free_port)"

  etcd --name mlform --data-dir "${dir}/etcd" \
    --listen-client-urls "http://127.0.0.1:${etcd_port}" \
    --advertise-client-urls "http://127.0.0.1:${etcd_port}" \
    --listen-peer-urls "http://127.0.0.1:${peer_port}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${peer_port}" \
    --initial-cluster "mlform=http://127.0.0.1:${peer_port}" \
    >"${dir}/etcd.log" 2>&1 &
  echo $! >"${dir}/etcd.pid"

  "${cache}/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:${etcd_port}" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="${api_port}" --insecure-port=0 \
    --tls-cert-file="${pki}/server.crt" --tls-private-key-file="${pki}/server.key" \
    --client-ca-file="${pki}/ca.crt" \
    --token-auth-file="${pki}/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-key-file="${pki}/sa.pub" \
    --service-account-signing-key-file="${pki}/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-cluster-ip-range=10.96.0.0/16 \
    --allow-privileged=true \
    --cert-dir="${dir}/certs" \
    >"${dir}/apiserver.log" 2>&1 &
  echo $! >"${dir}/apiserver.pid"

  local ca_data
  ca_data="$(base64 -w0 <"${pki}/ca.crt")"
  cat >"${dir}/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: mlform-test
  cluster:
    server: https://127.0.0.1:${api_port}
    certificate-authority-data: ${ca_data}
users:
- name: mlform-admin
  user:
    token: ${token}
contexts:
- name: mlform-test
  context:
    cluster: mlform-test
    user: mlform-admin
current-context: mlform-test
KUBECONFIG

  local ready=""
  for _ in $(seq 600); do
    if curl -fsS --cacert "${pki}/ca.crt" -H "Authorization: Bearer ${token}" \
      "https://127.0.0.1:${api_port}/readyz" >/dev/null 2>&1; then
      ready=yes
      break
    fi
    sleep 0.1
  done
  if [ -z "${ready}" ]; then
    echo "kube-apiserver did not become ready; see ${dir}/apiserver.log" >&2
    tail -20 "${dir}/apiserver.log" >&2
    stop "${dir}"
    exit 1
  fi

  "${cache}/kube-controller-manager" \
    --kubeconfig="${dir}/kubeconfig" \
    --controllers=namespace,garbagecollector,deployment,replicaset,statefulset,daemonset,job,serviceaccount,pvc-protection \
    --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port=0 --port=0 \
    >"${dir}/controller-manager.log" 2>&1 &
  echo $! >"${dir}/controller-manager.pid"
  echo "${dir}/kubeconfig"
}

stop() {
  local dir="$1"
  for name in controller-manager apiserver etcd; do
    if [ -f "${dir}/${name}.pid" ]; then
      kill "$(cat "${dir}/${name}.pid")" 2>/dev/null || true
      rm -f "${dir}/${name}.pid"
    fi
  done
}

case "${1:-}" in
  build) build ;;
  start) start "${2:?cluster directory}" ;;
  stop) stop "${2:?cluster directory}" ;;
  *)
    echo "usage: $0 build | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
