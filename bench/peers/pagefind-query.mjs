#!/usr/bin/env node
// pagefind-query.mjs — query a Pagefind 1.6 bundle from Node and print a TREC run.
//
//   node pagefind-query.mjs BUNDLE_DIR LOCALE|all [TAG] < queries.jsonl > run.trec
//
// stdin: JSON lines {"id","locale","query", ...}; only lines whose locale matches LOCALE
// (or every line with "all") are run, each against that locale's Pagefind language index.
// stdout: "qid Q0 docid rank score tag" (qid = the line's id; docid = the result URL's path under
// /<locale>/ mapped back to "<path>.md", "<dir>/index.md" for a section page that has one).
// Results that are not articles (home page, auto-created section lists) are dropped; 10 articles max.
// Env: ARTICLES=/path/articles.txt (default ../../shared/corpus/articles.txt relative to here, or
//      /work/shared/corpus/articles.txt); HITS=10; FETCH_MORE=30 (results whose fragment is loaded).
//
// How it works: pagefind.js is the browser ES module. In Node (no window) it runs on the main
// thread without a Web Worker; it picks its language index from document.querySelector("html")
// .getAttribute("lang") at createInstance() time, so we install a fake `document` whose <html lang>
// is the locale before each createInstance(); and its fetch() of "<basePath>pagefind-entry.json",
// "*.pf_meta", "index/*.pf_index", "fragment/*.pf_fragment", "wasm.*.pagefind" is served from disk.
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import readline from 'node:readline';

const [bundleArg, localeArg = 'all', tag = 'pagefind'] = process.argv.slice(2);
if (!bundleArg) { console.error('usage: pagefind-query.mjs BUNDLE_DIR LOCALE|all [TAG] < q.jsonl'); process.exit(2); }
const bundle = path.resolve(bundleArg);
const HITS = +(process.env.HITS || 10), FETCH_MORE = +(process.env.FETCH_MORE || 30);
const here = path.dirname(fileURLToPath(import.meta.url));
const artFile = process.env.ARTICLES || [path.join(here, '../../../shared/corpus/articles.txt'),
].find(existsSync);
const articles = artFile ? new Set(readFileSync(artFile, 'utf8').split('\n').filter(Boolean)) : null;

// --- browser shims -------------------------------------------------------------------------
const BASE = '/pagefind/';
globalThis.fetch = async (input) => {
  const url = typeof input === 'string' ? input : (input.url ?? String(input));
  let rel = url.startsWith('file:') ? path.relative(bundle, fileURLToPath(url))
          : decodeURIComponent(new URL(url, 'http://x').pathname).replace(BASE, '');
  try {
    const body = await readFile(path.join(bundle, rel));
    return new Response(body, { status: 200 });
  } catch { return new Response('not found', { status: 404, statusText: 'Not Found' }); }
};
let currentLang = 'unknown';
globalThis.document = { currentScript: null, querySelector: (s) => (s === 'html' ? { getAttribute: (a) => (a === 'lang' ? currentLang : null) } : null) };

const pagefind = await import(pathToFileURL(path.join(bundle, 'pagefind.js')).href);
const instances = new Map();
async function instanceFor(locale) {
  if (!instances.has(locale)) {
    currentLang = locale;                       // read by detectLanguage() inside createInstance
    const inst = pagefind.createInstance({ basePath: BASE, baseUrl: '/', noWorker: true });
    await inst.init();
    instances.set(locale, inst);
  }
  return instances.get(locale);
}

function docidOf(url, locale) {
  let p = decodeURIComponent(url.split('#')[0]).replace(/index\.html$/, '');
  const pre = `/${locale}/`;
  if (!p.startsWith(pre)) return null;
  p = p.slice(pre.length).replace(/\/$/, '');
  if (!p) return null;
  for (const c of [`${p}.md`, `${p}/index.md`]) if (!articles || articles.has(c)) return c;
  return null;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let n = 0, empty = 0;
const t0 = Date.now();
for await (const line of rl) {
  if (!line.trim()) continue;
  const q = JSON.parse(line);
  if (localeArg !== 'all' && q.locale !== localeArg) continue;
  const inst = await instanceFor(q.locale);
  const res = await inst.search(q.query);
  const seen = new Set(); let rank = 0;
  for (const r of res.results.slice(0, FETCH_MORE)) {
    const d = await r.data();
    const docid = docidOf(d.url, q.locale);
    if (!docid || seen.has(docid)) continue;
    seen.add(docid); rank++;
    process.stdout.write(`${q.id} Q0 ${docid} ${rank} ${r.score.toFixed(6)} ${tag}\n`);
    if (rank >= HITS) break;
  }
  n++; if (!rank) empty++;
}
console.error(`pagefind-query: ${n} queries, ${empty} with no article result, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(0);
