#!/usr/bin/env bash
# Prepares a Debian machine for Cloop, once, as root (then deploy with deploy/deploy.sh from a checkout):
#   sudo deploy/setup-host.sh [--firewall]
# Creates the `cloop` system user and its folders, installs Node.js 20 from Debian if missing, the
# systemd units, journald retention (90 days), logrotate, the AppArmor profile (when AppArmor is on)
# and, with --firewall, deploy/nftables.conf. Writes /etc/cloop/cloop.env from a template the first
# time only (fill in DATABASE_URL, REDIS_URL, S3_*, PUBLIC_URL; CLOOP_SECRET is generated).
# Idempotent: running it again changes nothing that is already right.
set -euo pipefail
[[ $EUID -eq 0 ]] || { echo "run as root" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)

command -v node >/dev/null || apt-get install -y nodejs npm
command -v curl >/dev/null || apt-get install -y curl
id cloop >/dev/null 2>&1 || useradd --system --home-dir /var/lib/cloop --shell /usr/sbin/nologin cloop
install -d -o root -g cloop -m 0750 /opt/cloop /opt/cloop/releases /etc/cloop
install -d -o cloop -g cloop -m 0700 /var/lib/cloop
install -d -o cloop -g cloop -m 0750 /var/log/cloop

if [[ ! -f /etc/cloop/cloop.env ]]; then
  umask 027
  cat > /etc/cloop/cloop.env <<ENV
# Cloop settings (see README "Settings"). Readable by root and the cloop group only.
PUBLIC_URL=https://cloop.example.com
DATABASE_URL=postgres://cloop@127.0.0.1:5432/cloop
REDIS_URL=redis://127.0.0.1:6379
CLOOP_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
# S3_BUCKET=… S3_ENDPOINT=… S3_ACCESS_KEY_ID=… S3_SECRET_ACCESS_KEY=…
# LLM_PROVIDER=openai LLM_API_KEY=…   EMBEDDINGS_PROVIDER=openai EMBEDDINGS_API_KEY=…
# GOOGLE_CLIENT_ID=… GOOGLE_CLIENT_SECRET=…   (and/or GITHUB_*, MICROSOFT_*)
SECURITY_CONTACT=mailto:security@example.com
ENV
  chown root:cloop /etc/cloop/cloop.env
  echo "wrote /etc/cloop/cloop.env: fill it in before the first deploy"
fi

install -m 0644 "$here/cloop-api.service" "$here/cloop-worker@.service" /etc/systemd/system/
install -D -m 0644 "$here/journald-cloop.conf" /etc/systemd/journald.conf.d/cloop.conf
install -m 0644 "$here/logrotate-cloop" /etc/logrotate.d/cloop
if command -v apparmor_parser >/dev/null && [[ -d /sys/kernel/security/apparmor ]]; then
  install -m 0644 "$here/apparmor-cloop" /etc/apparmor.d/cloop
  apparmor_parser -r /etc/apparmor.d/cloop
fi
if [[ "${1:-}" == "--firewall" ]]; then
  nft -c -f "$here/nftables.conf"
  install -m 0755 "$here/nftables.conf" /etc/nftables.conf
  systemctl enable --now nftables && systemctl reload nftables
fi
systemctl daemon-reload
systemctl restart systemd-journald
systemctl enable cloop-api.service cloop-worker@1.service cloop-worker@2.service
echo "host ready: now run deploy/deploy.sh $(whoami)@$(hostname -f) from a checkout"
