//! Search analytics, private by design and never in a search's way.
//!
//! What is recorded: each *settled* search — the normalized query, the
//! locale searched and the one detected, how many results, the ids
//! returned, lexical or hybrid, the latency, the time — and each opened
//! result (its search, the article, its position). No IP address, no
//! cookie, no user id: a search's identifier is random and names that one
//! search only.
//!
//! Settled, because a search box searches at every pause in typing: the box
//! marks those searches `as_you_type`, and they are held in memory until it
//! says one settled — Enter, a pause, a result opened — or they expire
//! unrecorded. Searches from other clients (an API call, curl) are settled
//! when they are made.
//!
//! Recording is off the hot path: a search hands its record to a bounded
//! queue and returns; a writer thread writes batches in one transaction
//! each. When the queue is full the record is dropped and counted — a
//! search never waits for the database. A database that cannot be written
//! (read-only, disk full, locked by another process) costs analytics, not
//! searches; a corrupt one is set aside and a new one started.

pub mod store;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lru::LruCache;
use serde::Serialize;

use store::{Report, ReportFilter, ReportKind, Store, StoreError};

/// Records waiting for the writer at most; more are dropped and counted.
pub const QUEUE: usize = 10_000;
/// Records per transaction at most.
const BATCH: usize = 1_000;
/// Searches remembered for settling and clicks.
const RECENT: usize = 50_000;
/// How long a search can be settled or clicked after it was made.
pub const RECENT_TTL: Duration = Duration::from_secs(30 * 60);

/// How analytics is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsConfig {
    /// The data folder (`--analytics-dir`).
    pub dir: PathBuf,
    /// Days kept; older records are deleted.
    pub retention_days: u32,
}

/// Where analytics is kept unless configured: `analytics` in the folder
/// that holds the index folder (`index` → `analytics`, `/data/index` →
/// `/data/analytics`), so that the server and `kensaku analytics` agree.
pub fn default_dir(index_dir: &std::path::Path) -> PathBuf {
    index_dir
        .parent()
        .map_or_else(|| PathBuf::from("analytics"), |p| p.join("analytics"))
}

/// A settled search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchRecord {
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    /// Normalized (case-folded, whitespace collapsed).
    pub query: String,
    pub locale: Option<String>,
    pub detected_locale: Option<String>,
    pub total: u64,
    /// Of `total`, the articles that match the query's words (with semantic
    /// matching, the rest were found by meaning alone).
    pub lexical_total: u64,
    pub returned: Vec<String>,
    /// `lexical` or `hybrid`.
    pub mode: &'static str,
    pub took_ms: f64,
}

/// A result opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClickRecord {
    pub search_id: String,
    pub article: String,
    /// 0-based position in the search's results.
    pub position: u32,
    pub at: i64,
}

enum Record {
    Search(SearchRecord),
    Click(ClickRecord),
}

/// Why an event was not accepted (the client's to fix: 4xx).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("no recent search {0:?} (unknown or expired)")]
    UnknownSearch(String),
    #[error("{article:?} at position {position} is not a result of that search")]
    NotAResult { article: String, position: u32 },
    #[error("already recorded")]
    Replayed,
}

/// A search remembered for settling and clicks.
struct Recent {
    record: SearchRecord,
    made: Instant,
    settled: bool,
    clicked: Vec<String>,
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct AnalyticsStats {
    pub searches_recorded: AtomicU64,
    pub clicks_recorded: AtomicU64,
    pub dropped: AtomicU64,
    pub write_errors: AtomicU64,
    pub events_rejected: AtomicU64,
}

/// The analytics of one server: the queue, the writer and recent searches.
pub struct Analytics {
    config: AnalyticsConfig,
    sender: Mutex<Option<SyncSender<Record>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    recent: Mutex<LruCache<String, Recent>>,
    pub stats: Arc<AnalyticsStats>,
    /// The writer's last error, for the admin reports.
    problem: Arc<Mutex<Option<String>>>,
}

impl Analytics {
    /// Starts the writer over `config.dir`. Never fails: a database that
    /// cannot be opened now is retried by the writer, and said so.
    pub fn start(config: AnalyticsConfig) -> Analytics {
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let stats = Arc::new(AnalyticsStats::default());
        let problem = Arc::new(Mutex::new(None));
        let writer = Writer {
            dir: config.dir.clone(),
            retention: Duration::from_secs(u64::from(config.retention_days) * 86_400),
            store: None,
            stats: stats.clone(),
            problem: problem.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("kensaku-analytics".into())
            .spawn(move || writer.run(receiver))
            .expect("spawn the analytics writer");
        Analytics {
            config,
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(handle)),
            recent: Mutex::new(LruCache::new(NonZeroUsize::new(RECENT).expect("non-zero"))),
            stats,
            problem,
        }
    }

    pub fn config(&self) -> &AnalyticsConfig {
        &self.config
    }

    /// A new random search id (128 bits, hex).
    pub fn new_id() -> String {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            // No entropy source: ids still need to be unique in practice.
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            bytes = blake3::hash(&nanos.to_le_bytes()).as_bytes()[..16]
                .try_into()
                .unwrap_or([0; 16]);
        }
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A search was answered: recorded now if settled, else remembered
    /// until it settles or expires.
    pub fn searched(&self, record: SearchRecord, settled: bool) {
        let mut recent = self.lock_recent();
        recent.put(
            record.id.clone(),
            Recent {
                record: record.clone(),
                made: Instant::now(),
                settled,
                clicked: Vec::new(),
            },
        );
        drop(recent);
        if settled {
            self.send(Record::Search(record));
        }
    }

    /// The box says an as-you-type search settled.
    pub fn settle(&self, search_id: &str) -> Result<(), EventError> {
        let record = {
            let mut recent = self.lock_recent();
            let entry = live(&mut recent, search_id)?;
            if entry.settled {
                return Err(EventError::Replayed);
            }
            entry.settled = true;
            entry.record.clone()
        };
        self.send(Record::Search(record));
        Ok(())
    }

    /// A reader opened `article` at `position` of a search's results (which
    /// settles the search too).
    pub fn clicked(&self, search_id: &str, article: &str, position: u32) -> Result<(), EventError> {
        let (settle, click) = {
            let mut recent = self.lock_recent();
            let entry = live(&mut recent, search_id)?;
            if entry
                .record
                .returned
                .get(position as usize)
                .map(String::as_str)
                != Some(article)
            {
                return Err(EventError::NotAResult {
                    article: article.to_string(),
                    position,
                });
            }
            if entry.clicked.iter().any(|a| a == article) {
                return Err(EventError::Replayed);
            }
            entry.clicked.push(article.to_string());
            let settle = (!entry.settled).then(|| entry.record.clone());
            entry.settled = true;
            let click = ClickRecord {
                search_id: search_id.to_string(),
                article: article.to_string(),
                position,
                at: now(),
            };
            (settle, click)
        };
        if let Some(record) = settle {
            self.send(Record::Search(record));
        }
        self.send(Record::Click(click));
        Ok(())
    }

    fn lock_recent(&self) -> std::sync::MutexGuard<'_, LruCache<String, Recent>> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a record to the writer, or drops and counts it.
    fn send(&self, record: Record) {
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        let Some(sender) = sender.as_ref() else {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match sender.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The writer's last error, if the database is failing.
    pub fn problem(&self) -> Option<String> {
        self.problem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A report, read from the database (a separate connection: reports
    /// never block the writer for long, WAL lets both go on).
    pub fn report(&self, kind: ReportKind, filter: &ReportFilter) -> Result<Report, StoreError> {
        Store::open(&self.config.dir)?.report(kind, filter)
    }

    /// Writes what is queued and stops the writer (at shutdown).
    pub fn shutdown(&self) {
        self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Analytics {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The recent search `id`, if not expired.
fn live<'a>(
    recent: &'a mut LruCache<String, Recent>,
    id: &str,
) -> Result<&'a mut Recent, EventError> {
    match recent.get_mut(id) {
        Some(entry) if entry.made.elapsed() <= RECENT_TTL => Ok(entry),
        _ => Err(EventError::UnknownSearch(id.to_string())),
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Lowers the calling thread's CPU priority (nice 10): on a saturated
/// machine the writer's inserts would otherwise take a fifth of the search
/// throughput (BENCHMARKS.md); now it lags instead, and a full queue drops
/// records, counted, as designed. Linux sets nice per thread.
fn yield_to_searches() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread's own id.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        if libc::setpriority(libc::PRIO_PROCESS, tid, 10) != 0 {
            tracing::debug!("analytics writer: could not lower its priority");
        }
    }
}

/// The writer thread's state.
struct Writer {
    dir: PathBuf,
    retention: Duration,
    store: Option<Store>,
    stats: Arc<AnalyticsStats>,
    problem: Arc<Mutex<Option<String>>>,
}

impl Writer {
    fn run(mut self, receiver: Receiver<Record>) {
        yield_to_searches();
        let mut last_purge: Option<Instant> = None;
        loop {
            let first = match receiver.recv_timeout(Duration::from_millis(500)) {
                Ok(record) => Some(record),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut batch: Vec<Record> = first.into_iter().collect();
            while batch.len() < BATCH {
                match receiver.try_recv() {
                    Ok(record) => batch.push(record),
                    Err(_) => break,
                }
            }
            if !batch.is_empty() {
                self.write(batch);
            }
            if last_purge.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                last_purge = Some(Instant::now());
                self.purge();
            }
        }
    }

    /// The open store, opening it (or setting a corrupt file aside) first.
    fn store(&mut self) -> Result<&mut Store, StoreError> {
        if self.store.is_none() {
            let store = match Store::open(&self.dir) {
                Err(e) if e.is_corrupt() => {
                    set_aside(&self.dir);
                    Store::open(&self.dir)?
                }
                other => other?,
            };
            self.store = Some(store);
        }
        Ok(self.store.as_mut().expect("opened above"))
    }

    fn write(&mut self, batch: Vec<Record>) {
        let mut searches = Vec::new();
        let mut clicks = Vec::new();
        for record in batch {
            match record {
                Record::Search(s) => searches.push(s),
                Record::Click(c) => clicks.push(c),
            }
        }
        let result = self
            .store()
            .and_then(|store| store.write(&searches, &clicks));
        match result {
            Ok(()) => {
                self.stats
                    .searches_recorded
                    .fetch_add(searches.len() as u64, Ordering::Relaxed);
                self.stats
                    .clicks_recorded
                    .fetch_add(clicks.len() as u64, Ordering::Relaxed);
                self.problem
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
            }
            Err(error) => {
                let lost = (searches.len() + clicks.len()) as u64;
                self.stats.write_errors.fetch_add(1, Ordering::Relaxed);
                self.stats.dropped.fetch_add(lost, Ordering::Relaxed);
                tracing::error!(error = %error, records = lost, "analytics: cannot write; records dropped (searching goes on)");
                if error.is_corrupt() {
                    self.store = None;
                    set_aside(&self.dir);
                } else {
                    // Reopened next time: the disk may have room again, the
                    // lock may be gone.
                    self.store = None;
                }
                *self.problem.lock().unwrap_or_else(|e| e.into_inner()) = Some(error.to_string());
            }
        }
    }

    fn purge(&mut self) {
        let before = now() - self.retention.as_secs() as i64;
        if let Err(e) = self.store().and_then(|store| store.purge(before)) {
            tracing::warn!(error = %e, "analytics: cannot delete old records");
        }
    }
}

/// Renames a corrupt database aside (with its WAL files) so a new one starts.
fn set_aside(dir: &Path) {
    let stamp = now();
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("{}{suffix}", store::FILE_NAME));
        if path.exists() {
            let aside = dir.join(format!("{}.corrupt-{stamp}{suffix}", store::FILE_NAME));
            match std::fs::rename(&path, &aside) {
                Ok(()) => {
                    tracing::error!(file = %aside.display(), "analytics: corrupt database set aside; a new one starts")
                }
                Err(e) => {
                    tracing::error!(error = %e, "analytics: cannot set the corrupt database aside")
                }
            }
        }
    }
}
