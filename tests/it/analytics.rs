//! Search analytics through the real server: events validated and counted
//! once, reports, the command line, and a database that fails (unwritable,
//! locked, corrupt) costing analytics, never a search.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::server::{Server, client};
use reqwest::blocking::Response;
use serde_json::{Value, json};

const KEY: &str = "analytics-admin-key";

fn start(tmp: &Path, analytics: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "--rate-limit",
        "0",
        "--analytics-dir",
        analytics.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&tmp.join("index"), &args, &[("KENSAKU_ADMIN_KEY", KEY)])
}

fn search(server: &Server, query: &str) -> Value {
    client()
        .get(server.url(&format!("/search?{query}")))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

fn event(
    server: &Server,
    content_type: &str,
    body: impl Into<reqwest::blocking::Body>,
) -> Response {
    client()
        .post(server.url("/events"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .unwrap()
}

fn report(server: &Server, name: &str) -> Value {
    client()
        .get(server.url(&format!("/admin/analytics/{name}")))
        .bearer_auth(KEY)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

fn metric(server: &Server, name: &str) -> u64 {
    let text = client()
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// Waits until the writer has written `searches` searches.
/// Waits until at least `searches` searches were written and nothing handed
/// over is waiting (pending searches count as written).
fn recorded(server: &Server, searches: u64) {
    for _ in 0..100 {
        if metric(server, "kensaku_analytics_searches_recorded_total") >= searches
            && metric(server, "kensaku_analytics_pending") == 0
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{searches} searches were not recorded");
}

#[test]
fn events_are_validated_and_recorded_once() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), &tmp.path().join("analytics"), &[]);
    // An as-you-type search is not recorded until it settles.
    let typed = search(&server, "q=reset%20the%20ind&locale=en-us&as_you_type=1");
    let id = typed["search_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32, "a random 128-bit id: {id}");
    let settled = search(
        &server,
        "q=reset%20the%20index&locale=en-us&as_you_type=true",
    );
    let settled_id = settled["search_id"].as_str().unwrap();
    let settle = json!({"type": "settle", "search_id": settled_id}).to_string();
    assert_eq!(
        event(&server, "text/plain;charset=UTF-8", settle.clone()).status(),
        204
    );
    assert_eq!(
        event(&server, "text/plain", settle).status(),
        409,
        "replayed"
    );
    let first = settled["hits"][0]["id"].as_str().unwrap();
    let click = |article: &str, position: u32| {
        json!({"type": "click", "search_id": settled_id, "article": article, "position": position})
            .to_string()
    };
    assert_eq!(
        event(&server, "application/json", click(first, 0)).status(),
        204
    );
    assert_eq!(
        event(&server, "application/json", click(first, 0)).status(),
        409,
        "replayed"
    );
    assert_eq!(
        event(&server, "application/json", click(first, 5)).status(),
        400,
        "not at that position"
    );
    assert_eq!(
        event(&server, "application/json", click("other.md", 0)).status(),
        400
    );
    assert_eq!(
        event(&server, "application/json", click(first, 4_000_000_000)).status(),
        400
    );
    let unknown = json!({"type": "settle", "search_id": "0".repeat(32)}).to_string();
    assert_eq!(event(&server, "application/json", unknown).status(), 404);
    assert_eq!(
        event(&server, "application/json", "{\"type\": ").status(),
        400
    );
    assert_eq!(
        event(&server, "application/json", "{\"type\": \"settle\"}").status(),
        400
    );
    assert_eq!(
        event(&server, "application/json", vec![b'x'; 4096]).status(),
        413
    );
    assert_eq!(event(&server, "image/png", "{}").status(), 415);
    // An API search (not as you type) is settled at once.
    search(&server, "q=search%20box&locale=en-us");
    recorded(&server, 2);
    let top = report(&server, "top-queries");
    let rows = top["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "the unsettled keystroke is not there: {top}");
    let reset = rows
        .iter()
        .find(|r| r["query"] == "reset the index")
        .unwrap();
    assert_eq!(reset["count"], 1);
    assert_eq!(reset["clicks"], 1, "recorded once: {top}");
    let ctr = report(&server, "click-through");
    assert_eq!(ctr["searches_with_results"], 2, "{ctr}");
    assert_eq!(ctr["searches_clicked"], 1);
    assert_eq!(ctr["mean_clicked_position"], 1.0);
    // No results, per locale and day.
    search(&server, "q=zzyzx%20qwxv&locale=en-us");
    recorded(&server, 3);
    let none = report(&server, "no-results");
    assert_eq!(none["rows"][0]["query"], "zzyzx qwxv", "{none}");
    let today = kensaku::analytics::store::day(kensaku::analytics::now());
    let daily = report(
        &server,
        &format!("daily?locale=en-us&from={today}&to={today}"),
    );
    assert_eq!(daily["rows"][0]["searches"], 3, "{daily}");
    assert_eq!(daily["rows"][0]["no_results"], 1);
    assert_eq!(
        report(&server, "daily?from=yesterday")["error"],
        "invalid_date"
    );
    // Reports are the admin's only.
    let anonymous = client()
        .get(server.url("/admin/analytics/top-queries"))
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(metric(&server, "kensaku_analytics_events_rejected_total") >= 9);

    // The command line reads the same database.
    drop(server);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kensaku"))
        .args(["analytics", "no-results", "--analytics-dir"])
        .arg(tmp.path().join("analytics"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("zzyzx qwxv"));
}

#[test]
fn analytics_off_means_no_ids_and_no_events() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(
        tmp.path(),
        &tmp.path().join("analytics"),
        &["--analytics", "off"],
    );
    let body = search(&server, "q=index&locale=en-us");
    assert!(body.get("search_id").is_none(), "{body}");
    let settle = json!({"type": "settle", "search_id": "x"}).to_string();
    assert_eq!(event(&server, "application/json", settle).status(), 404);
    assert!(!tmp.path().join("analytics").exists());
}

/// A database that cannot be written: searches answer as always; the
/// failure is said at start in one line, counted, reported and shown by
/// `/ready`; the events wait for the store (within the bound); nothing
/// panics.
#[test]
fn a_failing_database_costs_analytics_not_searches() {
    let tmp = tempfile::tempdir().unwrap();
    // A file where the folder should be: the database can never be created.
    let blocked = tmp.path().join("not-a-folder");
    std::fs::write(&blocked, "a file").unwrap();
    let server = start(tmp.path(), &blocked.join("analytics"), &[]);
    for i in 0..20 {
        let body = search(&server, &format!("q=index%20{i}&locale=en-us"));
        assert!(body["hits"].is_array(), "{body}");
    }
    for _ in 0..100 {
        if metric(&server, "kensaku_analytics_pending") == 20 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(metric(&server, "kensaku_analytics_write_errors_total") > 0);
    assert_eq!(metric(&server, "kensaku_analytics_store_available"), 0);
    assert_eq!(
        metric(&server, "kensaku_analytics_pending"),
        20,
        "held, not dropped"
    );
    assert_eq!(metric(&server, "kensaku_analytics_dropped_total"), 0);
    let ready: Value = client()
        .get(server.url("/ready"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert!(
        ready["analytics"]
            .as_str()
            .unwrap()
            .starts_with("unavailable: "),
        "{ready}"
    );
    let response = client()
        .get(server.url("/admin/analytics/top-queries"))
        .bearer_auth(KEY)
        .send()
        .unwrap();
    assert_eq!(response.status(), 503, "the report says why");
    let startup = server.startup_log.clone();
    assert!(
        startup
            .iter()
            .any(|l| l.contains("analytics cannot write to") && l.contains("Not a directory")),
        "one clear line at start: {startup:#?}"
    );
    let (status, _) = server.terminate();
    assert!(status.success());
}

#[test]
fn a_locked_or_corrupt_database_is_survived() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("analytics");
    std::fs::create_dir_all(&dir).unwrap();
    // Corrupt: set aside, a new one starts.
    std::fs::write(dir.join("analytics.sqlite3"), vec![0x5a; 8192]).unwrap();
    let server = start(tmp.path(), &dir, &[]);
    search(&server, "q=index&locale=en-us");
    recorded(&server, 1);
    let aside = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains(".corrupt-"));
    assert!(aside, "the corrupt file was set aside");

    // Locked by another process: writes fail and are counted; searches go
    // on; once the lock is gone, recording resumes.
    let lock = rusqlite::Connection::open(dir.join("analytics.sqlite3")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE; INSERT INTO clicks VALUES ('x', 'y', 0, 0);")
        .unwrap();
    let served = std::time::Instant::now();
    for i in 0..5 {
        assert!(search(&server, &format!("q=index%20{i}&locale=en-us"))["hits"].is_array());
    }
    assert!(
        served.elapsed() < Duration::from_secs(20),
        "searches did not wait for the lock"
    );
    for _ in 0..100 {
        if metric(&server, "kensaku_analytics_write_errors_total") > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(metric(&server, "kensaku_analytics_write_errors_total") > 0);
    lock.execute_batch("ROLLBACK;").unwrap();
    drop(lock);
    search(&server, "q=after%20the%20lock&locale=en-us");
    for _ in 0..100 {
        if report(&server, "top-queries")["rows"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["query"] == "after the lock"))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("recording did not resume after the lock");
}
