//! Scale-out without containers: three `kensaku serve` replicas on loopback
//! over one index folder, behind a real nginx.
//!
//! (a) nginx balances queries across the replicas; (b) a build by a separate
//! `kensaku index` process is picked up by every replica without a restart;
//! (c) SIGKILL of one replica under load loses no request (nginx retries
//! idempotent requests on the others).
//!
//! Needs Debian's `nginx` (`.ci/run` installs it); skips without it unless
//! `KENSAKU_REQUIRE_NGINX=1`. Run alone, with its figures printed:
//! `cargo test --release --test replicas -- --nocapture`.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::server::{Server, client};

const REPLICAS: usize = 3;

fn searches_served(server_base: &str) -> u64 {
    let text = client()
        .get(format!("{server_base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("kensaku_searches_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

fn hit_ids(base: &str, query: &str) -> Vec<String> {
    let response = client()
        .get(format!("{base}/search"))
        .query(&[("q", query), ("locale", "en-us")])
        .send()
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let body: serde_json::Value = response.json().unwrap();
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

fn index(corpus: &Path, index: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_kensaku"))
        .args(["index", "--corpus"])
        .arg(corpus)
        .arg("--index-dir")
        .arg(index)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn three_replicas_behind_nginx() {
    let Some(nginx) = common::nginx::binary() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, index_dir) = (tmp.path().join("corpus"), tmp.path().join("index"));
    for i in 0..30 {
        common::write_article(
            &corpus,
            "en-us",
            &format!("a{i}.md"),
            &format!("Invoices {i}"),
            "How to download invoices and pay them.",
        );
    }
    index(&corpus, &index_dir);

    let replicas: Vec<Server> = (0..REPLICAS)
        .map(|_| {
            Server::start(
                &index_dir,
                &["--rate-limit", "0", "--reload-interval", "1"],
                &[("KENSAKU_LOG", "warn")],
            )
        })
        .collect();
    let upstreams: Vec<String> = replicas.iter().map(|r| r.base.clone()).collect();
    let lb = common::nginx::Nginx::start(&nginx, &tmp.path().join("nginx"), &upstreams);

    // (a) Balance.
    const QUERIES: u64 = 300;
    let http = client();
    for _ in 0..QUERIES {
        let r = http
            .get(format!("{}/search", lb.base))
            .query(&[("q", "invoices")])
            .send()
            .unwrap();
        assert!(r.status().is_success());
    }
    let served: Vec<u64> = upstreams.iter().map(|u| searches_served(u)).collect();
    eprintln!("(a) {QUERIES} queries through nginx, served per replica: {served:?}");
    assert_eq!(served.iter().sum::<u64>(), QUERIES);
    for n in &served {
        assert!(
            *n >= QUERIES / REPLICAS as u64 / 2,
            "unbalanced: {served:?}"
        );
    }

    // (b) A build by another process is picked up by every replica.
    assert!(hit_ids(&lb.base, "zebrafish").is_empty());
    common::write_article(
        &corpus,
        "en-us",
        "zebrafish.md",
        "Zebrafish",
        "Zebrafish care in the lab.",
    );
    let built = Instant::now();
    index(&corpus, &index_dir);
    let build_time = built.elapsed();
    let mut picked_up = Vec::new();
    for replica in &upstreams {
        while hit_ids(replica, "zebrafish") != ["zebrafish.md"] {
            assert!(
                built.elapsed() < Duration::from_secs(30),
                "{replica} never picked up the new generation"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        picked_up.push(built.elapsed());
    }
    for _ in 0..REPLICAS {
        assert_eq!(hit_ids(&lb.base, "zebrafish"), ["zebrafish.md"]);
    }
    eprintln!("(b) build took {build_time:?}; replicas served the new article after {picked_up:?}");

    // (c) SIGKILL one replica under load: nginx retries on the others.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (stop, ok, failed, base) =
                (stop.clone(), ok.clone(), failed.clone(), lb.base.clone());
            std::thread::spawn(move || {
                let http = client();
                while !stop.load(Ordering::Relaxed) {
                    match http
                        .get(format!("{base}/search"))
                        .query(&[("q", "invoices download")])
                        .send()
                    {
                        Ok(r) if r.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let mut replicas = replicas;
    let mut victim = replicas.remove(1);
    let before_kill = ok.load(Ordering::Relaxed);
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!(
        "(c) {ok} requests answered ({} after the kill), {failed} failed",
        ok - before_kill
    );
    assert_eq!(failed, 0, "requests lost when a replica was killed");
    assert!(
        ok - before_kill > 50,
        "the load kept running after the kill"
    );
    let survivors: Vec<u64> = replicas.iter().map(|r| searches_served(&r.base)).collect();
    eprintln!("    searches served by the survivors since start: {survivors:?}");
}
