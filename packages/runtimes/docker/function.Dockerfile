# A Dispatch function image: a function's source on a Dispatch image (a base image, or an image built from one
# with dependencies). The build fails, with the loader's message, when the handler cannot be loaded.
#
#   docker build -f function.Dockerfile --build-arg IMAGE=dispatch/python3-base --build-arg HANDLER=hello.handle \
#     -t dispatch/fn-hello:1 <context>
#
# Build context: the function's source in a folder `function/` (a single file, or a folder's contents); another
# folder can be named with SOURCE. Build args:
#   IMAGE    (required) the image to build on; it provides /dispatch/server (see nodejs.Dockerfile, python3.Dockerfile)
#   HANDLER  (required) nodejs: a file or folder relative to /function (hello.js); python3: module.func (hello.handle)
#   SOURCE   the source folder in the context (default: function)
ARG IMAGE
FROM ${IMAGE}

ARG SOURCE=function
COPY ${SOURCE} /function/

ARG HANDLER
ENV DISPATCH_HANDLER=${HANDLER}
LABEL dispatch.handler="${HANDLER}"

# Load the handler once, as the user it will run as; a handler that cannot load fails the build here.
RUN ["/dispatch/server", "--check"]
