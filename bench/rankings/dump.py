#!/usr/bin/env python3
"""Dumps every judged query's top 10 (ids, scores, sections and snippets) from a running kensaku.

    bench/rankings/dump.py http://127.0.0.1:7700 ../shared/eval/dev.jsonl ../shared/eval/dev2.jsonl > a.jsonl
    diff a.jsonl b.jsonl      # a refactor must leave this empty

Each judged line is sent three ways: with its locale, without one (the
locale detected), and, for en-us lines, to ja-jp, zh-cn and ko-kr
(cross-language). One JSON line per request: the request and the ranked
(locale, id, score, section, snippet) of its hits.
"""
import json
import sys
import urllib.parse
import urllib.request

base = sys.argv[1].rstrip("/")
cross = ["ja-jp", "zh-cn", "ko-kr"]


def search(query, locale):
    params = {"q": query, "limit": "10"}
    if locale:
        params["locale"] = locale
    url = f"{base}/search?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        body = json.load(response)
    hits = [
        [h["locale"], h["id"], h["score"], h.get("section"), h["snippet"]]
        for h in body["hits"]
    ]
    return {"total": body["total"], "hits": hits}


for path in sys.argv[2:]:
    for line in open(path, encoding="utf-8"):
        need = json.loads(line)
        requests = [(need["locale"], need["query"]), (None, need["query"])]
        if need["locale"] == "en-us":
            requests += [(locale, need["query"]) for locale in cross]
        for locale, query in requests:
            out = {"id": need["id"], "locale": locale, "query": query}
            out.update(search(query, locale))
            print(json.dumps(out, ensure_ascii=False), flush=True)
