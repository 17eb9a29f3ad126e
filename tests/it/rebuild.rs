//! Incremental and atomic index builds.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kensaku::index::{self, BuildOptions, Corpus, IndexDir, IndexError};
use kensaku::locale::Locale;
use kensaku::search::{Engine, SearchRequest};

fn build(corpus: &Path, index: &Path) -> Result<index::BuildReport, IndexError> {
    index::build(
        &Corpus::Dir(corpus.to_path_buf()),
        &IndexDir::new(index),
        &BuildOptions::default(),
    )
}

fn ids(engine: &Engine, locale: &str, query: &str) -> Vec<String> {
    let request = SearchRequest::new(query).locale(Locale::parse(locale).unwrap());
    engine
        .search(&request)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn generation(index: &Path, locale: &str) -> u64 {
    IndexDir::new(index)
        .current(&Locale::parse(locale).unwrap())
        .unwrap()
        .unwrap()
        .number
}

#[test]
fn changed_articles_are_replaced_and_deleted_ones_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, index) = (tmp.path().join("corpus"), tmp.path().join("index"));
    common::write_article(
        &corpus,
        "en-us",
        "a.md",
        "Alpha",
        "The alpha article about invoices.",
    );
    common::write_article(
        &corpus,
        "en-us",
        "b.md",
        "Beta",
        "The beta article about payouts.",
    );
    common::write_article(
        &corpus,
        "ja-jp",
        "c.md",
        "請求書",
        "請求書のダウンロード方法。",
    );
    let first = build(&corpus, &index).unwrap();
    assert_eq!(first.documents(), 3);

    common::write_article(
        &corpus,
        "en-us",
        "a.md",
        "Alpha",
        "The alpha article about refunds now.",
    );
    std::fs::remove_file(corpus.join("en-us/b.md")).unwrap();
    common::write_article(
        &corpus,
        "en-us",
        "d.md",
        "Delta",
        "A new delta article about payouts.",
    );
    let second = build(&corpus, &index).unwrap();

    let en = &second.locales[&Locale::parse("en-us").unwrap()];
    assert_eq!((en.documents, en.added, en.removed), (2, 2, 2), "{en:?}");
    assert_eq!(second.unchanged, 1, "ja-jp/c.md is untouched");
    assert_eq!(generation(&index, "en-us"), 2);
    assert_eq!(
        generation(&index, "ja-jp"),
        1,
        "an unchanged locale keeps its generation"
    );

    let engine = Engine::open(IndexDir::new(&index));
    assert_eq!(ids(&engine, "en-us", "refunds"), ["a.md"]);
    assert!(
        ids(&engine, "en-us", "invoices").is_empty(),
        "the old text of a.md is gone"
    );
    assert_eq!(
        ids(&engine, "en-us", "payouts"),
        ["d.md"],
        "b.md is removed"
    );
    assert_eq!(ids(&engine, "ja-jp", "請求書"), ["c.md"]);
}

#[test]
fn articles_filed_under_another_locale_are_indexed_whenever_they_arrive() {
    // Each locale folder commits as soon as its last file is done; an
    // article whose front matter names another locale may arrive after that
    // locale's commit, in either order, and must still be served.
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, index) = (tmp.path().join("corpus"), tmp.path().join("index"));
    for i in 0..40 {
        let body = format!("English article number {i} about invoices.");
        common::write_article(&corpus, "en-us", &format!("en{i}.md"), "Invoices", &body);
        let body = format!("Article français numéro {i} sur les factures.");
        common::write_article(&corpus, "fr-fr", &format!("fr{i}.md"), "Factures", &body);
    }
    let misfiled =
        "---\ntitle: Zebrafish\nms.contentlocale: en-US\n---\n# Zebrafish\n\nZebrafish care.\n";
    std::fs::write(corpus.join("fr-fr/zebrafish.md"), misfiled).unwrap();
    std::fs::write(
        corpus.join("en-us/aardvark.md"),
        misfiled
            .replace("Zebrafish", "Aardvark")
            .replace("en-US", "fr-FR"),
    )
    .unwrap();
    let report = build(&corpus, &index).unwrap();
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    let engine = Engine::open(IndexDir::new(&index));
    assert_eq!(ids(&engine, "en-us", "zebrafish"), ["zebrafish.md"]);
    assert_eq!(ids(&engine, "fr-fr", "aardvark"), ["aardvark.md"]);
    assert_eq!(
        report.locales[&Locale::parse("en-us").unwrap()].documents,
        41
    );
    assert_eq!(
        report.locales[&Locale::parse("fr-fr").unwrap()].documents,
        41
    );
}

#[test]
fn a_broken_edit_keeps_the_last_good_version() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, index) = (tmp.path().join("corpus"), tmp.path().join("index"));
    common::write_article(
        &corpus,
        "en-us",
        "a.md",
        "Alpha",
        "Good text about invoices.",
    );
    common::write_article(&corpus, "en-us", "b.md", "Beta", "Other text.");
    build(&corpus, &index).unwrap();
    std::fs::write(
        corpus.join("en-us/a.md"),
        b"---\ntitle: [broken\n---\nnew text",
    )
    .unwrap();
    let report = build(&corpus, &index).unwrap();
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].path.ends_with("a.md"),
        "{:?}",
        report.skipped
    );
    let engine = Engine::open(IndexDir::new(&index));
    assert_eq!(ids(&engine, "en-us", "invoices"), ["a.md"]);
}

#[test]
fn a_corpus_with_nothing_indexable_fails_and_leaves_the_index_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, index) = (tmp.path().join("corpus"), tmp.path().join("index"));
    common::write_article(&corpus, "en-us", "a.md", "Alpha", "Text about invoices.");
    build(&corpus, &index).unwrap();

    let broken = tmp.path().join("broken");
    std::fs::create_dir_all(broken.join("en-us")).unwrap();
    std::fs::write(broken.join("en-us/x.md"), b"\x00\x01binary").unwrap();
    let fresh = tmp.path().join("fresh-index");
    let error = build(&broken, &fresh).unwrap_err();
    assert!(
        matches!(
            error,
            IndexError::NothingIndexed {
                files: 1,
                ref skipped,
                ..
            } if skipped.len() == 1 && skipped[0].reason.contains("binary")
        ),
        "{error}"
    );

    // Against the existing index, the broken corpus would delete everything:
    // that is taken as a broken corpus, not an intent, and nothing is published.
    let error = build(&broken, &index).unwrap_err();
    assert!(
        matches!(error, IndexError::NothingIndexed { .. }),
        "{error}"
    );
    assert_eq!(generation(&index, "en-us"), 1);
    let engine = Engine::open(IndexDir::new(&index));
    assert_eq!(ids(&engine, "en-us", "invoices"), ["a.md"]);
}

/// Writes `n` articles of generated text, enough for a build that lasts a while.
fn write_large_corpus(corpus: &Path, n: usize) {
    let words = [
        "invoice",
        "partner",
        "customer",
        "subscription",
        "billing",
        "tenant",
        "reseller",
        "payout",
    ];
    for i in 0..n {
        let mut body = String::new();
        for s in 0..300 {
            let w = |k: usize| words[(i * 7 + s * 3 + k) % words.len()];
            body.push_str(&format!(
                "Sentence {s} of article {i} mentions {} and {} with {}. ",
                w(0),
                w(1),
                w(2)
            ));
        }
        common::write_article(
            corpus,
            "en-us",
            &format!("bulk/article-{i:05}.md"),
            &format!("Article {i}"),
            &body,
        );
    }
}

/// `kensaku index` killed with SIGKILL in the middle of a build: the previous
/// generation stays published and searchable, and the next build recovers.
#[test]
fn a_build_killed_midway_leaves_the_previous_index_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, index) = (tmp.path().join("corpus"), tmp.path().join("index"));
    common::write_article(
        &corpus,
        "en-us",
        "a.md",
        "Alpha",
        "The original text about refunds.",
    );
    build(&corpus, &index).unwrap();
    write_large_corpus(&corpus, 2000);

    let binary = env!("CARGO_BIN_EXE_kensaku");
    let mut killed_midway = 0;
    // From the first file to the commits and the switch of CURRENT.
    for delay_ms in [0, 50, 150, 300, 500, 800, 1200] {
        let mut child = Command::new(binary)
            .args(["index", "--json", "--corpus"])
            .arg(&corpus)
            .arg("--index-dir")
            .arg(&index)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the build has started writing a new generation.
        let started = Instant::now();
        while !index.join("en-us").read_dir().unwrap().any(|e| {
            let name = e.unwrap().file_name();
            name.to_string_lossy().starts_with("gen-") && name != "gen-000001"
        }) {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "build never started"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        if generation(&index, "en-us") == 1 {
            killed_midway += 1;
            let engine = Engine::open(IndexDir::new(&index));
            assert_eq!(
                ids(&engine, "en-us", "refunds"),
                ["a.md"],
                "killed after {delay_ms} ms"
            );
            assert_eq!(
                engine.snapshot().locales[&Locale::parse("en-us").unwrap()].documents,
                1
            );
        } else {
            // Killed after the switch: the new generation is complete.
            let engine = Engine::open(IndexDir::new(&index));
            assert_eq!(
                engine.snapshot().locales[&Locale::parse("en-us").unwrap()].documents,
                2001,
                "killed after {delay_ms} ms"
            );
            assert_eq!(ids(&engine, "en-us", "refunds"), ["a.md"]);
        }
    }
    assert!(
        killed_midway >= 2,
        "the builds finished before they could be killed"
    );

    // The next build completes, publishes, and removes abandoned generations.
    let report = build(&corpus, &index).unwrap();
    assert_eq!(report.documents(), 2001);
    let generations = index.join("en-us").read_dir().unwrap().filter(|e| {
        e.as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("gen-")
    });
    assert_eq!(generations.count(), 2, "current + previous only");
    let engine = Engine::open(IndexDir::new(&index));
    assert_eq!(ids(&engine, "en-us", "refunds"), ["a.md"]);
}

#[test]
fn two_builds_cannot_run_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = IndexDir::new(tmp.path());
    let _lock = dir.lock().unwrap();
    let error = index::build(&Corpus::Demo, &dir, &BuildOptions::default()).unwrap_err();
    assert!(error.to_string().contains("another build"), "{error}");
}

/// Incremental builds append changed articles to the hit store; superseded
/// records are compacted away by rebuilding the locale once they outweigh
/// the live ones, so repeated edits do not grow the index without bound.
#[test]
fn repeated_edits_do_not_grow_the_hit_store_without_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, index) = (tmp.path().join("corpus"), tmp.path().join("index"));
    let hit_store_size = || {
        let generation = IndexDir::new(&index)
            .current(&Locale::parse("en-us").unwrap())
            .unwrap()
            .unwrap();
        std::fs::metadata(generation.path.join("hits.bin"))
            .unwrap()
            .len()
    };
    let mut sizes = Vec::new();
    for edit in 0..12 {
        let body = format!("Edition {edit} of the refunds article. ").repeat(8_000);
        common::write_article(&corpus, "en-us", "a.md", "Refunds", &body);
        build(&corpus, &index).unwrap();
        sizes.push(hit_store_size());
    }
    let engine = Engine::open(IndexDir::new(&index));
    assert_eq!(ids(&engine, "en-us", "edition 11"), ["a.md"]);
    let one_record = sizes[0];
    assert!(
        sizes.iter().all(|&s| s <= 3 * one_record + (1 << 20)),
        "hit store sizes over the edits: {sizes:?}"
    );
    assert!(
        sizes.windows(2).any(|w| w[1] < w[0]),
        "never compacted: {sizes:?}"
    );
}

/// A word in every article still weighs after an edit: the edited article's
/// old version stays counted in the term's document frequency until its
/// segment is merged, and the collection it is weighed against counts it
/// too (it used to be the live documents alone: a negative weight, and
/// NaN scores for every hit).
#[test]
fn an_edit_leaves_scores_finite_and_ranked_as_a_fresh_build() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let topics = [
        "invoices", "payouts", "refunds", "taxes", "credits", "disputes",
    ];
    for (i, topic) in topics.iter().enumerate() {
        let body =
            format!("Partner Center shows {topic}. Partner Center keeps {topic} for a year.");
        common::write_article(&corpus, "en-us", &format!("{i}.md"), topic, &body);
    }
    let index = tmp.path().join("index");
    build(&corpus, &index).unwrap();
    common::write_article(
        &corpus,
        "en-us",
        "0.md",
        "invoices",
        "Partner Center shows invoices, and Partner Center downloads them.",
    );
    build(&corpus, &index).unwrap();
    let fresh = tmp.path().join("fresh");
    build(&corpus, &fresh).unwrap();

    let search = |index: &Path| {
        let engine = Engine::open(IndexDir::new(index));
        let request =
            SearchRequest::new("partner center invoices").locale(Locale::parse("en-us").unwrap());
        engine.search(&request).unwrap().hits
    };
    let (edited, fresh) = (search(&index), search(&fresh));
    assert!(
        edited.iter().all(|h| h.score.is_finite() && h.score > 0.0),
        "{:?}",
        edited.iter().map(|h| (&h.id, h.score)).collect::<Vec<_>>()
    );
    // The same articles, the one about invoices first (the others tie on
    // "partner center": their order is their order in the segments).
    let ids = |hits: &[kensaku::search::Hit]| {
        let mut ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
        ids[1..].sort();
        ids
    };
    assert_eq!(ids(&edited), ids(&fresh));
    assert_eq!(edited[0].id, "0.md");
}
