#!/usr/bin/env bash
# End-to-end check of Dispatch's images on the real engine: builds the base images from
# packages/runtimes/docker, builds function images of examples/{python3/hello.py,nodejs/hello.js}, runs each as
# a Swarm service (dnsrr, 2 replicas) on the overlay network, calls it over funker from a container on that
# network, checks that a handler that cannot load fails its build, and removes its services again.
#
#   scripts/docker/ensure-engine.sh && scripts/docker/ensure-base-os-images.sh >/dev/null && scripts/docker/smoke.sh
#
# Leaves the base images (dispatch/nodejs-base, dispatch/python3-base) and the function images
# (dispatch-smoke/*) in place. Environment: DISPATCH_SWARM_NETWORK (default: dispatch).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNTIMES="$ROOT/packages/runtimes"
DOCKERFILES="$RUNTIMES/docker"
NETWORK="${DISPATCH_SWARM_NETWORK:-dispatch}"
PREFIX=dispatch-smoke

say() { printf '[smoke] %s\n' "$*"; }
die() { printf '[smoke] FAILED: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

docker info >/dev/null 2>&1 || die "no Docker engine answers: run scripts/docker/ensure-engine.sh"
docker network inspect "$NETWORK" >/dev/null 2>&1 || die "no network $NETWORK: run scripts/docker/ensure-engine.sh"
eval "$("$ROOT/scripts/docker/ensure-base-os-images.sh" 2>/dev/null)" || die "stand-in images missing: run scripts/docker/ensure-base-os-images.sh"
VERSION=$(node -p "require('$RUNTIMES/package.json').version")

WORK=$(mktemp -d)
cleanup() {
  docker service ls -q --filter "label=dispatch.smoke=1" | xargs -r docker service rm >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

build() { # build TAG DOCKERFILE CONTEXT [build args...]
  local tag="$1" dockerfile="$2" context="$3" started
  shift 3
  started=$(now_ms)
  if ! docker build --force-rm -f "$dockerfile" "$@" -t "$tag" "$context" >"$WORK/build.log" 2>&1; then
    tail -n 20 "$WORK/build.log" >&2
    die "docker build of $tag"
  fi
  say "built $tag in $(( $(now_ms) - started )) ms"
}

# ---- base images -------------------------------------------------------------------------------------------

build dispatch/nodejs-base "$DOCKERFILES/nodejs.Dockerfile" "$RUNTIMES" \
  --build-arg "NODE_IMAGE=$DISPATCH_LOCAL_NODE_IMAGE" --build-arg "VERSION=$VERSION"
build dispatch/python3-base "$DOCKERFILES/python3.Dockerfile" "$RUNTIMES" \
  --build-arg "PYTHON_IMAGE=$DISPATCH_LOCAL_PYTHON_IMAGE" --build-arg "VERSION=$VERSION"

# ---- function images ---------------------------------------------------------------------------------------

mkdir -p "$WORK/hello-py/function" "$WORK/hello-js/function" "$WORK/broken-py/function" "$WORK/broken-js/function"
cp "$ROOT/examples/python3/hello.py" "$WORK/hello-py/function/"
cp "$ROOT/examples/nodejs/hello.js" "$WORK/hello-js/function/"
build "$PREFIX/hello-py:1" "$DOCKERFILES/function.Dockerfile" "$WORK/hello-py" \
  --build-arg IMAGE=dispatch/python3-base --build-arg HANDLER=hello.handle
build "$PREFIX/hello-js:1" "$DOCKERFILES/function.Dockerfile" "$WORK/hello-js" \
  --build-arg IMAGE=dispatch/nodejs-base --build-arg HANDLER=hello.js

# ---- a handler that cannot load fails the build, with the loader's message ---------------------------------

printf 'import no_such_module\n\ndef handle(ctx, payload):\n    return payload\n' >"$WORK/broken-py/function/broken.py"
printf 'module.exports = function (context, payload) {\n  return {;\n};\n' >"$WORK/broken-js/function/broken.js"
for case in "broken-py python3 broken.handle ModuleNotFoundError: No module named 'no_such_module'" \
            "broken-js nodejs broken.js SyntaxError: Unexpected token ';'"; do
  read -r dir language handler expected <<<"$case"
  if docker build --force-rm -f "$DOCKERFILES/function.Dockerfile" --build-arg "IMAGE=dispatch/$language-base" \
       --build-arg "HANDLER=$handler" -t "$PREFIX/broken:1" "$WORK/$dir" >"$WORK/build.log" 2>&1; then
    die "the build of $dir succeeded"
  fi
  grep -q -- "--check' returned a non-zero code: 3" "$WORK/build.log" || { tail -n 5 "$WORK/build.log" >&2; die "$dir failed elsewhere than at --check"; }
  grep -qF -- "$expected" "$WORK/build.log" || { tail -n 5 "$WORK/build.log" >&2; die "$dir: no '$expected' in the build's output"; }
  say "build of $dir fails at --check with: $(grep -oF -- "$expected" "$WORK/build.log" | head -n1)"
done

# ---- Swarm services, called over funker from the overlay network -------------------------------------------

# Retries (DNS may not know the service yet, its first task may not listen yet) until a reply, for 60 s.
CLIENT='
const net = require("node:net");
const [host] = process.argv.slice(1);
const request = JSON.stringify({ context: { secrets: {}, timeout: 5000 }, payload: { name: "user" } });
const call = () => new Promise((resolve, reject) => {
  const socket = net.connect(9999, host, () => socket.end(request));
  const chunks = [];
  socket.on("data", (c) => chunks.push(c)).on("error", reject).on("end", () => resolve(Buffer.concat(chunks).toString()));
  socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
});
(async () => {
  const deadline = Date.now() + 60000;
  for (let last; ; await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline) { console.error("no reply:", last); process.exit(1); }
    try { console.log(await call()); return; } catch (err) { last = err.code || err.message; }
  }
})();'

for fn in hello-py hello-js; do
  service="$PREFIX-$fn"
  started=$(now_ms)
  docker service create --detach --no-resolve-image --name "$service" --label dispatch.smoke=1 \
    --endpoint-mode dnsrr --network "$NETWORK" --replicas 2 "$PREFIX/$fn:1" >/dev/null
  reply=$(docker run --rm --network "$NETWORK" "$DISPATCH_LOCAL_NODE_IMAGE" node -e "$CLIENT" "$service") \
    || die "$service did not answer"
  answered=$(now_ms)
  case "$reply" in
    *'"payload":{"myField":"Hello, user from Nowhere"}'*) ;;
    *) die "$service answered $reply" ;;
  esac
  say "$service answered $(( answered - started )) ms after service create: $reply"
  for _ in $(seq 100); do
    [ "$(docker service ls --filter "name=$service" --format '{{.Replicas}}')" = 2/2 ] && break
    sleep 0.2
  done
  say "$service replicas: $(docker service ls --filter "name=$service" --format '{{.Replicas}}')"
done

say "passed"
