#!/usr/bin/env bash
# Idempotent: makes sure the machine's PostgreSQL server has the pgvector extension.
# Builds pgvector from Debian trixie's source package when it is missing (about 30 s).
set -euo pipefail
PGVER=${PGVER:-$(ls /usr/lib/postgresql | sort -n | tail -1)}
if [ -f "/usr/share/postgresql/$PGVER/extension/vector.control" ]; then
  echo "pgvector: already installed for PostgreSQL $PGVER"
  exit 0
fi
echo "pgvector: building for PostgreSQL $PGVER"
export DEBIAN_FRONTEND=noninteractive
SRC=/etc/apt/sources.list.d/cloop-trixie-src.list
if [ ! -f "$SRC" ]; then
  echo "deb-src http://deb.debian.org/debian trixie main" > "$SRC"
fi
apt-get update -qq -o Dir::Etc::sourcelist="$SRC" -o Dir::Etc::sourceparts="-" -o APT::Get::List-Cleanup="0" >/dev/null || apt-get update -qq >/dev/null
apt-get update -qq >/dev/null || true
apt-get install -y -qq "postgresql-server-dev-$PGVER" make gcc dpkg-dev >/dev/null
WORK=$(mktemp -d)
cd "$WORK"
apt-get source -qq pgvector >/dev/null 2>&1 || apt-get source pgvector
cd pgvector-*/
make -s PG_CONFIG="/usr/lib/postgresql/$PGVER/bin/pg_config" >/dev/null
make -s install PG_CONFIG="/usr/lib/postgresql/$PGVER/bin/pg_config" >/dev/null
cd / && rm -rf "$WORK"
echo "pgvector: installed for PostgreSQL $PGVER"
