#!/bin/sh
# Starts the gateway as the unprivileged user `node`. Swarm services have no `group_add`, so the group that owns
# the mounted Docker socket (its gid differs between hosts) is read here and given to the server as a
# supplementary group. Run with `--user` already, it starts the server as that user unchanged.
set -eu
if [ "$(id -u)" != 0 ]; then exec "$@"; fi
groups=node
socket="${DOCKER_HOST:-unix:///var/run/docker.sock}"
socket="${socket#unix://}"
if [ -S "$socket" ]; then groups="$groups,$(stat -c %g "$socket")"; fi
# A volume first used by an image that ran as root still belongs to root: hand it over once.
data="${DISPATCH_DATA_DIR:-/var/lib/dispatch}"
mkdir -p "$data"
if [ "$(stat -c %u "$data")" != "$(id -u node)" ]; then chown -R node:node "$data"; fi
HOME=/home/node exec setpriv --reuid=node --regid=node --groups="$groups" --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
