# syntax=docker/dockerfile:1
# supplyrisk worker image: a wheel built in the first stage, installed into a virtualenv in
# a slim runtime that runs as an unprivileged user with a read-only root filesystem.
#   docker build -t supplyrisk:0.1.0 .
#   docker run --rm -p 6066:6066 -e KAFKA_BOOTSTRAP_SERVERS=host:9092 supplyrisk:0.1.0 worker

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scoring ./scoring
COPY stream ./stream
COPY config ./config
# The project's wheel and the wheels of its dependencies, so the runtime stage needs
# neither a compiler nor the source tree.
RUN python -m pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS runtime
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/supplyrisk/bin:$PATH \
    SUPPLYRISK_DATA_DIR=/var/lib/supplyrisk \
    SUPPLYRISK_WEB_PORT=6066
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/supplyrisk \
    && /opt/supplyrisk/bin/pip install --no-index --find-links=/wheels supplyrisk \
    && groupadd --gid 10001 supplyrisk \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin supplyrisk \
    && install -d -o 10001 -g 10001 /var/lib/supplyrisk
USER 10001:10001
WORKDIR /var/lib/supplyrisk
EXPOSE 6066
# Kubernetes uses its own probes (k8s/base/deployment.yaml); this serves `docker run`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SUPPLYRISK_WEB_PORT', '6066') + '/healthz', timeout=4)"]
ENTRYPOINT ["supplyrisk"]
CMD ["worker"]
