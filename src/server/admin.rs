//! Reindexing while serving: one build at a time, searches never wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use utoipa::ToSchema;

use crate::curation::CurationConfig;
use crate::index::{self, BuildOptions, Corpus, IndexDir};
use crate::search::Engine;

/// The state of the last or current reindex.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ReindexStatus {
    /// `idle`, `running`, `succeeded` or `failed`.
    pub state: &'static str,
    pub started_at: Option<u64>,
    pub finished_at: Option<u64>,
    pub documents: Option<u64>,
    pub skipped: Option<u64>,
    pub error: Option<String>,
}

/// Runs builds from the configured corpus in the background.
pub struct Reindexer {
    corpus: Corpus,
    dir: IndexDir,
    options: BuildOptions,
    /// Reloaded after each reindex too.
    curation: CurationConfig,
    running: AtomicBool,
    status: Mutex<ReindexStatus>,
}

impl Reindexer {
    pub fn new(
        corpus: Corpus,
        dir: IndexDir,
        options: BuildOptions,
        curation: CurationConfig,
    ) -> Reindexer {
        Reindexer {
            corpus,
            dir,
            options,
            curation,
            running: AtomicBool::new(false),
            status: Mutex::new(ReindexStatus {
                state: "idle",
                ..Default::default()
            }),
        }
    }

    pub fn status(&self) -> ReindexStatus {
        self.status.lock().expect("status lock").clone()
    }

    /// Starts a build unless one is running or this process cannot write
    /// the index; `on_done` sees the outcome.
    pub fn start(
        self: &Arc<Self>,
        engine: Arc<Engine>,
        on_done: impl FnOnce(bool) + Send + 'static,
    ) -> Start {
        if !self.dir.is_writable() {
            return Start::ReadOnly;
        }
        if self
            .running
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Start::Running;
        }
        *self.status.lock().expect("status lock") = ReindexStatus {
            state: "running",
            started_at: Some(now()),
            ..Default::default()
        };
        let this = Arc::clone(self);
        std::thread::Builder::new()
            .name("kensaku-reindex".into())
            .spawn(move || {
                let result = index::build(&this.corpus, &this.dir, &this.options);
                let ok = result.is_ok();
                engine.set_curation(this.curation.load());
                {
                    let mut status = this.status.lock().expect("status lock");
                    status.finished_at = Some(now());
                    match result {
                        Ok(report) => {
                            // Searches in flight finish on the old snapshot.
                            engine.reload();
                            tracing::info!(documents = report.documents(), seconds = report.elapsed.as_secs_f64(), "reindex done");
                            status.state = "succeeded";
                            status.documents = Some(report.documents());
                            status.skipped = Some(report.skipped.len() as u64);
                        }
                        Err(error) => {
                            tracing::error!(error = %error, "reindex failed; the previous index keeps serving");
                            status.state = "failed";
                            status.error = Some(error.to_string());
                        }
                    }
                }
                this.running.store(false, Ordering::Release);
                on_done(ok);
            })
            .expect("spawn reindex thread");
        Start::Started
    }
}

/// What asking for a reindex did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Started,
    /// One is running already.
    Running,
    /// This replica serves an index it cannot write (a read-only volume):
    /// the indexer job builds, the replicas switch by themselves.
    ReadOnly,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
