//! Parsing and extraction, markdown against HTML, per megabyte of the text
//! they give: every article of the shared corpus as markdown, and as the
//! pages Hugo renders of it (bench/site/render-hugo.sh; rendered first into
//! target/site/shared when missing), read and parsed on one thread,
//! interleaved over rounds in one run. Analysis is not included: it is the
//! same for both (BENCHMARKS.md has the whole build).
//!
//!     cargo bench --bench sources

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use kensaku::article::{Article, UrlTemplate};
use kensaku::index::Corpus;
use kensaku::source::{Document, Source, folder::SiteFolder};

/// Bytes of text an article gives the index: title, description,
/// headings, blocks, English originals.
fn text_bytes(a: &Article) -> usize {
    a.title.len()
        + a.description.len()
        + a.sections
            .iter()
            .map(|s| {
                s.heading.len()
                    + s.english.len()
                    + s.blocks.iter().map(|b| b.text.len()).sum::<usize>()
            })
            .sum::<usize>()
}

/// Parses every document: (seconds, input bytes, text bytes, articles).
fn parse_all(
    corpus: &dyn Source,
    documents: &[(Document, Vec<u8>)],
) -> (Duration, usize, usize, usize) {
    let site = corpus.site_options();
    let urls = UrlTemplate::default();
    let started = Instant::now();
    let (mut input, mut text, mut articles) = (0, 0, 0);
    for (document, bytes) in documents {
        input += bytes.len();
        if let Ok(parsed) = document.parse(bytes, &urls, &site) {
            text += text_bytes(&parsed.article);
            articles += 1;
        }
    }
    (started.elapsed(), input, text, articles)
}

fn main() {
    let Some(shared) = common::shared() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let site_dir = root.join("target/site/shared");
    if !site_dir.join("ja-jp").is_dir() {
        let status = std::process::Command::new("bash")
            .arg(root.join("bench/site/render-hugo.sh"))
            .arg(shared.join("corpus"))
            .arg(&site_dir)
            .status()
            .expect("run bench/site/render-hugo.sh (needs hugo)");
        assert!(status.success());
    }
    let markdown = Corpus::Dir(shared.join("corpus"));
    let site = SiteFolder::new(&site_dir, Default::default()).unwrap();
    let load = |source: &dyn Source| -> Vec<(Document, Vec<u8>)> {
        source
            .list(&|_| None)
            .unwrap()
            .documents
            .into_iter()
            .map(|d| {
                let bytes = d.read_limited(u64::MAX).unwrap().into_owned();
                (d, bytes)
            })
            .collect()
    };
    let (md_docs, html_docs) = (load(&markdown), load(&site));
    let rounds = common::rounds(5);
    let (mut md_times, mut html_times) = (Vec::new(), Vec::new());
    let (mut md, mut html) = ((0, 0, 0), (0, 0, 0));
    for _ in 0..rounds {
        let (t, i, x, n) = parse_all(&markdown, &md_docs);
        md_times.push(t);
        md = (i, x, n);
        let (t, i, x, n) = parse_all(&site, &html_docs);
        html_times.push(t);
        html = (i, x, n);
    }
    md_times.sort();
    html_times.sort();
    let (md_t, html_t) = (
        md_times[md_times.len() / 2],
        html_times[html_times.len() / 2],
    );
    let per_mb = |t: Duration, text: usize| t.as_secs_f64() / (text as f64 / 1e6);
    println!(
        "{:<10} {:>9} {:>10} {:>10} {:>9} {:>14}",
        "source", "articles", "input MB", "text MB", "median s", "s per text MB"
    );
    for (name, (input, text, n), t) in [("markdown", md, md_t), ("html", html, html_t)] {
        println!(
            "{name:<10} {n:>9} {:>10.1} {:>10.1} {:>9.3} {:>14.4}",
            input as f64 / 1e6,
            text as f64 / 1e6,
            t.as_secs_f64(),
            per_mb(t, text)
        );
    }
    println!(
        "html / markdown, per MB of text: {:.2}x (median of {rounds} interleaved rounds, one thread)",
        per_mb(html_t, html.1) / per_mb(md_t, md.1)
    );
}
