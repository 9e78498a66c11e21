#!/usr/bin/env bash
# Deploys the checked-out commit to one machine over SSH, with zero-downtime-ish restarts and rollback:
#   deploy/deploy.sh admin@cloop-1.example.com [--workers 2]
# What it does: builds a release here (npm ci, widget, dashboard and server bundles), ships it as a tarball to
# /opt/cloop/releases/<commit>, installs production dependencies there, runs the migrations, points
# /opt/cloop/current at it, restarts cloop-api and the workers, and waits for /readyz. If the new
# release is not ready within 60 s, `current` goes back to the previous release and the units restart.
# First time on a machine: deploy/setup-host.sh (as root) creates the user, folders, units and config.
set -euo pipefail

host=${1:?usage: deploy/deploy.sh user@host [--workers N]}
workers=2
[[ "${2:-}" == "--workers" ]] && workers=${3:?--workers needs a number}
[[ "$workers" =~ ^[0-9]+$ ]] || { echo "--workers must be a number" >&2; exit 2; }

cd "$(dirname "$0")/.."
[[ -z "$(git status --porcelain)" ]] || { echo "the working tree has uncommitted changes: commit or stash them first" >&2; exit 1; }
commit=$(git rev-parse --short=12 HEAD)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

echo "== building release $commit"
git archive HEAD | tar -x -C "$build"
(cd "$build" && npm ci --no-audit --no-fund && npm run build:widget && npm run build:dashboard && npm run build:server && rm -rf node_modules)
tar -C "$build" -czf "$build.tgz" .
trap 'rm -rf "$build" "$build.tgz"' EXIT

echo "== shipping to $host"
scp -q "$build.tgz" "$host:/tmp/cloop-$commit.tgz"

# shellcheck disable=SC2087 # expanded here on purpose: commit and workers are ours, not the remote's
ssh "$host" sudo bash -s <<REMOTE
set -euo pipefail
release=/opt/cloop/releases/$commit
previous=\$(readlink -f /opt/cloop/current || true)
mkdir -p "\$release"
tar -xzf /tmp/cloop-$commit.tgz -C "\$release" && rm -f /tmp/cloop-$commit.tgz
chown -R root:cloop "\$release" && chmod -R go-w,o-rwx "\$release"
cd "\$release" && npm ci --omit=dev --no-audit --no-fund --ignore-scripts
# Migrations are plain SQL, forward-only and safe to run before the switch (old code keeps working).
sudo -u cloop bash -c 'set -a; . /etc/cloop/cloop.env; set +a; cd /opt/cloop/releases/$commit && NODE_ENV=production npm run --silent migrate'
units="cloop-api.service \$(seq -f 'cloop-worker@%g.service' 1 $workers | tr '\n' ' ')"
switch() { ln -sfn "\$1" /opt/cloop/current.new && mv -T /opt/cloop/current.new /opt/cloop/current; systemctl restart \$units; }
switch "\$release"
for _ in \$(seq 60); do
  if curl -fsS --max-time 2 http://127.0.0.1:3000/readyz >/dev/null; then echo "release $commit is ready"; exit 0; fi
  sleep 1
done
echo "release $commit did not become ready in 60 s: rolling back to \${previous:-nothing}" >&2
journalctl -u cloop-api --since -2min --no-pager | tail -40 >&2
if [[ -n "\$previous" && -d "\$previous" ]]; then switch "\$previous"; fi
exit 1
REMOTE
