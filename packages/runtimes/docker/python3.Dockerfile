# Dispatch's python3 base image: a Python 3 image with Dispatch's function server. Function images are built on
# it (see function.Dockerfile), optionally with dependencies first (python3.image.Dockerfile).
#
#   docker build -f packages/runtimes/docker/python3.Dockerfile -t dispatch/python3-base packages/runtimes
#
# Build context: packages/runtimes (only python3/server.py is used). PYTHON_IMAGE is any Debian-based Python
# image with Python 3.8 or newer and `python3` on PATH; VERSION labels the image with Dispatch's version.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm
FROM ${PYTHON_IMAGE}

ARG PYTHON_IMAGE
ARG VERSION=0.0.0-dev
LABEL org.opencontainers.image.title="dispatch/python3-base" \
      org.opencontainers.image.description="Dispatch python3 base image: Python 3 with Dispatch's function server" \
      org.opencontainers.image.vendor="Dispatch" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}" \
      dispatch.language="python3" \
      dispatch.server="/dispatch/server.py"

# The user functions run as (numeric, so that runAsNonRoot can verify it), and /dispatch/server: the server's
# command whatever the language, which function.Dockerfile runs with --check.
RUN groupadd --system --gid 10001 dispatch \
 && useradd --system --uid 10001 --gid dispatch --home-dir /home/dispatch --create-home --shell /usr/sbin/nologin dispatch \
 && mkdir -p /function /dispatch/site-packages \
 && printf '#!/bin/sh\nexec python3 /dispatch/server.py "$@"\n' >/dispatch/server \
 && chmod 0755 /dispatch/server

# Runtime dependencies (python3.image.Dockerfile) are installed into /dispatch/site-packages.
ENV PYTHONPATH=/dispatch/site-packages \
    PATH=/dispatch/site-packages/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DISPATCH_FUNCTION_DIR=/function \
    DISPATCH_MODE=funker \
    DISPATCH_FUNKER_PORT=9999 \
    PORT=8080

COPY python3/server.py /dispatch/server.py

WORKDIR /function
USER 10001:10001
EXPOSE 9999 8080
CMD ["python3", "/dispatch/server.py"]
