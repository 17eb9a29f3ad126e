//! Search analytics, private by design and never in a search's way.
//!
//! What is recorded: each search — the normalized query, the locale searched
//! and the one detected, how many results, the ids returned, lexical or
//! hybrid, the latency, the time — and each opened result (its search, the
//! article, its position). No IP address, no cookie, no user id: a search's
//! identifier is random and names that one search only.
//!
//! Reports count *settled* searches. A search box searches at every pause
//! in typing: it marks those searches `as_you_type`, and they are written
//! pending, to be counted when the box says one settled — Enter, a pause, a
//! result opened — whichever replica that beacon reaches (the store is
//! shared; see [`store`]). Searches from other clients (an API call, curl)
//! are settled when they are made. Pending searches never settled are
//! deleted after [`RECENT_TTL`].
//!
//! Recording is off the hot path: a search hands its event to a bounded
//! queue and returns; a writer thread writes batches, one transaction each.
//! When the store fails (down, full, slow, refusing), the writer keeps the
//! events — up to [`QUEUE`] in hand and [`QUEUE`] queued — and writes them
//! when it is back (writes are idempotent), reconnecting with backoff; past
//! that bound, events are dropped and counted. A search never waits for the
//! store, and a failing store costs analytics, never a search.

pub mod postgres;
mod recent;
pub mod reports;
pub mod sqlite;
pub mod store;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use recent::{Check, RecentSearches};
use store::{Event, Location, Report, ReportFilter, ReportKind, Store, StoreError};

/// Events waiting for the writer at most (and, again, events the writer
/// holds while the store is failing); more are dropped and counted.
pub const QUEUE: usize = 10_000;
/// Events per transaction at most.
const BATCH: usize = 1_000;
/// How long the writer gathers events after the first before writing them
/// (unless a batch fills first): one transaction for many searches, the
/// per-transaction cost (a commit, a round trip) paid a few times a second,
/// not once per search.
const GATHER: Duration = Duration::from_millis(100);
/// How long a beacon about an unknown search waits for it to reach the
/// store (another replica answered it within the gathering window) before
/// it is refused as unknown.
const LOOKUP_RETRIES: [Duration; 2] = [Duration::from_millis(250), Duration::from_millis(500)];
/// How long a search can be settled or clicked after it was made; pending
/// searches older than this are deleted.
pub const RECENT_TTL: Duration = Duration::from_secs(30 * 60);
/// How long `start` waits for the store's first answer (to say at start
/// whether analytics can write).
const FIRST_OPEN_WAIT: Duration = Duration::from_secs(3);
/// Reconnection backoff: from the first, doubling up to the last.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(250), Duration::from_secs(30));

/// How analytics is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsConfig {
    /// Where events are written: a folder (SQLite) or a database URL.
    pub location: Location,
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

/// A search answered.
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
    /// The returned article ids, one per line (ids hold no line break).
    pub returned: String,
    /// `lexical` or `hybrid`.
    pub mode: &'static str,
    pub took_ms: f64,
    /// Counted now (an API client's search), or pending until the search
    /// box says it settled.
    pub settled: bool,
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

/// A search-box beacon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Beacon {
    /// An as-you-type search is the reader's.
    Settle { search_id: String },
    /// A result was opened (which settles its search too).
    Click {
        search_id: String,
        article: String,
        position: u32,
    },
}

impl Beacon {
    fn search_id(&self) -> &str {
        match self {
            Beacon::Settle { search_id } | Beacon::Click { search_id, .. } => search_id,
        }
    }
}

/// How a beacon was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Checked against the search's results, and queued.
    Checked,
    /// Queued unchecked: this replica does not know the search and the
    /// store cannot be asked now (its writes are idempotent: a replay is
    /// not counted twice).
    Unchecked,
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct AnalyticsStats {
    /// Searches written (settled or pending).
    pub searches_recorded: AtomicU64,
    pub settles_recorded: AtomicU64,
    pub clicks_recorded: AtomicU64,
    /// Events dropped: the queue full, or the store failing past the bound.
    pub dropped: AtomicU64,
    pub write_errors: AtomicU64,
    pub events_rejected: AtomicU64,
    /// Events handed over and not yet written (or dropped).
    pub pending: AtomicU64,
}

/// Whether the store can be written, and if not, why.
#[derive(Debug, Default)]
struct Health {
    available: AtomicBool,
    problem: Mutex<Option<String>>,
}

impl Health {
    fn up(&self) {
        self.available.store(true, Ordering::Release);
        self.problem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    fn down(&self, problem: String) {
        self.available.store(false, Ordering::Release);
        *self.problem.lock().unwrap_or_else(|e| e.into_inner()) = Some(problem);
    }
}

/// The analytics of one server: the queue, the writer, recent searches.
pub struct Analytics {
    config: AnalyticsConfig,
    sender: SyncSender<Message>,
    writer: Mutex<Option<JoinHandle<()>>>,
    recent: RecentSearches,
    pub stats: Arc<AnalyticsStats>,
    health: Arc<Health>,
    /// A connection of its own for beacons' lookups and reports (the
    /// writer's is busy writing).
    reader: Mutex<Option<Box<dyn Store>>>,
    /// Tells the writer to write what it holds and stop.
    stop: Arc<AtomicBool>,
}

enum Message {
    Event(Event),
    /// Write what is held and stop.
    Stop,
}

impl Analytics {
    /// Starts the writer over `config`'s store. Never fails: a store that
    /// cannot be opened now is retried by the writer, and said so (see
    /// [`Analytics::problem`], which tells after at most a few seconds
    /// whether the first attempt failed).
    pub fn start(config: AnalyticsConfig) -> Analytics {
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let stats = Arc::new(AnalyticsStats::default());
        let health = Arc::new(Health::default());
        let (opened, first) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            stop: stop.clone(),
            location: config.location.clone(),
            retention: Duration::from_secs(u64::from(config.retention_days) * 86_400),
            store: None,
            held: VecDeque::new(),
            stats: stats.clone(),
            health: health.clone(),
            backoff: BACKOFF.0,
            next_attempt: Instant::now(),
            last_purge: None,
            opened: Some(opened),
        };
        let handle = std::thread::Builder::new()
            .name("kensaku-analytics".into())
            .spawn(move || writer.run(receiver))
            .expect("spawn the analytics writer");
        // The writer's first open: so that `problem()` says at once whether
        // analytics can write where it was told to.
        let _ = first.recv_timeout(FIRST_OPEN_WAIT);
        Analytics {
            config,
            sender,
            writer: Mutex::new(Some(handle)),
            recent: RecentSearches::default(),
            stats,
            health,
            reader: Mutex::new(None),
            stop,
        }
    }

    pub fn config(&self) -> &AnalyticsConfig {
        &self.config
    }

    /// A new search id: 128 bits, hex — the time in seconds (32 bits), so
    /// that the stores' indexes take new ids at their end instead of on
    /// random pages (which wrote a page of index per search), then 96 bits
    /// no one can guess: a counter hashed with a random key of the process
    /// (BLAKE3 keyed; no system call per search, and no id tells another).
    pub fn new_id() -> String {
        static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let key = KEY.get_or_init(|| {
            let mut key = [0u8; 32];
            if getrandom::fill(&mut key).is_err() {
                // No entropy source: ids still need to be unique in practice.
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                key = *blake3::hash(&nanos.to_le_bytes()).as_bytes();
            }
            key
        });
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let hash = blake3::keyed_hash(key, &n.to_le_bytes());
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&(now() as u32).to_be_bytes());
        bytes[4..].copy_from_slice(&hash.as_bytes()[..12]);
        // Hex by hand: `format!`'s machinery cost more than the hash.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hex: Vec<u8> = bytes
            .iter()
            .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
            .collect();
        String::from_utf8(hex).expect("ASCII hex digits")
    }

    /// A search was answered: written now, counted now if settled.
    pub fn searched(&self, record: SearchRecord) {
        self.recent
            .remember(&record.id, record.returned.clone(), record.settled);
        self.send(Event::Search(Box::new(record)));
    }

    /// Takes a beacon this replica can check by itself: one about a search
    /// it answered recently. `None` when it does not know the search (then
    /// [`Analytics::take_checked_by_store`], off the request threads).
    pub fn take_locally(&self, beacon: &Beacon) -> Option<Result<Accepted, EventError>> {
        let check = match beacon {
            Beacon::Settle { search_id } => self.recent.settle(search_id),
            Beacon::Click {
                search_id,
                article,
                position,
            } => self.recent.click(search_id, article, *position),
        };
        match check {
            Check::Unknown => None,
            Check::Refused(error) => Some(Err(error)),
            Check::Accepted { settles } => {
                self.queue_beacon(beacon, settles);
                Some(Ok(Accepted::Checked))
            }
        }
    }

    /// Takes a beacon about a search another replica (or this one before a
    /// restart) answered, checking it against the store; blocks on it.
    pub fn take_checked_by_store(&self, beacon: &Beacon) -> Result<Accepted, EventError> {
        let search_id = beacon.search_id();
        let mut recorded = Ok(None);
        for wait in std::iter::once(Duration::ZERO).chain(LOOKUP_RETRIES) {
            std::thread::sleep(wait);
            recorded = self.with_reader(|store| store.lookup(search_id));
            if !matches!(recorded, Ok(None)) {
                break;
            }
        }
        let recorded = match recorded {
            Ok(recorded) => recorded,
            Err(error) => {
                // The store cannot be asked: take the beacon unchecked.
                tracing::debug!(error = %error, "analytics: a beacon is taken unchecked");
                self.queue_beacon(beacon, true);
                return Ok(Accepted::Unchecked);
            }
        };
        let Some(recorded) = recorded else {
            return Err(EventError::UnknownSearch(search_id.to_string()));
        };
        self.recent.remember_recorded(
            search_id,
            recorded.returned.join("\n"),
            recorded.settled,
            recorded.clicked,
        );
        match self.take_locally(beacon) {
            Some(result) => result,
            None => Err(EventError::UnknownSearch(search_id.to_string())),
        }
    }

    /// Queues a beacon's events: a click, and a settle unless the search is
    /// known settled.
    fn queue_beacon(&self, beacon: &Beacon, settles: bool) {
        let at = now();
        if settles {
            self.send(Event::Settle {
                search_id: beacon.search_id().to_string(),
                at,
            });
        }
        if let Beacon::Click {
            search_id,
            article,
            position,
        } = beacon
        {
            self.send(Event::Click(ClickRecord {
                search_id: search_id.clone(),
                article: article.clone(),
                position: *position,
                at,
            }));
        }
    }

    /// Hands an event to the writer, or drops and counts it.
    fn send(&self, event: Event) {
        match self.sender.try_send(Message::Event(event)) {
            Ok(()) => {
                self.stats.pending.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Whether the store is written to now.
    pub fn is_available(&self) -> bool {
        self.health.available.load(Ordering::Acquire)
    }

    /// Why the store cannot be written, while it cannot.
    pub fn problem(&self) -> Option<String> {
        self.health
            .problem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs `f` on the reading connection, opening it first if needed. A
    /// connection that fails (the database restarted since it was opened)
    /// is replaced, and `f` tried once more on the new one.
    fn with_reader<T>(
        &self,
        mut f: impl FnMut(&mut dyn Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut reader = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = reader.as_deref_mut()
            && let Ok(value) = f(store)
        {
            return Ok(value);
        }
        *reader = None;
        let mut store = self.config.location.open()?;
        let result = f(store.as_mut());
        if result.is_ok() {
            *reader = Some(store);
        }
        result
    }

    /// A report, read from the store.
    pub fn report(&self, kind: ReportKind, filter: &ReportFilter) -> Result<Report, StoreError> {
        self.with_reader(|store| store.report(kind, filter))
    }

    /// Writes what is queued and held (as far as the store takes it) and
    /// stops the writer (at shutdown).
    pub fn shutdown(&self) {
        let Some(handle) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        self.stop.store(true, Ordering::Release);
        // Wakes the writer if it waits for events (a full queue needs no
        // waking: the writer is not waiting on it).
        let _ = self.sender.try_send(Message::Stop);
        let _ = handle.join();
    }
}

impl Drop for Analytics {
    fn drop(&mut self) {
        self.shutdown();
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
/// throughput (docs/benchmarks-history.md); now it lags instead, and a full queue drops
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
    location: Location,
    retention: Duration,
    store: Option<Box<dyn Store>>,
    /// Events taken from the queue and not yet written (at most [`QUEUE`]).
    held: VecDeque<Event>,
    stats: Arc<AnalyticsStats>,
    health: Arc<Health>,
    backoff: Duration,
    /// When the store may next be tried, after a failure.
    next_attempt: Instant,
    last_purge: Option<Instant>,
    /// Told the outcome of the first attempt to open the store.
    opened: Option<std::sync::mpsc::Sender<()>>,
    stop: Arc<AtomicBool>,
}

impl Writer {
    fn run(mut self, receiver: Receiver<Message>) {
        yield_to_searches();
        self.ensure_open();
        loop {
            let stopping = if self.held.len() < QUEUE {
                self.receive(&receiver)
            } else {
                // Holding all it may while the store fails: the queue fills
                // meanwhile, and past it events are dropped and counted.
                let wait = self.next_attempt.saturating_duration_since(Instant::now());
                std::thread::sleep(
                    wait.clamp(Duration::from_millis(10), Duration::from_millis(500)),
                );
                false
            };
            if stopping || self.stop.load(Ordering::Acquire) {
                // A last try, even while backing off; what it cannot write
                // is lost, and counted.
                self.next_attempt = Instant::now();
                self.flush();
                let mut lost = self.held.len() as u64;
                self.held.clear();
                while let Ok(Message::Event(_)) = receiver.try_recv() {
                    lost += 1;
                }
                self.count_dropped(lost);
                return;
            }
            self.flush();
            if self.store.is_some()
                && self
                    .last_purge
                    .is_none_or(|t| t.elapsed() > Duration::from_secs(3600))
            {
                self.last_purge = Some(Instant::now());
                self.purge();
            }
        }
    }

    /// Takes what is queued (waiting a little for the first); returns
    /// whether the queue says to stop.
    fn receive(&mut self, receiver: &Receiver<Message>) -> bool {
        let wait = if self.failing() {
            self.next_attempt
                .saturating_duration_since(Instant::now())
                .clamp(Duration::from_millis(10), Duration::from_millis(500))
        } else {
            Duration::from_millis(500)
        };
        let first = match receiver.recv_timeout(wait) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => return false,
            Err(RecvTimeoutError::Disconnected) => return true,
        };
        // Gathers by sleeping, then taking what came: a thread blocked on
        // the queue would be woken (a system call and a context switch) by
        // every search.
        if matches!(first, Message::Event(_)) {
            std::thread::sleep(GATHER);
        }
        let mut message = first;
        loop {
            match message {
                Message::Stop => return true,
                Message::Event(event) => self.held.push_back(event),
            }
            if self.held.len() >= QUEUE {
                return false;
            }
            message = match receiver.try_recv() {
                Ok(message) => message,
                Err(_) => return false,
            };
        }
    }

    fn failing(&self) -> bool {
        self.store.is_none()
    }

    /// Opens the store if it is not, unless backing off.
    fn ensure_open(&mut self) -> bool {
        if self.store.is_some() {
            return true;
        }
        if Instant::now() < self.next_attempt {
            return false;
        }
        let opened = match self.location.open() {
            Err(e) if e.is_corrupt() => {
                if let Location::Sqlite(dir) = &self.location {
                    set_aside(dir);
                }
                self.location.open()
            }
            other => other,
        };
        let result = match opened {
            Ok(store) => {
                self.store = Some(store);
                self.recovered();
                true
            }
            Err(error) => {
                self.stats.write_errors.fetch_add(1, Ordering::Relaxed);
                self.failed(&error);
                false
            }
        };
        if let Some(opened) = self.opened.take() {
            let _ = opened.send(());
        }
        result
    }

    /// Writes what is held, a batch at a time.
    fn flush(&mut self) {
        while !self.held.is_empty() && self.ensure_open() {
            let n = self.held.len().min(BATCH);
            // Written from where they are held (not copied): they stay held
            // until the store took them.
            let batch = &self.held.make_contiguous()[..n];
            let store = self.store.as_mut().expect("opened above");
            match store.write(batch) {
                Ok(()) => {
                    self.count_written(self.held.range(..n));
                    self.held.drain(..n);
                    self.recovered();
                }
                Err(error) => {
                    self.stats.write_errors.fetch_add(1, Ordering::Relaxed);
                    if let (true, Location::Sqlite(dir)) = (error.is_corrupt(), &self.location) {
                        set_aside(dir);
                    }
                    // Reopened next time: the disk may have room again, the
                    // database may be back.
                    self.store = None;
                    self.failed(&error);
                }
            }
        }
    }

    fn count_written<'a>(&self, batch: impl ExactSizeIterator<Item = &'a Event>) {
        let written = batch.len() as u64;
        let (mut searches, mut settles, mut clicks) = (0, 0, 0);
        for event in batch {
            match event {
                Event::Search(_) => searches += 1,
                Event::Settle { .. } => settles += 1,
                Event::Click(_) => clicks += 1,
            }
        }
        let stats = &self.stats;
        stats
            .searches_recorded
            .fetch_add(searches, Ordering::Relaxed);
        stats.settles_recorded.fetch_add(settles, Ordering::Relaxed);
        stats.clicks_recorded.fetch_add(clicks, Ordering::Relaxed);
        stats.pending.fetch_sub(written, Ordering::Relaxed);
    }

    fn count_dropped(&self, n: u64) {
        self.stats.dropped.fetch_add(n, Ordering::Relaxed);
        self.stats.pending.fetch_sub(n, Ordering::Relaxed);
    }

    fn recovered(&mut self) {
        if !self.health.available.load(Ordering::Acquire) && self.opened.is_none() {
            tracing::info!(store = %self.location.describe(), "analytics: writing again");
        }
        self.backoff = BACKOFF.0;
        self.health.up();
    }

    fn failed(&mut self, error: &StoreError) {
        if self.health.available.load(Ordering::Acquire) || self.opened.is_some() {
            tracing::error!(error = %error, held = self.held.len(),
                "analytics: cannot write; events are held and written when the store is back (searching goes on)");
        }
        self.health.down(error.to_string());
        self.next_attempt = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(BACKOFF.1);
    }

    fn purge(&mut self) {
        let now = now();
        let before = now - self.retention.as_secs() as i64;
        let pending_before = now - RECENT_TTL.as_secs() as i64;
        if let Some(store) = self.store.as_mut()
            && let Err(e) = store.purge(before, pending_before)
        {
            tracing::warn!(error = %e, "analytics: cannot delete old records");
        }
    }
}

/// Renames a corrupt SQLite database aside (with its WAL files) so a new
/// one starts.
fn set_aside(dir: &std::path::Path) {
    let stamp = now();
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("{}{suffix}", sqlite::FILE_NAME));
        if path.exists() {
            let aside = dir.join(format!("{}.corrupt-{stamp}{suffix}", sqlite::FILE_NAME));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ids_are_hex_and_start_with_the_time() {
        let before = now() as u32;
        let (a, b) = (Analytics::new_id(), Analytics::new_id());
        let after = now() as u32;
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert_eq!(id.len(), 32, "{id}");
            assert!(
                id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
                "{id}"
            );
            let seconds = u32::from_str_radix(&id[..8], 16).unwrap();
            assert!((before..=after).contains(&seconds), "{id}");
        }
    }
}
