//! The compose topology on loopback: three replicas over one index folder,
//! an embedding model server, one PostgreSQL for analytics, nginx
//! round-robin in front — and what a load balancer does to a search box's
//! events: its searches and beacons land on any replica.
//!
//! Needs nginx, PostgreSQL and an embedding server (`.ci/run` provides all
//! three); skips without them unless `KENSAKU_REQUIRE_*` says otherwise.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::server::{Server, client};
use serde_json::{Value, json};

const KEY: &str = "cluster-admin-key";

/// A search through the balancer; its JSON.
fn search(base: &str, query: &[(&str, &str)]) -> Value {
    let response = client()
        .get(format!("{base}/search"))
        .query(query)
        .send()
        .unwrap();
    assert!(response.status().is_success(), "{:?}", response.status());
    response.json().unwrap()
}

/// A beacon through the balancer; its status.
fn beacon(base: &str, event: Value) -> u16 {
    client()
        .post(format!("{base}/events"))
        .header("content-type", "text/plain;charset=UTF-8")
        .body(event.to_string())
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn report(base: &str, name: &str, locale: &str) -> Value {
    let response = client()
        .get(format!("{base}/admin/analytics/{name}"))
        .query(&[("locale", locale)])
        .bearer_auth(KEY)
        .send()
        .unwrap();
    let status = response.status();
    let body = response.text().unwrap();
    assert!(status.is_success(), "{name}: {status} {body}");
    serde_json::from_str(&body).unwrap()
}

/// Settled searches of `locale` in the reports.
fn settled(base: &str, locale: &str) -> u64 {
    report(base, "daily", locale)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["searches"].as_u64().unwrap())
        .sum()
}

fn metric(base: &str, name: &str) -> u64 {
    let text = client()
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// Waits until `f` holds (events are written off the request path).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let started = Instant::now();
    while !f() {
        assert!(started.elapsed() < Duration::from_secs(60), "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `n` as-you-type searches (pending) of `words` in `locale`; their ids and
/// first hits.
fn typed(base: &str, locale: &str, words: &[&str], n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let body = search(
                base,
                &[
                    ("q", words[i % words.len()]),
                    ("locale", locale),
                    ("as_you_type", "true"),
                    ("semantic_ratio", "0"),
                ],
            );
            let id = body["search_id"].as_str().unwrap().to_string();
            let first = body["hits"][0]["id"].as_str().unwrap().to_string();
            (id, first)
        })
        .collect()
}

#[test]
fn replicas_behind_nginx_share_analytics_and_meaning() {
    let Some(nginx) = common::nginx::binary() else {
        return;
    };
    let Some(embedder) = common::embedder::model_url() else {
        return;
    };
    let Some(mut postgres) = common::postgres::Cluster::start() else {
        return;
    };
    let analytics_url = postgres.database("analytics");
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    let embedder_flags = [
        "--embedder-url",
        embedder.as_str(),
        "--embedder-modality-field",
        "input_type",
    ];
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_kensaku"))
        .args(["index", "--index-dir"])
        .arg(&index)
        .args(embedder_flags)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the indexer job");
    let mut replicas: Vec<Server> = (0..3)
        .map(|_| {
            let mut args = vec!["--rate-limit", "0", "--analytics-url", &analytics_url];
            args.extend(embedder_flags);
            Server::start(
                &index,
                &args,
                &[("KENSAKU_ADMIN_KEY", KEY), ("KENSAKU_LOG", "warn")],
            )
        })
        .collect();
    let upstreams: Vec<String> = replicas.iter().map(|r| r.base.clone()).collect();
    let lb = common::nginx::Nginx::start(&nginx, &tmp.path().join("nginx"), &upstreams);
    let base = lb.base.as_str();

    // Meaning in the cluster: every replica embeds queries — each asked
    // directly, and once through the balancer. A model slowed by a loaded
    // machine (the tests run side by side) may miss a query's deadline: that
    // search answers lexically, as designed; the same replica is asked
    // again, twice at most.
    let meaning = |base: &str| {
        let ask = || {
            search(
                base,
                &[
                    ("q", "how do I find what readers searched"),
                    ("locale", "en-us"),
                ],
            )
        };
        let mut body = ask();
        for _ in 0..2 {
            let waited = body["semantic"]["unavailable"]
                .as_str()
                .is_some_and(|why| why.contains("did not answer within"));
            if body["semantic"]["used"] == true || !waited {
                break;
            }
            body = ask();
        }
        assert_eq!(
            body["semantic"]["used"], true,
            "{base}: {}",
            body["semantic"]
        );
    };
    for replica in &replicas {
        meaning(&replica.base);
    }
    meaning(base);

    // As-you-type searches settled and clicked through the balancer: the
    // beacons land on other replicas than the searches, and all count.
    let searches = typed(base, "ja-jp", &["検索", "インデックス", "インストール"], 60);
    for (id, _) in &searches[..20] {
        assert_eq!(
            beacon(base, json!({"type": "settle", "search_id": id})),
            204
        );
    }
    for (id, first) in &searches[20..30] {
        let click = json!({"type": "click", "search_id": id, "article": first, "position": 0});
        assert_eq!(beacon(base, click), 204);
    }
    // A replay, wherever it lands, is not counted twice.
    let replay = json!({"type": "settle", "search_id": searches[0].0});
    assert!(matches!(beacon(base, replay), 204 | 409));
    eventually("30 settled ja-jp searches", || settled(base, "ja-jp") == 30);
    let clicks = report(base, "click-through", "ja-jp");
    assert_eq!(clicks["searches_clicked"], 10, "{clicks}");
    eprintln!(
        "(a) 60 as-you-type searches, 20 settled and 10 clicked through nginx: all counted once"
    );

    // A replica killed with pending searches: they reached the store, and
    // settle through the others.
    let victim = replicas.remove(1);
    let pending = typed(&victim.base, "ko-kr", &["검색"], 30);
    eventually("the victim's searches written", || {
        metric(&victim.base, "kensaku_analytics_pending") == 0
            && metric(&victim.base, "kensaku_analytics_searches_recorded_total") >= 30
    });
    let mut victim = victim;
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    // nginx learns that it is gone (GETs are retried on the others).
    for _ in 0..6 {
        search(
            base,
            &[("q", "index"), ("locale", "en-us"), ("semantic_ratio", "0")],
        );
    }
    for (id, _) in &pending {
        assert_eq!(
            beacon(base, json!({"type": "settle", "search_id": id})),
            204
        );
    }
    eventually("the killed replica's 30 searches settled", || {
        settled(base, "ko-kr") == 30
    });
    eprintln!(
        "(b) a replica SIGKILLed with 30 pending searches: all 30 settled through the others"
    );

    // PostgreSQL stopped for 3 s under 4 clients: no search fails; the
    // outage's events are written when it is back, or dropped and counted.
    let stop = Arc::new(AtomicBool::new(false));
    let (served, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let load: Vec<_> = (0..4)
        .map(|t| {
            let (stop, served, failed, latencies) = (
                stop.clone(),
                served.clone(),
                failed.clone(),
                latencies.clone(),
            );
            let base = base.to_string();
            std::thread::spawn(move || {
                let http = client();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let q = format!("index {t} {i}");
                    let response = http
                        .get(format!("{base}/search"))
                        .query(&[
                            ("q", q.as_str()),
                            ("locale", "fr-fr"),
                            ("semantic_ratio", "0"),
                        ])
                        .send();
                    let elapsed = started.elapsed();
                    match response {
                        Ok(r) if r.status().is_success() => {
                            served.fetch_add(1, Ordering::Relaxed);
                            latencies.lock().unwrap().push((Instant::now(), elapsed));
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let outage = Instant::now();
    postgres.stop();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        replicas
            .iter()
            .all(|r| metric(&r.base, "kensaku_analytics_store_available") == 0),
        "/metrics says the store is unavailable"
    );
    let ready: Value = client()
        .get(replicas[0].url("/ready"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert!(
        ready["analytics"]
            .as_str()
            .unwrap()
            .starts_with("unavailable"),
        "{ready}"
    );
    postgres.resume();
    let back = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    let served = served.load(Ordering::Relaxed);
    assert_eq!(failed.load(Ordering::Relaxed), 0, "no search failed");
    let p99 = |during: bool| {
        let all = latencies.lock().unwrap();
        let mut times: Vec<Duration> = all
            .iter()
            .filter(|(at, _)| (*at >= outage && *at < back) == during)
            .map(|(_, d)| *d)
            .collect();
        times.sort();
        times
            .get(times.len() * 99 / 100)
            .copied()
            .unwrap_or_default()
    };
    eventually("the outage's events written", || {
        replicas
            .iter()
            .all(|r| metric(&r.base, "kensaku_analytics_pending") == 0)
    });
    let dropped: u64 = replicas
        .iter()
        .map(|r| metric(&r.base, "kensaku_analytics_dropped_total"))
        .sum();
    let recorded = settled(base, "fr-fr");
    eprintln!(
        "(c) PostgreSQL down 3 s under 4 clients: {served} searches served, 0 failed; \
         p99 {:?} outside the outage, {:?} during; {recorded} recorded + {dropped} dropped",
        p99(false),
        p99(true)
    );
    assert_eq!(recorded + dropped, served, "the numbers add up");
}
