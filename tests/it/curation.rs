//! Curated synonyms and pins: on the shared corpus (the synonym that
//! brings 21Vianet's technical-support article up), on a small corpus
//! (pins and hides), and reloaded by a running server when a file changes.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::server::{Server, client};
use kensaku::curation::CurationConfig;
use kensaku::index::{self, BuildOptions, Corpus, IndexDir};
use kensaku::locale::Locale;
use kensaku::search::{Engine, SearchRequest};

fn article(corpus: &Path, id: &str, title: &str, text: &str) {
    common::write_article(corpus, "en-us", id, title, text);
}

fn ids(engine: &Engine, locale: &str, q: &str) -> Vec<String> {
    let request = SearchRequest::new(q).locale(Locale::parse(locale).unwrap());
    engine
        .search(&request)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.id.clone())
        .collect()
}

/// The case: 技術サポート where the ja-jp article says テクニカル サポート.
#[test]
fn a_synonym_finds_the_article_in_its_own_words() {
    let shared = require_shared!();
    let tmp = tempfile::tempdir().unwrap();
    let engine = Engine::open(IndexDir::new(&common::corpus_index(&shared).path));
    let target = "Archive/China-provide-technical-support.md";
    let before = ids(&engine, "ja-jp", "技術サポート 21Vianet");
    let dir = tmp.path().join("synonyms");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ja-jp.txt"),
        "# the reader's word, the article's word\n技術サポート, テクニカル サポート\n",
    )
    .unwrap();
    let curation = CurationConfig {
        synonyms: Some(dir),
        pins: None,
    }
    .load();
    assert!(curation.problems.is_empty(), "{:?}", curation.problems);
    engine.set_curation(curation);
    let after = ids(&engine, "ja-jp", "技術サポート 21Vianet");
    let rank = after.iter().position(|id| id == target);
    assert!(
        rank.is_some_and(|r| r < 3),
        "{target} at {rank:?} in {after:#?} (without the synonym: {:?})",
        before.iter().position(|id| id == target)
    );
    // Exact words still rank at or above their synonyms: the query's own
    // article-words are untouched for queries the rule does not match.
    assert_eq!(ids(&engine, "ja-jp", "請求書 ダウンロード"), {
        engine.set_curation(Default::default());
        ids(&engine, "ja-jp", "請求書 ダウンロード")
    });
}

#[test]
fn pins_come_first_in_order_and_hides_disappear() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    article(
        &corpus,
        "a.md",
        "Invoice basics",
        "How to read an invoice. Invoice invoice.",
    );
    article(
        &corpus,
        "b.md",
        "Billing history",
        "Past statements of the account.",
    );
    article(
        &corpus,
        "c.md",
        "Old invoice page",
        "The invoice page of the old portal.",
    );
    article(
        &corpus,
        "d.md",
        "Credit notes",
        "Refunds appear as credit notes on the invoice.",
    );
    let dir = IndexDir::new(tmp.path().join("index"));
    index::build(&Corpus::Dir(corpus), &dir, &BuildOptions::default()).unwrap();
    let engine = Engine::open(dir);
    let lexical = ids(&engine, "en-us", "invoice");
    assert!(lexical.contains(&"c.md".to_string()));
    let pins = tmp.path().join("pins");
    std::fs::create_dir_all(&pins).unwrap();
    std::fs::write(
        pins.join("en-us.toml"),
        "[[rule]]\nquery = \"Invoice\"\npin = [\"b.md\", \"d.md\", \"missing.md\"]\nhide = [\"c.md\"]\n",
    )
    .unwrap();
    engine.set_curation(
        CurationConfig {
            synonyms: None,
            pins: Some(pins),
        }
        .load(),
    );
    let request = SearchRequest::new("  INVOICE ").locale(Locale::parse("en-us").unwrap());
    let response = engine.search(&request).unwrap();
    let got: Vec<(&str, bool)> = response
        .hits
        .iter()
        .map(|h| (h.id.as_str(), h.pinned))
        .collect();
    assert_eq!(got[..2], [("b.md", true), ("d.md", true)], "{got:?}");
    assert!(
        got[2..]
            .iter()
            .all(|(id, pinned)| !pinned && *id != "c.md" && *id != "b.md" && *id != "d.md"),
        "{got:?}"
    );
    // The JSON says so.
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(json["hits"][0]["pinned"], true);
    assert!(json["hits"][2].get("pinned").is_none());
    // Another query is untouched.
    assert_eq!(ids(&engine, "en-us", "invoice page"), {
        engine.set_curation(Default::default());
        ids(&engine, "en-us", "invoice page")
    });
}

/// A running server picks up a new synonym file by itself, and reports a
/// malformed line without losing the others.
#[test]
fn a_server_reloads_synonyms_when_the_file_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    article(
        &corpus,
        "merge.md",
        "Merge tenants",
        "Two tenants merge into one.",
    );
    article(
        &corpus,
        "other.md",
        "Accounts",
        "Accounts and their combined totals.",
    );
    let synonyms = tmp.path().join("synonyms");
    std::fs::create_dir_all(&synonyms).unwrap();
    let server = Server::start(
        &tmp.path().join("index"),
        &[
            "--corpus",
            corpus.to_str().unwrap(),
            "--synonyms",
            synonyms.to_str().unwrap(),
            "--reload-interval",
            "1",
            "--rate-limit",
            "0",
        ],
        &[],
    );
    let http = client();
    let top = || -> Option<String> {
        let body: serde_json::Value = http
            .get(server.url("/search?q=unite%20tenants&locale=en-us"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        body["hits"][0]["id"].as_str().map(str::to_string)
    };
    assert_eq!(top().as_deref(), Some("merge.md"), "tenants alone matches");
    let ranked_first = |expected: &str| {
        for _ in 0..50 {
            let body: serde_json::Value = http
                .get(server.url("/search?q=unite&locale=en-us"))
                .send()
                .unwrap()
                .json()
                .unwrap();
            if body["hits"][0]["id"] == expected {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    };
    std::fs::write(
        synonyms.join("en-us.txt"),
        "unite => merge\nthis line => \n",
    )
    .unwrap();
    assert!(
        ranked_first("merge.md"),
        "the new synonym applies without a restart"
    );
    let (_, log) = server.terminate();
    assert!(
        log.iter().any(|l| l.contains("en-us.txt:2")),
        "the malformed line is reported with its file and line: {log:#?}"
    );
}
