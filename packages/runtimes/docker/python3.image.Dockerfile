# A Dispatch python3 image: the python3 base image plus a function's system and pip dependencies. Functions are
# then built on it with function.Dockerfile.
#
#   docker build -f python3.image.Dockerfile --build-arg BASE_IMAGE=dispatch/python3-base \
#     --build-arg SYSTEM_PACKAGES="libpq5" -t dispatch/img-report:1 <context>
#
# Build context: a folder `deps/` (present, possibly empty) with requirements.txt, and optionally `wheels/`, local
# wheels pip may install from (--find-links). The packages land in /dispatch/site-packages, which the base image
# puts on PYTHONPATH (and its bin/ on PATH). Build args:
#   BASE_IMAGE       the base image (default: dispatch/python3-base)
#   SYSTEM_PACKAGES  Debian packages to apt-get install, space-separated `name` or `name=version`
ARG BASE_IMAGE=dispatch/python3-base
FROM ${BASE_IMAGE}

USER root

ARG SYSTEM_PACKAGES=""
RUN if [ -n "$SYSTEM_PACKAGES" ]; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $SYSTEM_PACKAGES \
      && rm -rf /var/lib/apt/lists/*; \
    fi

COPY deps/ /dispatch/deps/
# Builds from source (setup code) run only when the image allows them (runtimeDependencies.allowScripts).
ARG INSTALL_SCRIPTS=""
RUN if [ -f /dispatch/deps/requirements.txt ]; then \
      cd /dispatch/deps \
      && if [ -d wheels ]; then links="--find-links wheels"; else links=""; fi \
      && if [ "$INSTALL_SCRIPTS" = "1" ]; then binary=""; else binary="--only-binary=:all:"; fi \
      && PIP_ROOT_USER_ACTION=ignore python3 -m pip install --no-cache-dir --disable-pip-version-check \
           --no-warn-script-location --target /dispatch/site-packages $links $binary -r requirements.txt; \
    fi

USER 10001:10001
