#!/usr/bin/env bash
# Makes sure a Docker engine runs on this machine, as a Swarm manager, with the attachable overlay network that
# Dispatch's swarm backend puts function services on. Idempotent: every step is skipped when already done.
#
#   scripts/docker/ensure-engine.sh
#
# Environment:
#   DISPATCH_SWARM_NETWORK       the overlay network's name (default: dispatch)
#   DISPATCH_SWARM_ADVERTISE     the address `docker swarm init` advertises (default: 127.0.0.1)
#   DISPATCH_ENGINE_WAIT_SECONDS how long to wait for a freshly started dockerd (default: 60)
#   DISPATCH_DOCKERD_LOG         where a dockerd started here writes its log (default: /var/log/dockerd.log)
#
# Installing and starting the engine needs root (Debian 12's docker.io package; dockerd started in the background,
# since these machines run no init system). Prints one line per step; exits non-zero with a reason on failure.
set -euo pipefail

NETWORK="${DISPATCH_SWARM_NETWORK:-dispatch}"
ADVERTISE="${DISPATCH_SWARM_ADVERTISE:-127.0.0.1}"
WAIT_SECONDS="${DISPATCH_ENGINE_WAIT_SECONDS:-60}"
DOCKERD_LOG="${DISPATCH_DOCKERD_LOG:-/var/log/dockerd.log}"
SOCKET=/var/run/docker.sock

say() { printf '[ensure-engine] %s\n' "$*"; }
die() { printf '[ensure-engine] error: %s\n' "$*" >&2; exit 1; }
engine_up() { docker info >/dev/null 2>&1; }
as_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root (run this script as root or with sudo)"; }

# ---- the engine ------------------------------------------------------------------------------------------

if engine_up; then
  say "engine: running ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null || echo 'version unknown'))"
else
  if command -v dockerd >/dev/null 2>&1; then
    say "engine: dockerd is installed ($(command -v dockerd))"
  else
    as_root "installing docker.io"
    say "engine: installing docker.io with apt-get (dockerd, containerd, runc)"
    started=$(date +%s)
    export DEBIAN_FRONTEND=noninteractive
    apt_log=$(mktemp)
    trap 'rm -f "$apt_log"' EXIT
    apt-get update >"$apt_log" 2>&1 || { cat "$apt_log" >&2; die "apt-get update failed"; }
    apt-get install -y docker.io >"$apt_log" 2>&1 || { tail -n 30 "$apt_log" >&2; die "apt-get install docker.io failed"; }
    command -v dockerd >/dev/null 2>&1 || die "docker.io is installed but dockerd is not on PATH"
    say "engine: docker.io installed in $(( $(date +%s) - started ))s"
  fi
  command -v docker >/dev/null 2>&1 || die "no docker command line client on PATH"

  if pgrep -x dockerd >/dev/null 2>&1; then
    say "engine: dockerd is already starting (pid $(pgrep -x dockerd | head -n1)); waiting for it"
  else
    as_root "starting dockerd"
    say "engine: starting dockerd in the background (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    (setsid dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &)
  fi

  started=$(date +%s)
  deadline=$(( started + WAIT_SECONDS ))
  until [ -S "$SOCKET" ] && engine_up; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      printf '[ensure-engine] last lines of %s:\n' "$DOCKERD_LOG" >&2
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "the engine did not answer within ${WAIT_SECONDS}s"
    fi
    if ! pgrep -x dockerd >/dev/null 2>&1; then
      printf '[ensure-engine] last lines of %s:\n' "$DOCKERD_LOG" >&2
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd exited"
    fi
    sleep 0.5
  done
  say "engine: answering after $(( $(date +%s) - started ))s ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}'))"
fi

# ---- Swarm mode ------------------------------------------------------------------------------------------

state=$(docker info --format '{{.Swarm.LocalNodeState}}')
manager=$(docker info --format '{{.Swarm.ControlAvailable}}')
case "$state" in
  active)
    [ "$manager" = true ] || die "this node is in a swarm but is not a manager: run on a manager, or leave the swarm (docker swarm leave)"
    say "swarm: already a manager (node $(docker info --format '{{.Swarm.NodeID}}'))"
    ;;
  inactive)
    say "swarm: initializing (advertise address $ADVERTISE)"
    docker swarm init --advertise-addr "$ADVERTISE" >/dev/null || die "docker swarm init failed"
    say "swarm: manager (node $(docker info --format '{{.Swarm.NodeID}}'))"
    ;;
  *)
    die "swarm is in state '$state' ($(docker info --format '{{.Swarm.Error}}')); fix it or 'docker swarm leave --force' and run again"
    ;;
esac

# ---- the overlay network ---------------------------------------------------------------------------------

if docker network inspect "$NETWORK" >/dev/null 2>&1; then
  driver=$(docker network inspect --format '{{.Driver}}' "$NETWORK")
  attachable=$(docker network inspect --format '{{.Attachable}}' "$NETWORK")
  [ "$driver" = overlay ] || die "network '$NETWORK' exists with driver '$driver', not overlay: remove it or set DISPATCH_SWARM_NETWORK"
  [ "$attachable" = true ] || die "network '$NETWORK' exists but is not attachable: remove it (docker network rm $NETWORK) or set DISPATCH_SWARM_NETWORK"
  say "network: '$NETWORK' exists (overlay, attachable)"
else
  docker network create --driver overlay --attachable "$NETWORK" >/dev/null || die "docker network create $NETWORK failed"
  say "network: created '$NETWORK' (overlay, attachable)"
fi

say "ready"
