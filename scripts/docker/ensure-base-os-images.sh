#!/usr/bin/env bash
# Builds the local stand-ins for the operating-system and language images that Dispatch's Dockerfiles start
# from, on machines that cannot pull images. Idempotent: an image that `docker image inspect` finds is kept.
#
#   scripts/docker/ensure-base-os-images.sh [--rebuild]
#   eval "$(scripts/docker/ensure-base-os-images.sh)"     # also sets the variables below in the caller
#
# Images (local names only; none is tagged with an official image's name):
#   dispatch-local/debian:bookworm   a minimal Debian 12 root file system (debootstrap --variant=minbase)
#   dispatch-local/node:<major>      that Debian + this machine's node binary and npm (major of `node --version`)
#   dispatch-local/python:3.11       that Debian + Debian's python3 and pip (Debian 12 ships Python 3.11)
#
# On success, stdout holds only these lines (progress goes to stderr):
#   DISPATCH_LOCAL_DEBIAN_IMAGE=...  DISPATCH_LOCAL_NODE_IMAGE=...  DISPATCH_LOCAL_PYTHON_IMAGE=...
#
# Environment:
#   DISPATCH_DEBIAN_MIRROR         the Debian mirror (default: the one this machine's apt uses for bookworm)
#   DISPATCH_DEBIAN_SECURITY       the security mirror (default: likewise, for bookworm-security)
#   DISPATCH_IMAGE_TIMEOUT_SECONDS the bound on each debootstrap or docker build (default: 900)
#   DISPATCH_EXTRA_CA_CERTS        PEM files of extra certificate authorities the stand-ins trust, space-separated
#                                  (default: the ones this machine added, /usr/local/share/ca-certificates/*.crt)
#
# A network that intercepts TLS (a proxy with its own CA, trusted by this machine) breaks `npm install` in a
# container unless the container trusts that CA too. So the stand-ins carry this machine's locally added CAs:
# in /usr/local/share/ca-certificates (picked up by `update-ca-certificates` whenever ca-certificates is
# installed; the python stand-in installs it) and, for Node.js, in NODE_EXTRA_CA_CERTS. Images built on them
# inherit that; the official images a user pulls are untouched. After a CA changes, run with --rebuild.
#
# Needs root (apt-get, debootstrap) and a running engine (scripts/docker/ensure-engine.sh).
set -euo pipefail

REBUILD=false
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=true ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'unknown argument: %s\n' "$arg" >&2; exit 2 ;;
  esac
done

SUITE=bookworm
TIMEOUT="${DISPATCH_IMAGE_TIMEOUT_SECONDS:-900}"
DEBIAN_IMAGE="dispatch-local/debian:$SUITE"
PYTHON_IMAGE="dispatch-local/python:3.11"
PYTHON_VERSION=3.11

say() { printf '[base-os-images] %s\n' "$*" >&2; }
die() { printf '[base-os-images] error: %s\n' "$*" >&2; exit 1; }
have_image() { [ "$REBUILD" = false ] && docker image inspect "$1" >/dev/null 2>&1; }
image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
# After --rebuild: drop the image a tag used to name, unless something still uses it.
drop_replaced() {
  if [ -n "$2" ] && [ "$2" != "$(image_id "$1")" ]; then docker image rm "$2" >/dev/null 2>&1 || true; fi
}
image_size() { docker image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1000000 }'; }

docker info >/dev/null 2>&1 || die "no Docker engine answers: run scripts/docker/ensure-engine.sh first"
[ "$(id -u)" -eq 0 ] || die "needs root (apt-get, debootstrap)"

WORK=$(mktemp -d /var/tmp/dispatch-base-os.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# The URI of the first apt source of this machine that serves the given suite (deb822 and one-line formats).
apt_uri_for_suite() {
  local suite="$1" file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v suite="$suite" '
      function flush() { if (deb && uris != "" && (" " suites " ") ~ (" " suite " ")) { split(uris, u, " "); print u[1]; found = 1; exit } }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); deb = 0; uris = ""; suites = ""; next }
      tolower($1) == "types:"  { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
      tolower($1) == "uris:"   { uris = $0; sub(/^[^:]*:[ \t]*/, "", uris) }
      tolower($1) == "suites:" { suites = $0; sub(/^[^:]*:[ \t]*/, "", suites) }
      tolower($1) == "enabled:" && tolower($2) == "no" { deb = 0 }
      END { if (!found) flush() }
    ' "$file"
  done | head -n1 | grep . && return 0
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk -v suite="$suite" '
      $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }
    ' "$file"
  done | head -n1 | grep .
}

MIRROR="${DISPATCH_DEBIAN_MIRROR:-$(apt_uri_for_suite "$SUITE" || echo http://deb.debian.org/debian)}"
SECURITY="${DISPATCH_DEBIAN_SECURITY:-$(apt_uri_for_suite "$SUITE-security" || echo http://deb.debian.org/debian-security)}"
MIRROR="${MIRROR%/}"
read -r -a EXTRA_CAS <<<"${DISPATCH_EXTRA_CA_CERTS-$(find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' 2>/dev/null | sort | tr '\n' ' ')}"
EXTRA_CA_BUNDLE=/usr/local/share/dispatch-local/extra-ca.pem
SECURITY="${SECURITY%/}"

build() { # build IMAGE CONTEXT: docker build with a bounded time; the build's output goes to stderr
  local image="$1" context="$2" started old
  started=$(date +%s)
  old=$(image_id "$image")
  if ! timeout "$TIMEOUT" docker build --force-rm --tag "$image" "$context" >"$WORK/build.log" 2>&1; then
    tail -n 40 "$WORK/build.log" >&2
    die "docker build of $image failed (or exceeded ${TIMEOUT}s)"
  fi
  drop_replaced "$image" "$old"
  say "$image: built in $(( $(date +%s) - started ))s ($(image_size "$image"))"
}

# ---- dispatch-local/debian:bookworm ----------------------------------------------------------------------

if have_image "$DEBIAN_IMAGE"; then
  say "$DEBIAN_IMAGE: present"
else
  if ! command -v debootstrap >/dev/null 2>&1; then
    say "debootstrap: installing with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update && apt-get install -y debootstrap; } >"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log" >&2; die "installing debootstrap failed"; }
  fi
  say "$DEBIAN_IMAGE: debootstrap --variant=minbase $SUITE from $MIRROR"
  started=$(date +%s)
  ROOTFS="$WORK/rootfs"
  if ! timeout "$TIMEOUT" debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap.log" >&2
    tail -n 30 "$ROOTFS/debootstrap/debootstrap.log" >&2 2>/dev/null || true
    die "debootstrap failed (or exceeded ${TIMEOUT}s)"
  fi
  say "$DEBIAN_IMAGE: root file system made in $(( $(date +%s) - started ))s"

  # Shape it like Debian's own container images: apt sources with updates and security, no caches or lists,
  # no daemons started by package scripts, no translations.
  rm -f "$ROOTFS/etc/apt/sources.list"
  cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$ROOTFS/etc/apt/apt.conf.d/docker-gzip-indexes"
  # As the -slim images do: no manuals, documentation (but copyrights) or translations, now or later.
  cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  if [ "${#EXTRA_CAS[@]}" -gt 0 ]; then
    mkdir -p "$ROOTFS/usr/local/share/ca-certificates" "$ROOTFS$(dirname "$EXTRA_CA_BUNDLE")"
    for ca in "${EXTRA_CAS[@]}"; do
      grep -q 'BEGIN CERTIFICATE' "$ca" || die "$ca is not a PEM certificate"
      cp "$ca" "$ROOTFS/usr/local/share/ca-certificates/$(basename "${ca%.*}").crt"
      cat "$ca" >>"$ROOTFS$EXTRA_CA_BUNDLE"
    done
    say "$DEBIAN_IMAGE: trusting this machine's extra CAs: ${EXTRA_CAS[*]}"
  fi
  find "$ROOTFS/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
  find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/groff/* \
    "$ROOTFS"/usr/share/lintian/* "$ROOTFS"/usr/share/linda/*
  find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
  chmod 0755 "$ROOTFS/usr/sbin/policy-rc.d"
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/lib/apt/lists/* \
    "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/* "$ROOTFS"/tmp/* "$ROOTFS"/root/.bash_history
  : >"$ROOTFS/etc/resolv.conf"
  : >"$ROOTFS/etc/hostname"

  started=$(date +%s)
  old=$(image_id "$DEBIAN_IMAGE")
  tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    - "$DEBIAN_IMAGE" >/dev/null || die "docker import of $DEBIAN_IMAGE failed"
  rm -rf "$ROOTFS"
  drop_replaced "$DEBIAN_IMAGE" "$old"
  say "$DEBIAN_IMAGE: imported in $(( $(date +%s) - started ))s ($(image_size "$DEBIAN_IMAGE"))"
fi

# ---- dispatch-local/node:<major> -------------------------------------------------------------------------

NODE_BIN=$(command -v node) || die "no node on PATH to copy into the node image"
NODE_BIN=$(readlink -f "$NODE_BIN")
NODE_VERSION=$("$NODE_BIN" -p 'process.versions.node')
NODE_IMAGE="dispatch-local/node:${NODE_VERSION%%.*}"

if have_image "$NODE_IMAGE"; then
  say "$NODE_IMAGE: present"
else
  NPM_DIR=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd) || die "no npm on PATH to copy into the node image"
  [ -f "$NPM_DIR/package.json" ] || die "npm's package folder not found (looked at $NPM_DIR)"
  NPM_VERSION=$("$NODE_BIN" -p "require('$NPM_DIR/package.json').version")
  say "$NODE_IMAGE: node $NODE_VERSION ($NODE_BIN) and npm $NPM_VERSION on $DEBIAN_IMAGE"
  # Node's C headers, for native addons (node-gyp would otherwise download them, and cannot here).
  NODE_HEADERS=""
  for dir in "$(dirname "$NODE_BIN")/../include/node" /usr/include/node /usr/local/include/node; do
    if [ -f "$dir/node.h" ]; then NODE_HEADERS=$(cd "$dir" && pwd); break; fi
  done
  [ -n "$NODE_HEADERS" ] || die "Node's headers (node.h) not found next to $NODE_BIN nor in /usr/include/node"
  mkdir -p "$WORK/node"
  cp "$NODE_BIN" "$WORK/node/node"
  cp -a "$NPM_DIR" "$WORK/node/npm"
  cp -a "$NODE_HEADERS" "$WORK/node/include"
  # Laid out as in the official node images: node, npm and the headers under /usr/local, a `node` user (uid 1000).
  cat >"$WORK/node/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY include /usr/local/include/node
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node -e 'require("node:crypto").randomUUID(); require("node:zlib").gzipSync("x")' \\
 && npm --version >/dev/null
ENV NODE_VERSION=$NODE_VERSION$( [ "${#EXTRA_CAS[@]}" -gt 0 ] && printf ' \\\n    NODE_EXTRA_CA_CERTS=%s' "$EXTRA_CA_BUNDLE" )
LABEL org.opencontainers.image.title="dispatch-local/node" \\
      org.opencontainers.image.description="Local stand-in for a Node.js $NODE_VERSION image: Debian $SUITE (debootstrap) with this machine's node binary and npm $NPM_VERSION" \\
      org.opencontainers.image.base.name="$DEBIAN_IMAGE"
CMD ["node"]
EOF
  build "$NODE_IMAGE" "$WORK/node"
  rm -rf "$WORK/node"
fi

# ---- dispatch-local/python:3.11 --------------------------------------------------------------------------

if have_image "$PYTHON_IMAGE"; then
  say "$PYTHON_IMAGE: present"
else
  say "$PYTHON_IMAGE: Debian's python3, pip and ca-certificates on $DEBIAN_IMAGE"
  mkdir -p "$WORK/python"
  # The official python images let pip install anywhere; so does this stand-in (Debian marks its Python as
  # externally managed, which the official images do not).
  cat >"$WORK/python/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
ENV LANG=C.UTF-8
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates python3 python3-pip \\
 && rm -rf /var/lib/apt/lists/* \\
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \\
 && ln -s /usr/bin/python3 /usr/local/bin/python \\
 && python3 -c 'import sys; assert sys.version_info[:2] == tuple(map(int, "$PYTHON_VERSION".split("."))), sys.version' \\
 && pip --version >/dev/null
LABEL org.opencontainers.image.title="dispatch-local/python" \\
      org.opencontainers.image.description="Local stand-in for a Python $PYTHON_VERSION image: Debian $SUITE (debootstrap) with Debian's python3 and pip" \\
      org.opencontainers.image.base.name="$DEBIAN_IMAGE"
CMD ["python3"]
EOF
  build "$PYTHON_IMAGE" "$WORK/python"
  rm -rf "$WORK/python"
fi

say "ready: $DEBIAN_IMAGE, $NODE_IMAGE, $PYTHON_IMAGE"
printf 'DISPATCH_LOCAL_DEBIAN_IMAGE=%s\nDISPATCH_LOCAL_NODE_IMAGE=%s\nDISPATCH_LOCAL_PYTHON_IMAGE=%s\n' \
  "$DEBIAN_IMAGE" "$NODE_IMAGE" "$PYTHON_IMAGE"
