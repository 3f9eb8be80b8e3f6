#!/usr/bin/env bash
# A Swarm of two nodes on this one machine, for the tests of multi-node behaviour: images that reach a node only
# through a registry, the overlay across hosts, tasks on a node whose containers the gateway's engine cannot touch.
# Two Docker engines, each in a network namespace of its own on a bridge of the host: a manager and a worker.
#
#   eval "$(scripts/docker/ensure-swarm-nodes.sh)"     # idempotent; prints the KEY=value lines below
#   scripts/docker/ensure-swarm-nodes.sh --down        # removes the engines, their data, the namespaces, the bridge
#
# The two engines are a swarm of their own, not members of this machine's swarm (ensure-engine.sh): a worker
# joined to that one would receive the tasks of every other test's services, whose images it does not have.
# Stdout, for eval:
#   DISPATCH_SWARM_NODES_MANAGER  DOCKER_HOST of the manager (unix socket)
#   DISPATCH_SWARM_NODES_WORKER   DOCKER_HOST of the worker
#   DISPATCH_SWARM_NODES_HOST     the host's address on the bridge: a registry listening there is reachable from
#                                 both engines, which treat the bridge's subnet as plain-HTTP (insecure) registries
# Environment:
#   DISPATCH_SWARM_NODES_SUBNET   the bridge's /24 prefix (default 10.250.0): .1 host, .2 manager, .3 worker
#   DISPATCH_SWARM_NODES_IMAGES   images copied from this machine's engine to the manager when it lacks them
#   DISPATCH_SWARM_NETWORK        the overlay network created on the manager (default dispatch)
#   DISPATCH_SWARM_NODES_TMPFS    the size of the tmpfs each engine keeps its data in (default 4g; only what is
#                                 written takes memory), so that --down frees it at once where deleting the
#                                 images from disk took 40 s and more; empty: the data on disk
# Needs root. Progress goes to stderr, one line per step; exits non-zero with the reason on failure.
set -euo pipefail

PREFIX="${DISPATCH_SWARM_NODES_SUBNET:-10.250.0}"
NETWORK="${DISPATCH_SWARM_NETWORK:-dispatch}"
TMPFS="${DISPATCH_SWARM_NODES_TMPFS-4g}"
BRIDGE=dsw0
NODES=(m w)
declare -A ADDRESS=([m]="$PREFIX.2" [w]="$PREFIX.3")
HOST_ADDRESS="$PREFIX.1"

say() { printf '[swarm-nodes] %s\n' "$*" >&2; }
die() { printf '[swarm-nodes] error: %s\n' "$*" >&2; exit 1; }
netns() { printf 'dispatch-swarm-%s' "$1"; }
sock() { printf '/var/run/dispatch-swarm-%s.sock' "$1"; }
pidfile() { printf '/var/run/dispatch-swarm-%s.pid' "$1"; }
data() { printf '/var/lib/dispatch-swarm-%s' "$1"; }
on() { local node=$1; shift; docker -H "unix://$(sock "$node")" "$@"; }
running() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }
any_alive() { local pid; for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
# Docker loads br_netfilter, so bridged frames cross the host's FORWARD chain (policy DROP): DOCKER-USER is the
# chain Docker leaves to its users, and this rule lets the bridge's own traffic through.
FORWARD_RULE=(DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT)

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, dockerd)"
started=$(date +%s%N)

down() {
  # Services first: their tasks stop together (2 s of grace each), where an engine stopping with containers
  # still running stops them one by one.
  if running m; then
    services=$(on m service ls -q 2>/dev/null || true)
    [ -n "$services" ] && on m service rm $services >/dev/null 2>&1 || true
    for _ in $(seq 1 150); do
      [ -z "$(on m ps -q 2>/dev/null)$(running w && on w ps -q 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  # Both engines stop together: the swarm goes with them, so neither needs to see the other leave.
  local pids=()
  for node in w m; do
    running "$node" && pids+=("$(cat "$(pidfile "$node")")")
  done
  if [ "${#pids[@]}" -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 150); do any_alive "${pids[@]}" || break; sleep 0.2; done
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true; done
    say "dockerd (pids ${pids[*]}) stopped"
  fi
  for node in w m; do
    ip netns del "$(netns "$node")" 2>/dev/null && say "$node: network namespace removed" || true
  done
  ip link del "$BRIDGE" 2>/dev/null && say "bridge $BRIDGE removed" || true
  while iptables -D "${FORWARD_RULE[@]}" 2>/dev/null; do :; done
  # The engines' data (a tmpfs, with what dockerd left mounted on it), sockets and pid files.
  for node in w m; do
    if mountpoint -q "$(data "$node")"; then umount -R "$(data "$node")" 2>/dev/null || umount -R -l "$(data "$node")"; fi
    rm -rf "$(data "$node")" "/var/run/dispatch-swarm-$node" "$(sock "$node")" "$(pidfile "$node")"
  done
  say "removed in $(( ($(date +%s%N) - started) / 1000000 )) ms"
}

if [ "${1:-}" = "--down" ]; then
  down
  exit 0
fi

# ---- the network: a bridge on the host, one veth per namespace -------------------------------------------
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
  ip addr add "$HOST_ADDRESS/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  say "bridge $BRIDGE: $HOST_ADDRESS/24"
fi
iptables -C "${FORWARD_RULE[@]}" 2>/dev/null || iptables -I "${FORWARD_RULE[@]}"
for node in "${NODES[@]}"; do
  ns=$(netns "$node")
  [ -e "/var/run/netns/$ns" ] && continue
  ip netns add "$ns"
  ip link add "dsw-$node" type veth peer name eth0 netns "$ns"
  ip link set "dsw-$node" master "$BRIDGE" up
  ip netns exec "$ns" sh -c "ip addr add ${ADDRESS[$node]}/24 dev eth0 && ip link set eth0 up && ip link set lo up"
  say "$node: network namespace $ns at ${ADDRESS[$node]}"
done

# ---- the engines -------------------------------------------------------------------------------------------
for node in "${NODES[@]}"; do
  running "$node" && continue
  mkdir -p "$(data "$node")" "/var/run/dispatch-swarm-$node"
  if [ -n "$TMPFS" ] && ! mountpoint -q "$(data "$node")"; then
    mount -t tmpfs -o "size=$TMPFS,mode=0711" "dispatch-swarm-$node" "$(data "$node")"
  fi
  # nsenter --net, not `ip netns exec`: the latter remounts /sys and hides the cgroup mounts dockerd needs.
  nsenter --net="/var/run/netns/$(netns "$node")" setsid dockerd \
    --data-root "$(data "$node")" --exec-root "/var/run/dispatch-swarm-$node" \
    --pidfile "$(pidfile "$node")" -H "unix://$(sock "$node")" --iptables=false --bridge=none \
    --insecure-registry "$PREFIX.0/24" >"/var/log/dispatch-swarm-$node.log" 2>&1 < /dev/null &
  for _ in $(seq 1 300); do on "$node" info >/dev/null 2>&1 && break; sleep 0.1; done
  on "$node" info >/dev/null 2>&1 || { tail -n 20 "/var/log/dispatch-swarm-$node.log" >&2; die "$node: dockerd did not answer"; }
  say "$node: dockerd running on $(sock "$node")"
done

# ---- the swarm -----------------------------------------------------------------------------------------------
state() { on "$1" info --format '{{.Swarm.LocalNodeState}}'; }
if [ "$(state m)" != active ]; then
  on m swarm init --advertise-addr "${ADDRESS[m]}" >/dev/null
  say "m: swarm initialised, advertising ${ADDRESS[m]}"
fi
if [ "$(state w)" != active ]; then
  on w swarm join --advertise-addr "${ADDRESS[w]}" --token "$(on m swarm join-token -q worker)" "${ADDRESS[m]}:2377" >/dev/null
  say "w: joined the swarm as a worker"
fi
for _ in $(seq 1 100); do
  [ "$(on m node ls --filter role=worker --format '{{.Status}}' | grep -c Ready)" -ge 1 ] && break
  sleep 0.1
done
[ "$(on m node ls --format '{{.Status}}' | grep -c Ready)" -eq 2 ] || die "the swarm has not two Ready nodes: $(on m node ls 2>&1)"
if ! on m network inspect "$NETWORK" >/dev/null 2>&1; then
  on m network create --driver overlay --attachable "$NETWORK" >/dev/null
  say "m: overlay network $NETWORK created"
fi

# ---- images the manager needs (nothing can be pulled here) ------------------------------------------------
# One archive for all of them: the layers they share (the language stand-ins share their Debian) go across once.
missing=()
for image in ${DISPATCH_SWARM_NODES_IMAGES:-}; do
  on m image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
done
if [ "${#missing[@]}" -gt 0 ]; then
  docker save "${missing[@]}" | on m load -q >/dev/null
  say "m: images ${missing[*]} copied from this machine's engine"
fi

say "two Ready nodes in $(( ($(date +%s%N) - started) / 1000000 )) ms"
printf 'DISPATCH_SWARM_NODES_MANAGER=unix://%s\n' "$(sock m)"
printf 'DISPATCH_SWARM_NODES_WORKER=unix://%s\n' "$(sock w)"
printf 'DISPATCH_SWARM_NODES_HOST=%s\n' "$HOST_ADDRESS"
