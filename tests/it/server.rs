//! The HTTP API against the real server process on an ephemeral port.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::server::{Server, client};
use reqwest::StatusCode;
use reqwest::blocking::Response;
use serde_json::{Value, json};

fn json_of(response: Response) -> Value {
    response.json().expect("JSON body")
}

/// Asserts a JSON error response.
fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "{code}");
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json",
        "{code}"
    );
    let body = json_of(response);
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// Polls `GET /admin/reindex` until the reindex is no longer running; returns
/// its final status.
fn finished_reindex(server: &Server, bearer: &str, timeout: Duration) -> Value {
    let http = client();
    let deadline = Instant::now() + timeout;
    loop {
        let status = json_of(
            http.get(server.url("/admin/reindex"))
                .header("Authorization", bearer)
                .send()
                .unwrap(),
        );
        if status["state"] != "running" {
            return status;
        }
        assert!(Instant::now() < deadline, "reindex did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A corpus of one en-us article, `a.md` titled "Alpha", in `tmp/corpus`.
fn one_article_corpus(tmp: &Path, text: &str) -> PathBuf {
    let corpus = tmp.join("corpus");
    common::write_article(&corpus, "en-us", "a.md", "Alpha", text);
    corpus
}

/// A server over `corpus` with admin key `key` and no rate limit.
fn admin_server(tmp: &Path, corpus: &Path, key: &str) -> Server {
    Server::start(
        &tmp.join("index"),
        &["--corpus", corpus.to_str().unwrap(), "--rate-limit", "0"],
        &[("KENSAKU_ADMIN_KEY", key)],
    )
}

fn demo_server(tmp: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    Server::start(&tmp.join("index"), args, env)
}

#[test]
fn search_routes_answer_with_the_documented_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let server = demo_server(tmp.path(), &[], &[]);
    let http = client();

    let get = json_of(
        http.get(server.url("/search?q=reset%20the%20index&locale=en-us&limit=3"))
            .send()
            .unwrap(),
    );
    assert_eq!(get["query"], "reset the index");
    assert_eq!(get["locale"], "en-us");
    assert!(get["detected_locale"].is_null());
    assert!(get["total"].as_u64().unwrap() >= 1);
    assert!(get["took_ms"].as_f64().is_some());
    assert!(get["facets"]["topic"].is_object() && get["facets"]["service"].is_object());
    let hit = &get["hits"][0];
    for key in [
        "id", "locale", "title", "url", "section", "snippet", "score",
    ] {
        assert!(!hit[key].is_null(), "hit lacks {key}: {hit}");
    }
    assert_eq!(hit["id"], "kensaku/index-your-docs.md");
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"));

    // POST with a JSON body gives the same hits.
    let post = json_of(
        http.post(server.url("/search"))
            .json(&json!({"q": "reset the index", "locale": "en-us", "limit": 3}))
            .send()
            .unwrap(),
    );
    assert_eq!(post["hits"], get["hits"]);

    // The CLI's --json has the same hit shape.
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_kensaku"))
        .args([
            "search",
            "--json",
            "--limit",
            "3",
            "--locale",
            "en-us",
            "--index-dir",
        ])
        .arg(tmp.path().join("index"))
        .arg("reset the index")
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(cli["hits"][0]["id"], get["hits"][0]["id"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&cli["hits"][0]), keys(hit));

    // Detection when no locale is given; paging; filters.
    let ja = json_of(
        http.get(server.url("/search?q=インデックス"))
            .send()
            .unwrap(),
    );
    assert_eq!(ja["detected_locale"], "ja-jp");
    let page2 = json_of(
        http.get(server.url("/search?q=kensaku&locale=en-us&limit=1&offset=1"))
            .send()
            .unwrap(),
    );
    assert_eq!(page2["hits"].as_array().unwrap().len(), 1);
    let filtered = json_of(
        http.get(server.url("/search?q=kensaku&locale=en-us&topic=reference"))
            .send()
            .unwrap(),
    );
    assert!(
        filtered["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["id"] == "kensaku/search-api.md"),
        "{filtered}"
    );
}

#[test]
fn user_text_is_never_query_syntax() {
    let tmp = tempfile::tempdir().unwrap();
    let server = demo_server(tmp.path(), &[], &[]);
    let http = client();
    for q in [
        "\"unclosed",
        "index AND OR NOT",
        "( index",
        "*",
        "title:index",
        "index:",
        "a\"b\"c)(",
        "-index",
        "NOT",
    ] {
        let response = http
            .get(server.url("/search"))
            .query(&[("q", q), ("locale", "en-us")])
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{q:?}");
    }
}

#[test]
fn bad_requests_get_clear_json_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let server = demo_server(tmp.path(), &[], &[]);
    let http = client();
    let search = |query: &str| {
        http.get(server.url(&format!("/search?{query}")))
            .send()
            .unwrap()
    };

    assert_error(search("q="), StatusCode::BAD_REQUEST, "empty_query");
    assert_error(search("q=%20%20"), StatusCode::BAD_REQUEST, "empty_query");
    assert_error(search(""), StatusCode::BAD_REQUEST, "empty_query");
    let long = "a".repeat(1001);
    assert_error(
        search(&format!("q={long}")),
        StatusCode::BAD_REQUEST,
        "query_too_long",
    );
    assert_eq!(
        search(&format!("q={}", "a".repeat(1000))).status(),
        StatusCode::OK
    );
    assert_error(
        search("q=x&limit=0"),
        StatusCode::BAD_REQUEST,
        "invalid_limit",
    );
    assert_error(
        search("q=x&limit=101"),
        StatusCode::BAD_REQUEST,
        "invalid_limit",
    );
    assert_error(
        search("q=x&limit=abc"),
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    );
    assert_error(
        search("q=x&offset=-1"),
        StatusCode::BAD_REQUEST,
        "invalid_offset",
    );
    // Escapes that are not UTF-8 once decoded: not a search for U+FFFD.
    assert_error(
        search("q=%FF%FE"),
        StatusCode::BAD_REQUEST,
        "invalid_encoding",
    );
    let unknown = assert_error(
        // pt-br is a demo locale since Portuguese joined the registry.
        search("q=x&locale=sv-se"),
        StatusCode::BAD_REQUEST,
        "unknown_locale",
    );
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("en-us, fr-fr"),
        "lists the indexed locales: {unknown}"
    );
    assert_error(
        search("q=x&locale=../../etc"),
        StatusCode::BAD_REQUEST,
        "invalid_locale",
    );

    let post = |body: &str| {
        http.post(server.url("/search"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap()
    };
    assert_error(post("{\"q\": "), StatusCode::BAD_REQUEST, "malformed_json");
    assert_error(post("[1, 2]"), StatusCode::BAD_REQUEST, "malformed_json");
    assert_error(
        post("{\"q\": 42}"),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    );
    let huge = format!("{{\"q\": \"{}\"}}", "x".repeat(70 * 1024));
    assert_error(
        post(&huge),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    let wrong_type = http
        .post(server.url("/search"))
        .header("content-type", "text/plain")
        .body("q=x")
        .send()
        .unwrap();
    assert_error(
        wrong_type,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );

    assert_error(
        http.put(server.url("/search")).send().unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_error(
        http.delete(server.url("/locales")).send().unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_error(
        http.get(server.url("/nope")).send().unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        http.get(server.url("/articles/en-us/kensaku/missing.md"))
            .send()
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        http.get(server.url("/articles/xx-yy/kensaku/getting-started.md"))
            .send()
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "unknown_locale",
    );
    assert_error(
        http.get(server.url("/suggest?q=x&limit=50"))
            .send()
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_limit",
    );
}

#[test]
fn articles_cannot_escape_the_index() {
    let tmp = tempfile::tempdir().unwrap();
    let server = demo_server(tmp.path(), &[], &[]);
    let http = client();
    for path in [
        "/articles/en-us/..%2F..%2F..%2Fetc%2Fpasswd",
        "/articles/en-us/../../Cargo.toml",
        "/articles/en-us/%2e%2e/%2e%2e/etc/passwd",
        "/articles/en-us//etc/passwd",
        "/docs/en-us/..%2F..%2Fetc%2Fpasswd",
    ] {
        let response = http.get(server.url(path)).send().unwrap();
        assert!(
            response.status().is_client_error(),
            "{path}: {}",
            response.status()
        );
        let body = response.text().unwrap();
        assert!(
            !body.contains("root:") && !body.contains("[package]"),
            "{path} leaked {body}"
        );
    }
}

#[test]
fn suggest_article_locales_health_ready_metrics_and_openapi() {
    let tmp = tempfile::tempdir().unwrap();
    let server = demo_server(tmp.path(), &[], &[]);
    let http = client();

    let suggest = json_of(
        http.get(server.url("/suggest?q=index%20you&locale=en-us"))
            .send()
            .unwrap(),
    );
    let texts: Vec<_> = suggest["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts.first(),
        Some(&"Index your own documentation"),
        "{suggest}"
    );
    let ja = json_of(
        http.get(server.url("/suggest?q=インデックス"))
            .send()
            .unwrap(),
    );
    assert_eq!(ja["locale"], "ja-jp");
    assert!(!ja["suggestions"].as_array().unwrap().is_empty(), "{ja}");

    let article = json_of(
        http.get(server.url("/articles/en-us/kensaku/index-your-docs.md"))
            .send()
            .unwrap(),
    );
    assert_eq!(article["title"], "Index your own documentation");
    assert_eq!(article["topic"], "how-to");
    let anchors: Vec<_> = article["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["anchor"].as_str().unwrap())
        .collect();
    assert!(anchors.contains(&"update-the-index"), "{anchors:?}");

    let locales = json_of(http.get(server.url("/locales")).send().unwrap());
    let ja = locales
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["locale"] == "ja-jp")
        .unwrap();
    assert_eq!(ja["documents"], 4);
    assert_eq!(ja["analyzer"], "kensaku_ja");

    assert_eq!(
        json_of(http.get(server.url("/health")).send().unwrap())["status"],
        "ok"
    );
    assert_eq!(
        http.get(server.url("/ready")).send().unwrap().status(),
        StatusCode::OK
    );

    let _ = http
        .get(server.url("/search?q=index&locale=en-us"))
        .send()
        .unwrap();
    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for needle in [
        "kensaku_http_requests_total{method=\"GET\",route=\"/suggest\",status=\"200\"}",
        "kensaku_http_request_duration_seconds_bucket",
        "kensaku_searches_total{locale=\"en-us\"} 1",
        "kensaku_index_documents{locale=\"en-us\"} 4",
        "kensaku_index_size_bytes{locale=\"ja-jp\"}",
    ] {
        assert!(
            metrics.contains(needle),
            "metrics lack {needle}:\n{metrics}"
        );
    }

    // The OpenAPI document lists exactly the API routes, and each answers.
    let doc = json_of(http.get(server.url("/openapi.json")).send().unwrap());
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut paths: Vec<_> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            // The analytics reports and the box's events joined the API.
            "/admin/analytics/click-through",
            "/admin/analytics/daily",
            "/admin/analytics/no-clicks",
            "/admin/analytics/no-results",
            "/admin/analytics/top-queries",
            "/admin/reindex",
            "/articles/{locale}/{id}",
            "/events",
            "/health",
            "/locales",
            "/metrics",
            "/openapi.json",
            "/ready",
            "/search",
            "/suggest"
        ]
    );
    assert!(doc["components"]["schemas"]["SearchResponse"]["properties"]["hits"].is_object());
    for path in [
        "/health",
        "/ready",
        "/locales",
        "/metrics",
        "/openapi.json",
        "/search?q=x",
        "/suggest?q=x",
    ] {
        assert_eq!(
            http.get(server.url(path)).send().unwrap().status(),
            StatusCode::OK,
            "{path}"
        );
    }
}

#[test]
fn headers_cors_and_compression() {
    let tmp = tempfile::tempdir().unwrap();
    let http = client();
    let closed = demo_server(tmp.path(), &[], &[]);
    let response = http
        .get(closed.url("/search?q=index"))
        .header("Origin", "https://docs.example.com")
        .header("Accept-Encoding", "gzip")
        .send()
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "CORS is off by default"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let home = http.get(closed.url("/")).send().unwrap();
    let csp = home.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    drop(closed);

    let open = demo_server(
        tmp.path(),
        &["--cors-origin", "https://docs.example.com"],
        &[],
    );
    let allowed = http
        .get(open.url("/search?q=index"))
        .header("Origin", "https://docs.example.com")
        .header("Accept-Encoding", "br")
        .send()
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://docs.example.com"
    );
    assert_eq!(allowed.headers()["content-encoding"], "br");
    let other = http
        .get(open.url("/search?q=index"))
        .header("Origin", "https://evil.example")
        .send()
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[test]
fn clients_over_the_rate_limit_get_429() {
    let tmp = tempfile::tempdir().unwrap();
    let server = demo_server(tmp.path(), &["--rate-limit", "2", "--rate-burst", "5"], &[]);
    let http = client();
    let statuses: Vec<_> = (0..20)
        .map(|_| http.get(server.url("/health")).send().unwrap())
        .collect();
    let limited: Vec<_> = statuses
        .into_iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert!(limited.len() >= 10, "only {} of 20 limited", limited.len());
    let first = limited.into_iter().next().unwrap();
    assert!(first.headers().contains_key("retry-after"));
    assert_error(first, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "--rate-limit",
        "1",
        "--rate-burst",
        "3",
        "--trusted-proxy",
        "127.0.0.1",
    ];
    let server = demo_server(tmp.path(), &args, &[]);
    let http = client();
    let statuses = |forwarded_for: &str| -> Vec<StatusCode> {
        (0..6)
            .map(|_| {
                http.get(server.url("/health"))
                    .header("X-Forwarded-For", forwarded_for)
                    .send()
                    .unwrap()
                    .status()
            })
            .collect()
    };
    let a = statuses("198.51.100.1");
    assert!(a.contains(&StatusCode::TOO_MANY_REQUESTS), "{a:?}");
    // Another client behind the same proxy still has its burst, whatever it
    // claims further left in the header.
    let b = statuses("198.51.100.1, 198.51.100.2");
    assert_eq!(b[..3], [StatusCode::OK; 3], "{b:?}");
}

#[test]
fn admin_routes_need_the_key_and_reindex_while_searching() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = one_article_corpus(tmp.path(), "The original article about refunds.");
    let http = client();

    // No key configured: admin routes do not exist.
    let closed = Server::start(
        &tmp.path().join("index"),
        &["--corpus", corpus.to_str().unwrap()],
        &[],
    );
    assert_error(
        http.post(closed.url("/admin/reindex")).send().unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    );
    drop(closed);

    let key = "test-admin-key-7f3a";
    let server = admin_server(tmp.path(), &corpus, key);
    let reindex = |auth: Option<&str>| {
        let mut request = http.post(server.url("/admin/reindex"));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send().unwrap()
    };
    assert_error(reindex(None), StatusCode::UNAUTHORIZED, "unauthorized");
    assert_error(
        reindex(Some("Bearer wrong")),
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        reindex(Some(&format!("Basic {key}"))),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );

    // Enough new articles for the build to take a while.
    for i in 0..1500 {
        let body =
            format!("Generated article {i} about payouts, invoices and tenants. ").repeat(40);
        common::write_article(
            &corpus,
            "en-us",
            &format!("bulk/{i:04}.md"),
            &format!("Bulk {i}"),
            &body,
        );
    }
    common::write_article(
        &corpus,
        "en-us",
        "b.md",
        "Beta",
        "A brand new article about chargebacks.",
    );

    // Search continuously while the reindex runs and the index switches.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let searchers: Vec<_> = (0..3)
        .map(|_| {
            let (stop, ok, failed, url) = (
                stop.clone(),
                ok.clone(),
                failed.clone(),
                server.url("/search?q=refunds&locale=en-us"),
            );
            std::thread::spawn(move || {
                let http = client();
                while !stop.load(Ordering::Relaxed) {
                    let served = http
                        .get(&url)
                        .send()
                        .ok()
                        .filter(|r| r.status() == StatusCode::OK)
                        .and_then(|r| r.json::<Value>().ok())
                        .is_some_and(|body| body["hits"][0]["id"] == "a.md");
                    if served {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    let bearer = format!("Bearer {key}");
    let started = reindex(Some(&bearer));
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    assert_eq!(json_of(started)["state"], "running");
    assert_error(
        reindex(Some(&bearer)),
        StatusCode::CONFLICT,
        "reindex_running",
    );

    let status = finished_reindex(&server, &bearer, Duration::from_secs(180));
    assert_eq!(status["state"], "succeeded", "{status}");
    assert_eq!(status["documents"], 1502);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for s in searchers {
        s.join().unwrap();
    }
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "searches failed during the switch"
    );
    assert!(ok.load(Ordering::Relaxed) > 10);

    // The new content is served without a restart.
    let new = json_of(
        http.get(server.url("/search?q=chargebacks&locale=en-us"))
            .send()
            .unwrap(),
    );
    assert_eq!(new["hits"][0]["id"], "b.md");
    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("kensaku_reindex_total{outcome=\"succeeded\"} 1"),
        "{metrics}"
    );

    // The key never reaches the logs.
    let (status, lines) = server.terminate();
    assert!(
        status.success(),
        "SIGTERM is a graceful, successful exit: {status}"
    );
    assert!(
        lines.iter().all(|l| !l.contains(key)),
        "the admin key was logged"
    );
}

#[test]
fn sigterm_shuts_down_gracefully_and_the_key_is_never_logged() {
    let tmp = tempfile::tempdir().unwrap();
    let key = "never-log-this-9c1e";
    let server = demo_server(tmp.path(), &[], &[("KENSAKU_ADMIN_KEY", key)]);
    let http = client();
    let _ = http
        .post(server.url("/admin/reindex"))
        .header("Authorization", format!("Bearer {key}x"))
        .send()
        .unwrap();
    let _ = http.get(server.url("/search?q=index")).send().unwrap();
    // Every line, up to the end of the log: a line read before the exit
    // could miss a request still being logged.
    let (status, lines) = server.terminate();
    assert!(status.success(), "{status}");
    assert!(
        lines.iter().all(|l| !l.contains(key)),
        "the admin key was logged"
    );
    assert!(
        lines.iter().any(|l| l.contains("/search")),
        "requests are logged: {lines:?}"
    );
}

#[test]
fn builds_the_index_only_when_there_is_none() {
    let tmp = tempfile::tempdir().unwrap();
    let first = demo_server(tmp.path(), &[], &[]);
    let first_log = first.startup_log.clone();
    drop(first);
    assert!(
        first_log.iter().any(|l| l.contains("no index yet")),
        "{first_log:?}"
    );
    let second = demo_server(tmp.path(), &[], &[]);
    assert_eq!(
        client().get(second.url("/ready")).send().unwrap().status(),
        StatusCode::OK
    );
    let second_log = &second.startup_log;
    assert!(
        !second_log.iter().any(|l| l.contains("no index yet")),
        "{second_log:?}"
    );
}

#[test]
fn a_failed_reindex_keeps_serving_the_previous_index() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = one_article_corpus(tmp.path(), "The article about refunds.");
    let key = "test-admin-key-failing";
    let server = admin_server(tmp.path(), &corpus, key);
    let http = client();
    let search = || {
        json_of(
            http.get(server.url("/search?q=refunds&locale=en-us"))
                .send()
                .unwrap(),
        )
    };
    assert_eq!(search()["hits"][0]["id"], "a.md");

    // The content pipeline breaks: the corpus folder is emptied. (A broken
    // edit of one article is not a failure: its last good version stays.)
    std::fs::remove_dir_all(corpus.join("en-us")).unwrap();
    let bearer = format!("Bearer {key}");
    let started = http
        .post(server.url("/admin/reindex"))
        .header("Authorization", &bearer)
        .send()
        .unwrap();
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let status = finished_reindex(&server, &bearer, Duration::from_secs(60));
    assert_eq!(status["state"], "failed", "{status}");
    assert!(
        status["error"]
            .as_str()
            .unwrap()
            .contains("nothing could be indexed"),
        "{status}"
    );
    assert_eq!(
        search()["hits"][0]["id"],
        "a.md",
        "the previous index still serves"
    );
    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("kensaku_reindex_total{outcome=\"failed\"} 1"),
        "{metrics}"
    );
}

/// The compose deployment's replicas, without Docker: the image's user
/// (not root) over an index volume it cannot write and no analytics volume.
/// It serves; it says at start, in one line, that analytics cannot write;
/// and a reindex asked of it answers 409, naming the indexer job.
#[test]
fn a_replica_that_cannot_write_says_so_and_leaves_builds_to_the_indexer() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let index = tmp.path().join("index");
    kensaku::index::build(
        &kensaku::index::Corpus::Demo,
        &kensaku::index::IndexDir::new(&index),
        &Default::default(),
    )
    .unwrap();
    // Root writes anywhere: run as nobody, as the image runs as its own user.
    let root = unsafe { libc::geteuid() } == 0;
    let wrapper: &[&str] = if root {
        // Readable by all, as the indexer job (the same user) leaves it for
        // the replicas; written by root only.
        for entry in walkdir::WalkDir::new(&index) {
            let entry = entry.unwrap();
            let mode = if entry.file_type().is_dir() {
                0o755
            } else {
                0o644
            };
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
    } else {
        for entry in walkdir::WalkDir::new(&index) {
            let entry = entry.unwrap();
            let mode = if entry.file_type().is_dir() {
                0o555
            } else {
                0o444
            };
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        &[]
    };
    let server = Server::start_through(
        wrapper,
        &index,
        &["--reload-interval", "0"],
        &[("KENSAKU_ADMIN_KEY", "replica-key")],
    );
    let found = client()
        .get(server.url("/search?q=index&locale=en-us"))
        .send()
        .unwrap();
    assert_eq!(found.status(), 200);
    assert!(
        server
            .startup_log
            .iter()
            .any(|l| l.contains("analytics cannot write to") && l.contains("Permission denied")),
        "{:#?}",
        server.startup_log
    );
    let reindex = client()
        .post(server.url("/admin/reindex"))
        .bearer_auth("replica-key")
        .send()
        .unwrap();
    let body = assert_error(reindex, StatusCode::CONFLICT, "read_only_index");
    assert!(
        body["message"].as_str().unwrap().contains("indexer job"),
        "{body}"
    );
    if !root {
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
