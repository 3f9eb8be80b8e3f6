# A Dispatch nodejs image: the nodejs base image plus a function's system and npm dependencies. Functions are
# then built on it with function.Dockerfile.
#
#   docker build -f nodejs.image.Dockerfile --build-arg BASE_IMAGE=dispatch/nodejs-base \
#     --build-arg SYSTEM_PACKAGES="jq curl=7.88.1-10+deb12u12" -t dispatch/img-slugify:1 <context>
#
# Build context: a folder `deps/` (present, possibly empty) with the npm manifest: package.json, and optionally
# package-lock.json (then `npm ci`) and .npmrc. The packages land in /function/node_modules, where both require()
# and import resolve them from the function's files. Build args:
#   BASE_IMAGE       the base image (default: dispatch/nodejs-base)
#   SYSTEM_PACKAGES  Debian packages to apt-get install, space-separated `name` or `name=version`
ARG BASE_IMAGE=dispatch/nodejs-base
FROM ${BASE_IMAGE}

USER root

ARG SYSTEM_PACKAGES=""
RUN if [ -n "$SYSTEM_PACKAGES" ]; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $SYSTEM_PACKAGES \
      && rm -rf /var/lib/apt/lists/*; \
    fi

COPY deps/ /function/
# Packages' install scripts run only when the image allows them (runtimeDependencies.allowScripts).
ARG INSTALL_SCRIPTS=""
RUN if [ -f package.json ]; then \
      if [ -f package-lock.json ]; then command=ci; else command=install; fi \
      && if [ "$INSTALL_SCRIPTS" = "1" ]; then scripts=""; else scripts="--ignore-scripts"; fi \
      && npm "$command" --omit=dev --no-audit --no-fund --no-update-notifier --loglevel=warn --cache /tmp/npm-cache $scripts \
      && rm -rf /tmp/npm-cache; \
    fi

USER 10001:10001
