#!/usr/bin/env bash
# Builds a local stand-in for the PostgreSQL image swarm/stack-postgres.yml runs (DISPATCH_POSTGRES_IMAGE), on
# machines that cannot pull images: Debian's postgresql package (PostgreSQL 15) on the Debian stand-in of
# ensure-base-os-images.sh. Idempotent: an image that `docker image inspect` finds is kept, so a second run costs
# one inspect.
#
#   scripts/docker/ensure-postgres-image.sh [--rebuild]
#   eval "$(scripts/docker/ensure-postgres-image.sh)"     # also sets DISPATCH_POSTGRES_IMAGE in the caller
#
# It behaves as the official postgres image does for what the stack uses: POSTGRES_USER, POSTGRES_PASSWORD and
# POSTGRES_DB make the cluster on first start in PGDATA (/var/lib/postgresql/data, a volume), password
# (scram-sha-256) authentication from any address, pg_isready for the health check, the server as user postgres.
#
# On success, stdout holds only the line DISPATCH_POSTGRES_IMAGE=... (progress goes to stderr).
# Environment: DISPATCH_IMAGE_TIMEOUT_SECONDS, the bound on the docker build (default: 900).
set -euo pipefail

REBUILD=false
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=true ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'unknown argument: %s\n' "$arg" >&2; exit 2 ;;
  esac
done

IMAGE=dispatch-local/postgres:15
DEBIAN_IMAGE=dispatch-local/debian:bookworm
TIMEOUT="${DISPATCH_IMAGE_TIMEOUT_SECONDS:-900}"

say() { printf '[postgres-image] %s\n' "$*" >&2; }
die() { printf '[postgres-image] error: %s\n' "$*" >&2; exit 1; }

docker info >/dev/null 2>&1 || die "no Docker engine answers: run scripts/docker/ensure-engine.sh first"

if [ "$REBUILD" = false ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "$IMAGE: present"
  printf 'DISPATCH_POSTGRES_IMAGE=%s\n' "$IMAGE"
  exit 0
fi

if ! docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
  say "$DEBIAN_IMAGE: missing, building the base stand-ins first"
  "$(dirname "$0")/ensure-base-os-images.sh" >/dev/null
fi

WORK=$(mktemp -d /var/tmp/dispatch-postgres-image.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# First start on an empty PGDATA: the cluster, its user with the password, the database; then the server.
cat >"$WORK/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -eu
BIN=/usr/lib/postgresql/15/bin
: "${PGDATA:=/var/lib/postgresql/data}"
user="${POSTGRES_USER:-postgres}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  "$BIN/initdb" -D "$PGDATA" -U "$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  db="${POSTGRES_DB:-$user}"
  if [ "$db" != postgres ]; then
    # Only on the socket while the database is made.
    "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
    "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "postgres stand-in: cluster made in $PGDATA with database $db" >&2
fi
exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
EOF

chmod 0755 "$WORK/docker-entrypoint.sh" # COPY keeps the mode (COPY --chmod needs BuildKit)

# As the official image: no cluster made by the package (the entrypoint makes it in the volume), the socket
# folder writable by postgres, PGDATA owned by postgres (a new named volume takes that ownership).
cat >"$WORK/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
ENV LANG=C.UTF-8 PGDATA=/var/lib/postgresql/data
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-common \\
 && sed -ri 's/#(create_main_cluster) .*\$/\1 = false/' /etc/postgresql-common/createcluster.conf \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p /var/run/postgresql "\$PGDATA" \\
 && chown postgres:postgres /var/run/postgresql "\$PGDATA" \\
 && chmod 0700 "\$PGDATA"
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER postgres
STOPSIGNAL SIGINT
EXPOSE 5432
LABEL org.opencontainers.image.title="dispatch-local/postgres" \\
      org.opencontainers.image.description="Local stand-in for a PostgreSQL 15 image: Debian's postgresql-15 on $DEBIAN_IMAGE" \\
      org.opencontainers.image.base.name="$DEBIAN_IMAGE"
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
EOF

started=$(date +%s)
if ! timeout "$TIMEOUT" docker build --force-rm --tag "$IMAGE" "$WORK" >"$WORK/build.log" 2>&1; then
  tail -n 40 "$WORK/build.log" >&2
  die "docker build of $IMAGE failed (or exceeded ${TIMEOUT}s)"
fi
say "$IMAGE: built in $(( $(date +%s) - started ))s"
printf 'DISPATCH_POSTGRES_IMAGE=%s\n' "$IMAGE"
