//! How far a build has got, reported to whoever shows it.
//!
//! The library counts; it never draws. The command line shows a bar on a
//! terminal ([`crate::cli`]), a server logs nothing, a test may count calls.

use std::fmt;

/// A step of a build that takes long enough to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Documents read, parsed, analyzed and indexed.
    Indexing,
    /// Texts sent to the embedding model.
    Embedding,
}

impl Phase {
    /// What the phase does, as a present participle (`indexing`).
    pub fn verb(self) -> &'static str {
        match self {
            Phase::Indexing => "indexing",
            Phase::Embedding => "embedding",
        }
    }

    /// What it counts (`documents`).
    pub fn unit(self) -> &'static str {
        match self {
            Phase::Indexing => "documents",
            Phase::Embedding => "texts",
        }
    }
}

/// Receives a build's progress; called from the build's worker threads.
///
/// Invariant: a phase is started before it advances, and finished once.
/// `total` is `None` when the count is not known in advance (a crawl finds
/// its pages as it goes).
pub trait Progress: Send + Sync + fmt::Debug {
    fn start(&self, phase: Phase, total: Option<u64>);
    fn advance(&self, phase: Phase, done: u64);
    fn finish(&self, phase: Phase);
}

/// Shows nothing (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: Phase, _: Option<u64>) {}
    fn advance(&self, _: Phase, _: u64) {}
    fn finish(&self, _: Phase) {}
}
