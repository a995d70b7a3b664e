#!/usr/bin/env bash
# Builds the Kubernetes control plane the infra/ops tests run against: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl and kwok (which plays the nodes and their
# kubelets). Cached in $LUMINA_BIN_DIR next to the other tools; a second run does nothing.
# The first run takes a while on a small machine (kube-apiserver ~15 min on 2 cores) and fills
# the Go caches by about 5 GB. The wrapper modules in scripts/k8s-tools/ say why they exist.
set -euo pipefail
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"           # keep in step with scripts/k8s-tools/etcd/go.mod
KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.34.4}" # and scripts/k8s-tools/kube/go.mod
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
BIN="${LUMINA_BIN_DIR:-$HOME/.cache/lumina/bin}"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$BIN"

# Go's own progress (`go: downloading …`, hundreds of lines) is kept out of the log; a failing
# build prints it.
quietly() {
  local output
  if ! output="$("$@" 2>&1)"; then
    echo "$output" >&2
    return 1
  fi
}

timed() {
  local what="$1" started=$SECONDS
  shift
  echo "install-k8s-tools: building $what (once)…"
  quietly "$@"
  echo "install-k8s-tools: built $what in $((SECONDS - started)) s"
}

etcd_installed="$("$BIN/etcd" --version 2>/dev/null || true)"
if [[ "$etcd_installed" != *"etcd Version: ${ETCD_VERSION#v}"* ]]; then
  timed "etcd $ETCD_VERSION" bash -c "cd '$HERE/k8s-tools/etcd' && go build -o '$BIN/etcd' ."
fi

kube_commands=()
for command in kube-apiserver kube-controller-manager kube-scheduler; do
  installed="$("$BIN/$command" --version 2>/dev/null || true)"
  [[ "$installed" == "Kubernetes $KUBERNETES_VERSION" ]] || kube_commands+=("$command")
done
kubectl_installed="$("$BIN/kubectl" version --client 2>/dev/null || true)"
[[ "$kubectl_installed" == *"Client Version: $KUBERNETES_VERSION"* ]] || kube_commands+=(kubectl)
if ((${#kube_commands[@]})); then
  # One `go build` for all of them: they share most of their packages.
  packages=()
  for command in "${kube_commands[@]}"; do packages+=("k8s.io/kubernetes/cmd/$command"); done
  timed "${kube_commands[*]} $KUBERNETES_VERSION" bash -c "cd '$HERE/k8s-tools/kube' && go build \
    -ldflags '-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION' -o '$BIN/' ${packages[*]}"
fi

kwok_installed="$("$BIN/kwok" --version 2>/dev/null || true)"
if [[ "$kwok_installed" != *"$KWOK_VERSION"* ]]; then
  timed "kwok $KWOK_VERSION" env GOBIN="$BIN" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
fi
echo "install-k8s-tools: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok ready in $BIN"
