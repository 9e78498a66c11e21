#!/usr/bin/env bash
# Idempotent: PostgreSQL (with pgvector) and Redis running on loopback, as the tests expect.
set -euo pipefail
here=$(dirname "$0")

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -n | tail -1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
bash "$here/setup-pgvector.sh"

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
echo "services: PostgreSQL $(psql -h 127.0.0.1 -U postgres -Atc 'show server_version') (pgvector available), Redis $(redis-cli info server | grep redis_version | cut -d: -f2 | tr -d '\r')"
