#!/usr/bin/env bash
# Generates Lumina's Kubernetes secrets: the ES256 key pair that signs access tokens, a
# password for each database server and one for each NATS user. Writes them, with the kustomize
# Component that turns them into Secrets, to infra/k8s/secrets/ (gitignored: never commit what is
# in it).
#
#   scripts/gen-secrets.sh               create whatever is missing; keep what exists
#   scripts/gen-secrets.sh --rotate-jwt  also make a new signing key; the previous public key
#                                        stays trusted so tokens signed before still verify
#   scripts/gen-secrets.sh [...] DIR     write to DIR instead (the tests do)
set -euo pipefail

rotate=false
dir=""
for arg in "$@"; do
  case "$arg" in
    --rotate-jwt) rotate=true ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "gen-secrets: unknown option $arg" >&2; exit 2 ;;
    *) dir="$arg" ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${dir:-$root/infra/k8s/secrets}"
command -v openssl >/dev/null || { echo "gen-secrets: openssl is needed" >&2; exit 1; }

umask 077
mkdir -p "$dir/jwt"
cd "$dir"

# Hex: safe inside the connection URLs the Deployments compose (mysql://user:pass@…).
password() { openssl rand -hex 24; }

# An env file is written once; a second run keeps the passwords the databases were made with.
env_file() {
  local name="$1"; shift
  [ -f "$name.env" ] && return 0
  printf '%s\n' "$@" > "$name.env"
  echo "gen-secrets: wrote $name.env"
}
env_file auth-mysql "MYSQL_ROOT_PASSWORD=$(password)" MYSQL_DATABASE=auth MYSQL_USER=auth "MYSQL_PASSWORD=$(password)"
env_file search-mysql "MYSQL_ROOT_PASSWORD=$(password)" MYSQL_DATABASE=search MYSQL_USER=search "MYSQL_PASSWORD=$(password)"
for db in posts-mongo media-mongo timeline-mongo; do
  env_file "$db" MONGO_INITDB_ROOT_USERNAME=lumina "MONGO_INITDB_ROOT_PASSWORD=$(password)"
done
# A NATS user for each service, for the ops tool's reads (ops, also the autoscaler's) and for its
# DLQ commands (operator) (permissions: common/src/events/permissions.ts; the NATS pods read
# every password, each Deployment only its own).
for user in auth posts media search timeline ops operator; do
  env_file "nats-login-$user" "NATS_USER=$user" "NATS_PASSWORD=$(password)"
done
# Used by the prod overlay's S3 storage driver: fill in the bucket's credentials.
env_file media-s3 S3_ACCESS_KEY_ID=change-me S3_SECRET_ACCESS_KEY=change-me

# Signing keys: jwt/<kid>.key.pem (private, auth only) and jwt/<kid>.pub.pem (every service).
if [ "$rotate" = true ] || [ ! -s jwt/current ]; then
  kid="k$(date -u +%Y%m%d%H%M%S)"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "jwt/$kid.key.pem" 2>/dev/null
  openssl pkey -in "jwt/$kid.key.pem" -pubout -out "jwt/$kid.pub.pem"
  echo "$kid" > jwt/current
  echo "gen-secrets: new signing key $kid"
fi
kid="$(cat jwt/current)"
# Trust the current key and the one before it; older keys go (an access token lives 15 minutes).
# shellcheck disable=SC2012 # kids are k<UTC timestamp>: sorting the names sorts by age
trusted="$(ls jwt/*.pub.pem | sed 's|jwt/\(.*\)\.pub\.pem|\1|' | sort | tail -n 2)"
for old in $(ls jwt/*.pub.pem | sed 's|jwt/\(.*\)\.pub\.pem|\1|'); do
  echo "$trusted" | grep -qx "$old" || rm -f "jwt/$old.pub.pem" "jwt/$old.key.pem"
done

{
  echo "# Written by scripts/gen-secrets.sh; do not edit, do not commit."
  echo "apiVersion: kustomize.config.k8s.io/v1alpha1"
  echo "kind: Component"
  echo "secretGenerator:"
  echo "  - name: jwt-signing"
  echo "    files: [private.pem=jwt/$kid.key.pem]"
  echo "    literals: [JWT_KID=$kid]"
  echo "  - name: jwt-public-keys"
  echo "    files:"
  for k in $trusted; do echo "      - $k.pem=jwt/$k.pub.pem"; done
  for name in auth-mysql search-mysql posts-mongo media-mongo timeline-mongo media-s3 nats-login-{auth,posts,media,search,timeline,ops,operator}; do
    echo "  - name: $name"
    echo "    envs: [$name.env]"
  done
} > kustomization.yaml
echo "gen-secrets: secrets ready in $dir (signing key $kid)"
