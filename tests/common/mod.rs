//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod browser;
pub mod embedder;
pub mod server;

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
    assert!(
        std::env::var("KENSAKU_REQUIRE_SHARED").as_deref() != Ok("1"),
        "../shared/corpus is required here (KENSAKU_REQUIRE_SHARED=1) but missing"
    );
    eprintln!("skipped: ../shared/corpus is not beside the checkout");
    None
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
