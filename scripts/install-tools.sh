#!/usr/bin/env bash
# Builds the servers the test harness and the one-machine mode need and the machine may lack:
# a NATS server of the release the Kubernetes manifests pin, and FerretDB (a MongoDB-protocol
# server over SQLite) where no mongod is available, and kustomize for the manifest tests.
# Cached in $LUMINA_BIN_DIR; a second run
# does nothing.
set -euo pipefail
NATS_VERSION="${NATS_VERSION:-v2.15.2}"   # keep in step with infra/k8s and common/src/testing/versions.ts
FERRETDB_VERSION="${FERRETDB_VERSION:-v1.24.2}"
# kustomize renders infra/k8s in the manifest tests (there is no kubectl here). v5.8.2 is the
# newest release that builds with Go 1.26 (v5.8.3 asks for Go 1.27).
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
BIN="${LUMINA_BIN_DIR:-$HOME/.cache/lumina/bin}"
mkdir -p "$BIN"

if ! command -v go >/dev/null 2>&1; then
  echo "install-tools: Go is not installed; set NATS_URL (and LUMINA_NATS_USERS) and MONGO_URL to servers you run yourself." >&2
  exit 1
fi

if [ ! -x "$BIN/nats-server" ] || [ "$("$BIN/nats-server" --version 2>/dev/null)" != "nats-server: $NATS_VERSION" ]; then
  echo "install-tools: building nats-server $NATS_VERSION (once)…"
  GOBIN="$BIN" go install "github.com/nats-io/nats-server/v2@$NATS_VERSION"
fi

# (Read the version into a variable first: `grep -q` closing the pipe early would fail the
# pipeline under pipefail and force a rebuild every time.)
ferretdb_installed="$("$BIN/ferretdb" --version 2>/dev/null || true)"
if [[ "$ferretdb_installed" != *"version: ${FERRETDB_VERSION}"* ]]; then
  echo "install-tools: building FerretDB $FERRETDB_VERSION (once)…"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  src="$(cd "$work" && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  cp -r "$src" "$work/ferretdb" && chmod -R u+w "$work/ferretdb"
  # FerretDB embeds its version from this file, which its release tooling writes.
  echo "$FERRETDB_VERSION" > "$work/ferretdb/build/version/version.txt"
  (cd "$work/ferretdb" && GOFLAGS=-buildvcs=false go build -o "$BIN/ferretdb" ./cmd/ferretdb)
fi
kustomize_installed="$("$BIN/kustomize" version 2>/dev/null || true)"
if [[ "$kustomize_installed" != *"${KUSTOMIZE_VERSION}"* ]]; then
  echo "install-tools: building kustomize $KUSTOMIZE_VERSION (once)…"
  GOBIN="$BIN" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi
echo "install-tools: nats-server, ferretdb and kustomize ready in $BIN"

# versitygw: an S3-compatible gateway over a local directory, for media's S3 storage test
# (media/test/storage.test.ts starts it on a free loopback port). Its version is stamped in at
# build time, as its own Makefile does, so a second run finds it and does nothing.
VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.8.0}"
# (The output is captured first: `… | grep -q` under pipefail fails when grep exits early.)
if [ ! -x "$BIN/versitygw" ] || [[ "$("$BIN/versitygw" --version 2>/dev/null)" != *"Version  : ${VERSITYGW_VERSION}"* ]]; then
  echo "install-tools: building versitygw $VERSITYGW_VERSION (once; a few minutes)…"
  GOBIN="$BIN" go install -ldflags "-X main.Version=$VERSITYGW_VERSION" "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi
echo "install-tools: versitygw ready in $BIN"
