//! Soak: the real server under a mix of good and bad clients over loopback,
//! for `KENSAKU_SOAK_SECS` seconds (20 by default, so CI runs it; the
//! figures in RELIABILITY.md come from 300 s with `--release`):
//!
//! - search clients replaying the dev queries (keep-alive), latency recorded;
//! - clients sending random bytes, over-long queries and URLs, oversized and
//!   malformed JSON bodies, unknown locales and out-of-range limits;
//! - slow clients that trickle a request a byte at a time.
//!
//! It holds if no response is a 5xx, every good search succeeds, the
//! server's RSS after warm-up grows by less than [`RSS_GROWTH_BOUND_MIB`],
//! and analytics (on, every search logged) recorded every search served but
//! those it counted as dropped.

use crate::common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::server::Server;

/// Most the resident memory may grow from the end of warm-up to the end.
const RSS_GROWTH_BOUND_MIB: u64 = 64;
const SEARCH_CLIENTS: usize = 24;

fn duration() -> Duration {
    let secs = std::env::var("KENSAKU_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A small xorshift generator: reproducible garbage without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// What the bad clients got back: (kind, status or "closed") → count. A 5xx
/// also goes to the server errors the test fails on.
#[derive(Clone)]
struct Tally {
    requests: Arc<AtomicU64>,
    outcomes: Arc<Mutex<BTreeMap<String, u64>>>,
    server_errors: Arc<Mutex<Vec<String>>>,
}

impl Tally {
    fn record(&self, kind: &str, status: Option<u16>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let outcome = status.map_or("closed".to_string(), |s| s.to_string());
        *self
            .outcomes
            .lock()
            .unwrap()
            .entry(format!("{kind} → {outcome}"))
            .or_default() += 1;
        if let Some(status) = status.filter(|s| *s >= 500) {
            self.server_errors
                .lock()
                .unwrap()
                .push(format!("{kind}: {status}"));
        }
    }
}

/// Sends raw bytes and returns the status code of the response, if any
/// (`None`: the server closed the connection without one).
fn raw_exchange(addr: &str, request: &[u8], pause_per_byte: Option<Duration>) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    match pause_per_byte {
        None => {
            let _ = stream.write_all(request);
        }
        Some(pause) => {
            for byte in request {
                if stream.write_all(&[*byte]).is_err() {
                    break;
                }
                std::thread::sleep(pause);
            }
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut head = [0u8; 12];
    let mut read = 0;
    while read < head.len() {
        match stream.read(&mut head[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    let text = std::str::from_utf8(&head[..read]).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn queries() -> Vec<(String, String)> {
    if let Some(shared) = common::shared() {
        let text = std::fs::read_to_string(shared.join("eval/dev.jsonl")).unwrap();
        return text
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                (
                    v["query"].as_str().unwrap().to_string(),
                    v["locale"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    }
    [
        ("search box", "en-us"),
        ("インデックス", "ja-jp"),
        ("索引", "zh-cn"),
        ("검색", "ko-kr"),
        ("индекс", "ru-ru"),
    ]
    .iter()
    .map(|(q, l)| (q.to_string(), l.to_string()))
    .collect()
}

#[test]
fn soak_with_good_and_bad_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    let corpus = common::shared().map(|s| s.join("corpus"));
    let mut args = vec!["--rate-limit", "0", "--reload-interval", "0"];
    if let Some(corpus) = &corpus {
        args.extend(["--corpus", corpus.to_str().unwrap()]);
    }
    let server = Server::start(&index, &args, &[("KENSAKU_LOG", "warn")]);
    let pid = server.child.id();
    let addr = server.base.trim_start_matches("http://").to_string();
    let queries = Arc::new(queries());

    let run_for = duration();
    let stop = Arc::new(AtomicBool::new(false));
    let server_errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let failed_searches = Arc::new(AtomicU64::new(0));
    let tally = Tally {
        requests: Arc::new(AtomicU64::new(0)),
        outcomes: Arc::new(Mutex::new(BTreeMap::new())),
        server_errors: server_errors.clone(),
    };
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let mut threads = Vec::new();

    for c in 0..SEARCH_CLIENTS {
        let (stop, queries, latencies, failed, errors) = (
            stop.clone(),
            queries.clone(),
            latencies.clone(),
            failed_searches.clone(),
            server_errors.clone(),
        );
        let base = server.base.clone();
        threads.push(std::thread::spawn(move || {
            let client = common::server::client();
            let mut own = Vec::new();
            let mut i = c * 7;
            while !stop.load(Ordering::Relaxed) {
                let (q, locale) = &queries[i % queries.len()];
                i += 1;
                let started = Instant::now();
                let response = client
                    .get(format!("{base}/search"))
                    .query(&[
                        ("q", q.as_str()),
                        ("locale", locale.as_str()),
                        ("limit", "10"),
                    ])
                    .send();
                own.push(started.elapsed());
                match response {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes();
                    }
                    Ok(r) if r.status().is_server_error() => {
                        errors
                            .lock()
                            .unwrap()
                            .push(format!("search {q:?}: {}", r.status()));
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies.lock().unwrap().extend(own);
        }));
    }

    // Bad clients: each kind in its own thread.
    let huge_query = format!(
        "GET /search?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(5_000)
    );
    let huge_url = format!(
        "GET /search?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "b".repeat(200_000)
    );
    let huge_body = format!(
        "POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{{\"q\": \"{}\"}}",
        "c".repeat(999_980)
    );
    let bad_kinds: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("random bytes", Vec::new()),
        (
            "over-long",
            vec![huge_query.into_bytes(), huge_url.into_bytes(), huge_body.into_bytes()],
        ),
        (
            "malformed",
            vec![
                b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"q\": 1,".to_vec(),
                b"GET /search?q=x&locale=xx-invalid HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                b"GET /search?q=x&limit=0 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                b"GET /articles/ja-jp/..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                b"DELETE /search HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                b"GET /search?q=%FF%FE HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            ],
        ),
    ];
    for (t, (kind, requests)) in bad_kinds.into_iter().enumerate() {
        let (stop, tally, addr) = (stop.clone(), tally.clone(), addr.clone());
        threads.push(std::thread::spawn(move || {
            let mut random = Random(0x9E37_79B9_7F4A_7C15 ^ t as u64);
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let request = if requests.is_empty() {
                    let n = 1 + (random.next() % 4096) as usize;
                    random.bytes(n)
                } else {
                    requests[i % requests.len()].clone()
                };
                i += 1;
                tally.record(kind, raw_exchange(&addr, &request, None));
            }
        }));
    }
    // Slow clients: a byte every 300 ms; the server's request timeout ends them.
    for _ in 0..4 {
        let (stop, tally, addr) = (stop.clone(), tally.clone(), addr.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let status = raw_exchange(
                    &addr,
                    b"GET /search?q=slowly&locale=en-us HTTP/1.1\r\nHost: x\r\n\r\n",
                    Some(Duration::from_millis(300)),
                );
                tally.record("slow", status);
            }
        }));
    }

    // Memory: sampled every half second.
    let started = Instant::now();
    let warm_up = run_for / 5;
    let mut after_warm_up = None;
    let mut peak = 0;
    while started.elapsed() < run_for {
        std::thread::sleep(Duration::from_millis(500));
        let rss = rss_kib(pid);
        peak = peak.max(rss);
        if after_warm_up.is_none() && started.elapsed() >= warm_up {
            after_warm_up = Some(rss);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let end = rss_kib(pid);
    let health = common::server::client()
        .get(server.url("/health"))
        .send()
        .unwrap();
    assert!(health.status().is_success(), "the server still answers");

    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    let after_warm_up = after_warm_up.unwrap_or(end);
    eprintln!(
        "soak {:?}: {} searches ({:.0}/s), p50 {:?}, p99 {:?}, max {:?}; {} bad requests; \
         RSS after warm-up {} MiB, peak {} MiB, end {} MiB",
        run_for,
        latencies.len(),
        latencies.len() as f64 / run_for.as_secs_f64(),
        percentile(0.5),
        percentile(0.99),
        latencies.last().unwrap(),
        tally.requests.load(Ordering::Relaxed),
        after_warm_up / 1024,
        peak / 1024,
        end / 1024,
    );
    eprintln!("bad clients: {:?}", tally.outcomes.lock().unwrap());
    let errors = server_errors.lock().unwrap();
    assert!(
        errors.is_empty(),
        "5xx responses: {:?}",
        &errors[..errors.len().min(10)]
    );
    assert_eq!(
        failed_searches.load(Ordering::Relaxed),
        0,
        "good searches failed"
    );
    assert!(
        latencies.len() > SEARCH_CLIENTS * 10,
        "too few searches ran"
    );
    assert!(
        end.saturating_sub(after_warm_up) < RSS_GROWTH_BOUND_MIB * 1024,
        "RSS grew from {after_warm_up} KiB to {end} KiB"
    );

    // Analytics: searches served = searches recorded + records dropped.
    let metrics = common::server::client()
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let sum = |prefix: &str, filter: &dyn Fn(&str) -> bool| -> u64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(prefix) && filter(l))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    let served = sum("kensaku_http_requests_total", &|l| {
        l.contains("route=\"/search\"") && l.contains("status=\"200\"")
    });
    let dropped = sum("kensaku_analytics_dropped_total", &|_| true);
    let (status, _) = server.terminate();
    assert!(status.success());
    let db = rusqlite::Connection::open(tmp.path().join("analytics/analytics.sqlite3")).unwrap();
    let recorded: i64 = db
        .query_row("SELECT COUNT(*) FROM searches", [], |r| r.get(0))
        .unwrap();
    let recorded = recorded as u64;
    eprintln!("analytics: {served} searches served, {recorded} recorded, {dropped} dropped");
    assert_eq!(recorded + dropped, served);
}
