//! Bad corpus input, through the real `kensaku index`: every broken file is
//! reported with its path and reason and skipped, good files beside it are
//! indexed, the build never panics, and it fails only when nothing at all
//! could be indexed — leaving the served index alone.

use std::path::Path;
use std::process::{Command, Output};

const KENSAKU: &str = env!("CARGO_BIN_EXE_kensaku");

fn kensaku(args: &[&str]) -> Output {
    let output = Command::new(KENSAKU)
        .args(args)
        .env("KENSAKU_LOG", "warn")
        .output()
        .expect("run kensaku");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "kensaku panicked:\n{stderr}");
    output
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn article(title: &str, body: &str) -> String {
    format!("---\ntitle: {title}\nms.contentlocale: en-US\n---\n# {title}\n\n{body}\n")
}

/// Ids of the hits for `query` in `locale`.
fn search(index: &Path, locale: &str, query: &str) -> Vec<String> {
    let output = kensaku(&[
        "search",
        "--index-dir",
        index.to_str().unwrap(),
        "--locale",
        locale,
        "--json",
        query,
    ]);
    assert!(output.status.success(), "{output:?}");
    let response: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    response["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

/// Writes one file per kind of bad input into `corpus/en-us` (and around),
/// returning (file name, what the report must say) for those to be skipped.
fn write_bad_files(corpus: &Path) -> Vec<(&'static str, &'static str)> {
    let en = corpus.join("en-us");
    let mut skipped = Vec::new();

    write(
        &en.join("invalid-utf8.md"),
        b"---\ntitle: Bad\n---\n\xff\xfe caf\xe9\n",
    );
    skipped.push(("invalid-utf8.md", "not valid UTF-8"));
    write(
        &en.join("binary.md"),
        b"\x7fELF\x02\x01\x01\x00\x00\x00binary\x00\x00",
    );
    skipped.push(("binary.md", "binary data"));
    write(
        &en.join("malformed-front-matter.md"),
        "---\ntitle: [unclosed\n  : :\n---\nbody\n",
    );
    skipped.push(("malformed-front-matter.md", "front matter"));
    write(
        &en.join("invalid-locale.md"),
        "---\ntitle: X\nms.contentlocale: '../../etc'\n---\nbody\n",
    );
    skipped.push(("invalid-locale.md", "ms.contentlocale"));
    write(&en.join("empty.md"), "");
    skipped.push(("empty.md", "no title and no text"));
    write(
        &en.join("only-front-matter.md"),
        "---\nms.topic: article\n---\n",
    );
    skipped.push(("only-front-matter.md", "no title and no text"));
    write(
        &corpus.join("no-locale.md"),
        "# Outside any locale folder\n\nText.\n",
    );
    skipped.push(("no-locale.md", "no locale"));

    // 50 MB, over the 16 MiB article limit: refused before it is read.
    let huge = std::fs::File::create(en.join("huge.md")).unwrap();
    huge.set_len(50 * 1024 * 1024).unwrap();
    skipped.push(("huge.md", "article limit"));

    // Unreadable: a dangling symbolic link (chmod 000 stops no one running as root).
    std::os::unix::fs::symlink(corpus.join("nowhere.md"), en.join("dangling.md")).unwrap();
    skipped.push(("dangling.md", "No such file"));
    // A symbolic link loop in the tree.
    std::fs::create_dir_all(en.join("loop")).unwrap();
    std::os::unix::fs::symlink(&en, en.join("loop/back")).unwrap();
    skipped.push(("loop/back", "symbolic link loop"));
    skipped
}

/// Files that are odd but readable: indexed, with their text intact.
fn write_odd_but_good_files(corpus: &Path) {
    let en = corpus.join("en-us");
    write(
        &en.join("bom.md"),
        format!(
            "\u{feff}{}",
            article("Bommarker", "A file that starts with a byte order mark.")
        ),
    );
    write(
        &en.join("crlf.md"),
        article("Crlfarticle", "Windows line\r\nendings everywhere.").replace('\n', "\r\n"),
    );
    write(
        &en.join("no-front-matter.md"),
        "# Nofrontmatter heading\n\nJust markdown.\n",
    );
    write(
        &en.join("unclosed.md"),
        article(
            "Unclosedspans",
            "<span data-ttu-id=\"1\">Dangling <b>bold <span class=\"sxs-lookup\"><span data-stu-id=\"1\">English kept apart\n\n<div><table><tr><td>cell",
        ),
    );
    // Deeply nested markup: quotes, lists, inline HTML and emphasis.
    let mut nested = String::new();
    nested.push_str(&">".repeat(20_000));
    nested.push_str(" deepquote\n\n");
    for depth in 0..2_000 {
        nested.push_str(&"  ".repeat(depth));
        nested.push_str("- deeplist\n");
    }
    nested.push('\n');
    nested.push_str(&"<span data-ttu-id=\"x\">".repeat(20_000));
    nested.push_str("deepspan");
    nested.push_str(&"</span>".repeat(20_000));
    nested.push_str("\n\n");
    nested.push_str(&"*_".repeat(20_000));
    nested.push_str("deepemphasis\n");
    write(&en.join("nested.md"), article("Deeplynested", &nested));
}

#[test]
fn every_kind_of_bad_file_is_reported_and_skipped_and_the_rest_is_indexed() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, index) = (tmp.path().join("corpus"), tmp.path().join("index"));
    write(
        &corpus.join("en-us/good.md"),
        article("Invoices", "Download your invoices here."),
    );
    let expected = write_bad_files(&corpus);
    write_odd_but_good_files(&corpus);

    let output = kensaku(&[
        "index",
        "--corpus",
        corpus.to_str().unwrap(),
        "--index-dir",
        index.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    for (file, reason) in &expected {
        let line = stdout
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} is not reported:\n{stdout}"));
        assert!(
            line.contains(reason),
            "{file}: expected {reason:?} in {line:?}"
        );
    }
    assert!(
        stdout.contains(&format!("skipped {} file(s)", expected.len())),
        "{stdout}"
    );

    assert_eq!(search(&index, "en-us", "invoices"), ["good.md"]);
    for (query, id) in [
        ("bommarker", "bom.md"),
        ("crlfarticle endings", "crlf.md"),
        ("nofrontmatter", "no-front-matter.md"),
        ("unclosedspans dangling", "unclosed.md"),
        ("deepquote deeplist deepspan deepemphasis", "nested.md"),
    ] {
        assert_eq!(
            search(&index, "en-us", query).first().map(String::as_str),
            Some(id),
            "{query}"
        );
    }
    // The English original of an unclosed bilingual span stays out of the localized text.
    let article = kensaku(&[
        "search",
        "--index-dir",
        index.to_str().unwrap(),
        "--locale",
        "en-us",
        "--json",
        "kept apart",
    ]);
    let response: serde_json::Value = serde_json::from_slice(&article.stdout).unwrap();
    for hit in response["hits"].as_array().unwrap() {
        assert!(!hit["snippet"].as_str().unwrap().contains("<span"), "{hit}");
    }
}

#[test]
fn a_corpus_of_only_bad_files_fails_with_the_reasons_and_keeps_the_index() {
    let tmp = tempfile::tempdir().unwrap();
    let (good, bad, index) = (
        tmp.path().join("good"),
        tmp.path().join("bad"),
        tmp.path().join("index"),
    );
    write(
        &good.join("en-us/good.md"),
        article("Invoices", "Download your invoices here."),
    );
    let output = kensaku(&[
        "index",
        "--corpus",
        good.to_str().unwrap(),
        "--index-dir",
        index.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");

    let expected = write_bad_files(&bad);
    let output = kensaku(&[
        "index",
        "--corpus",
        bad.to_str().unwrap(),
        "--index-dir",
        index.to_str().unwrap(),
    ]);
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nothing could be indexed"), "{stderr}");
    for (file, reason) in &expected {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(file) && l.contains(reason)),
            "{file}: {reason:?} missing from:\n{stderr}"
        );
    }
    assert_eq!(
        search(&index, "en-us", "invoices"),
        ["good.md"],
        "the previous index still serves"
    );
}
