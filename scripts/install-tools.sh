#!/usr/bin/env bash
# Builds the servers the test harness and the one-machine mode need and the machine may lack:
# a NATS server of the release the Kubernetes manifests pin, and FerretDB (a MongoDB-protocol
# server over SQLite) where no mongod is available; and, for the tests only, kustomize (the
# manifest tests) and versitygw (media's S3 test). Cached in $LUMINA_BIN_DIR; a second run
# does nothing.
#
#   scripts/install-tools.sh                      everything (npm test, CI)
#   scripts/install-tools.sh nats-server ferretdb only these (npm start builds just what it runs)
#
# Each build prints one line; Go's own output goes to a log file, whose tail is shown if the
# build fails.
set -euo pipefail
NATS_VERSION="${NATS_VERSION:-v2.15.2}"   # keep in step with infra/k8s and common/src/testing/versions.ts
FERRETDB_VERSION="${FERRETDB_VERSION:-v1.24.2}"
# FerretDB is built with Lumina's patches (scripts/ferretdb/: lookups by _id use the _id index, and
# release builds skip the leak tracking that took a stack trace for every iterator);
# the build's version names them, so a machine holding an unpatched build rebuilds it once.
FERRETDB_BUILD="${FERRETDB_VERSION}-lumina.2"
PATCHES="$(cd "$(dirname "$0")" && pwd)/ferretdb"
# kustomize renders infra/k8s in the manifest tests (there is no kubectl here). v5.8.2 is the
# newest release that builds with Go 1.26 (v5.8.3 asks for Go 1.27).
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
BIN="${LUMINA_BIN_DIR:-$HOME/.cache/lumina/bin}"
BUILD_LOGS="${LUMINA_BUILD_LOG_DIR:-$(dirname "$BIN")/build-logs}"
mkdir -p "$BIN" "$BUILD_LOGS"

# The tools asked for (none: all of them).
WANTED=" ${*:-all} "
wanted() { [[ "$WANTED" == *" all "* || "$WANTED" == *" $1 "* ]]; }

# quietly NAME VERSION COMMAND…: one progress line, the build's output in $BUILD_LOGS/NAME.log.
quietly() {
  local name="$1" version="$2" log="$BUILD_LOGS/$1.log" started=$SECONDS
  shift 2
  printf 'install-tools: building %s %s (once)… ' "$name" "$version"
  if "$@" >"$log" 2>&1; then
    printf 'done in %ss\n' "$((SECONDS - started))"
  else
    printf 'failed after %ss\n' "$((SECONDS - started))"
    echo "install-tools: the last lines of $log:" >&2
    tail -n 25 "$log" >&2
    exit 1
  fi
}

if ! command -v go >/dev/null 2>&1; then
  echo "install-tools: Go is not installed; set NATS_URL (and LUMINA_NATS_USERS) and MONGO_URL to servers you run yourself." >&2
  exit 1
fi

if wanted nats-server && { [ ! -x "$BIN/nats-server" ] || [ "$("$BIN/nats-server" --version 2>/dev/null)" != "nats-server: $NATS_VERSION" ]; }; then
  quietly nats-server "$NATS_VERSION" env GOBIN="$BIN" go install "github.com/nats-io/nats-server/v2@$NATS_VERSION"
fi

# (A subshell, so its EXIT trap removes the work folder and nothing else.)
build_ferretdb() (
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  src="$(cd "$work" && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  cp -r "$src" "$work/ferretdb" && chmod -R u+w "$work/ferretdb"
  for fix in "$PATCHES"/*.patch; do patch -d "$work/ferretdb" -p1 --forward --quiet < "$fix"; done
  # FerretDB embeds its version from this file, which its release tooling writes.
  echo "$FERRETDB_BUILD" > "$work/ferretdb/build/version/version.txt"
  cd "$work/ferretdb" && GOFLAGS=-buildvcs=false go build -o "$BIN/ferretdb" ./cmd/ferretdb
)
# (Read the version into a variable first: `grep -q` closing the pipe early would fail the
# pipeline under pipefail and force a rebuild every time.)
ferretdb_installed="$("$BIN/ferretdb" --version 2>/dev/null || true)"
if wanted ferretdb && [[ "$ferretdb_installed" != *"version: ${FERRETDB_BUILD}"* ]]; then
  quietly ferretdb "$FERRETDB_BUILD" build_ferretdb
fi

kustomize_installed="$("$BIN/kustomize" version 2>/dev/null || true)"
if wanted kustomize && [[ "$kustomize_installed" != *"${KUSTOMIZE_VERSION}"* ]]; then
  quietly kustomize "$KUSTOMIZE_VERSION" env GOBIN="$BIN" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi

# versitygw: an S3-compatible gateway over a local directory, for media's S3 storage test
# (media/test/storage.test.ts starts it on a free loopback port). Its version is stamped in at
# build time, as its own Makefile does, so a second run finds it and does nothing.
VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.8.0}"
# (The output is captured first: `… | grep -q` under pipefail fails when grep exits early.)
if wanted versitygw && { [ ! -x "$BIN/versitygw" ] || [[ "$("$BIN/versitygw" --version 2>/dev/null)" != *"Version  : ${VERSITYGW_VERSION}"* ]]; }; then
  quietly versitygw "$VERSITYGW_VERSION" env GOBIN="$BIN" go install -ldflags "-X main.Version=$VERSITYGW_VERSION" "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi
echo "install-tools: ${*:-nats-server, ferretdb, kustomize and versitygw} ready in $BIN"

# Only the named tools: what follows is for the tests (the Kubernetes control plane…).
[[ "$WANTED" == *" all "* ]] || exit 0

# The Kubernetes control plane the infra/ops tests run against (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok): its own script, since the first build
# is long (about 25 minutes on 2 cores) and needs about 5 GB of Go caches.
bash "$(dirname "$0")/install-k8s-tools.sh"
