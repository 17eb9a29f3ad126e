//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod browser;
pub mod embedder;
pub mod nginx;
pub mod postgres;
pub mod server;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kensaku::index::{self, BuildOptions, BuildReport, Corpus, IndexDir};
use kensaku::search::Engine;

/// `../shared` beside the checkout, holding the corpus and judgments.
///
/// Tests that need it skip when it is absent (a clone elsewhere), unless
/// `KENSAKU_REQUIRE_SHARED=1` (set by `.ci/run`), where absence is a failure.
pub fn shared() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if path.join("corpus").is_dir() {
        return Some(path.canonicalize().unwrap());
    }
    missing(
        "KENSAKU_REQUIRE_SHARED",
        "../shared/corpus is not beside the checkout",
        "put the shared data folder beside the checkout",
    );
    None
}

/// A test cannot run here because something it needs is missing.
///
/// Where `require_var` is `1` (`.ci/run` sets it, having installed what the
/// tests need) that is a failure. Elsewhere the test skips: it says so on
/// stderr and appends a line to `target/test-skips.log`, which `make test`
/// prints at the end (libtest has no "skipped" status: a skipped test
/// reports `ok`).
pub fn missing(require_var: &str, what: &str, how: &str) {
    assert!(
        std::env::var(require_var).as_deref() != Ok("1"),
        "required here ({require_var}=1) but missing: {what}"
    );
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    eprintln!("skipped: {what} (to run it: {how})");
    let log = target_dir().join("test-skips.log");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = writeln!(file, "{test}\t{what}\t{how}");
    }
}

/// Cargo's target folder (`CARGO_TARGET_DIR`, else `target/` in the checkout).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Skips the calling test when `../shared` is absent.
#[macro_export]
macro_rules! require_shared {
    () => {
        match common::shared() {
            Some(path) => path,
            None => return,
        }
    };
}

/// The whole shared corpus indexed once per test binary.
pub struct CorpusIndex {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub report: BuildReport,
    pub engine: Engine,
}

pub fn corpus_index(shared: &Path) -> &'static CorpusIndex {
    static INDEX: OnceLock<CorpusIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        let report = index::build(
            &Corpus::Dir(shared.join("corpus")),
            &IndexDir::new(&path),
            &BuildOptions::default(),
        )
        .expect("the shared corpus indexes");
        let engine = Engine::open(IndexDir::new(&path));
        CorpusIndex {
            _dir: dir,
            path,
            report,
            engine,
        }
    })
}

/// Copies a folder tree (a corpus) so a test can edit it.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Writes a small article in `<corpus>/<locale>/<id>`.
pub fn write_article(corpus: &Path, locale: &str, id: &str, title: &str, body: &str) {
    let path = corpus.join(locale).join(id);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!("---\ntitle: {title}\nms.topic: article\n---\n# {title}\n\n{body}\n"),
    )
    .unwrap();
}
