# Dispatch's nodejs base image: a Node.js image with Dispatch's function server. Function images are built on it
# (see function.Dockerfile), optionally with dependencies first (nodejs.image.Dockerfile).
#
#   docker build -f packages/runtimes/docker/nodejs.Dockerfile -t dispatch/nodejs-base packages/runtimes
#
# Build context: packages/runtimes (only nodejs/server.cjs is used). NODE_IMAGE is any Debian-based Node.js
# image with Node 18 or newer; VERSION labels the image with Dispatch's version.
ARG NODE_IMAGE=node:22-bookworm-slim
FROM ${NODE_IMAGE}

ARG NODE_IMAGE
ARG VERSION=0.0.0-dev
LABEL org.opencontainers.image.title="dispatch/nodejs-base" \
      org.opencontainers.image.description="Dispatch nodejs base image: Node.js with Dispatch's function server" \
      org.opencontainers.image.vendor="Dispatch" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}" \
      dispatch.language="nodejs" \
      dispatch.server="/dispatch/server.cjs"

# The user functions run as (numeric, so that runAsNonRoot can verify it), and /dispatch/server: the server's
# command whatever the language, which function.Dockerfile runs with --check.
RUN groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --home-dir /home/dispatch --create-home --shell /usr/sbin/nologin dispatch \
 && mkdir -p /function /dispatch \
 && printf '#!/bin/sh\nexec node /dispatch/server.cjs "$@"\n' >/dispatch/server \
 && chmod 0755 /dispatch/server

ENV NODE_ENV=production \
    DISPATCH_FUNCTION_DIR=/function \
    DISPATCH_MODE=funker \
    DISPATCH_FUNKER_PORT=9999 \
    PORT=8080

COPY nodejs/server.cjs /dispatch/server.cjs

WORKDIR /function
USER 10001:10001
EXPOSE 9999 8080
CMD ["node", "/dispatch/server.cjs"]
