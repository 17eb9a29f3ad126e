//! Where analytics is kept: one [`Store`] trait, two backends — SQLite in a
//! folder (one process, the embedded default) and PostgreSQL (many
//! replicas, one database) — and the report types they both answer with.
//!
//! Every write is idempotent, so that a batch may be written again after a
//! failure that left it unknown whether it committed: a search is keyed by
//! its random id, a click by (search, article), and a settle is a flag set
//! (an upsert that also works when it reaches the store before its search).

use std::path::PathBuf;

use serde::Serialize;

use super::{ClickRecord, SearchRecord};

/// What analytics writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A search answered: settled (counted), or pending until a settle or a
    /// click arrives — at any replica. (Boxed: the queue's slots are the
    /// size of its largest event.)
    Search(Box<SearchRecord>),
    /// A pending search settled (Enter, a pause in typing, a result opened).
    Settle { search_id: String, at: i64 },
    /// A result opened.
    Click(ClickRecord),
}

/// What a beacon needs to know of a search to check it: its results,
/// whether it settled and what was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub returned: Vec<String>,
    pub settled: bool,
    pub clicked: Vec<String>,
}

/// A place analytics is written to and reported from.
///
/// Invariants every backend keeps (tests feed both the same events):
/// writing a batch twice writes it once; a settle or click may be written
/// before the search it names and still counts once the search arrives;
/// reports count settled searches only, and read the same rows from either
/// backend as the same JSON.
pub trait Store: Send {
    /// Writes a batch in one transaction.
    fn write(&mut self, events: &[Event]) -> Result<(), StoreError>;
    /// The search `search_id` as stored, if it is.
    fn lookup(&mut self, search_id: &str) -> Result<Option<Recorded>, StoreError>;
    /// Deletes what is older than `before`, and searches still pending (or
    /// settles whose search never came) older than `pending_before` (unix
    /// seconds).
    fn purge(&mut self, before: i64, pending_before: i64) -> Result<(), StoreError>;
    /// Runs a report.
    fn report(&mut self, kind: ReportKind, filter: &ReportFilter) -> Result<Report, StoreError>;
}

/// Where the store is, as configured.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// `--analytics-dir`: an SQLite database in this folder.
    Sqlite(PathBuf),
    /// `--analytics-url`: a PostgreSQL database (`postgres://…`).
    Postgres(String),
}

impl Location {
    /// Opens (and migrates) the store.
    pub fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        match self {
            Location::Sqlite(dir) => Ok(Box::new(super::sqlite::SqliteStore::open(dir)?)),
            Location::Postgres(url) => Ok(Box::new(super::postgres::PostgresStore::connect(url)?)),
        }
    }

    /// Where it is, for messages: never the password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(dir) => dir.join(super::sqlite::FILE_NAME).display().to_string(),
            Location::Postgres(url) => super::postgres::redacted(url),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}: cannot create the analytics folder: {1}")]
    Folder(String, std::io::Error),
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{place}: {message}")]
    Postgres { place: String, message: String },
    #[error("invalid analytics URL: {0}")]
    InvalidUrl(String),
}

impl StoreError {
    /// Whether the SQLite file is not a usable database (to be set aside).
    pub fn is_corrupt(&self) -> bool {
        matches!(self, StoreError::Sqlite { source: rusqlite::Error::SqliteFailure(e, _), .. }
            if matches!(e.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase))
    }
}

/// A stored search's returned ids: one per line, or (rows of schema v1) a
/// JSON array.
pub fn read_returned(stored: &str) -> Vec<String> {
    if stored.starts_with('[') {
        serde_json::from_str(stored).unwrap_or_default()
    } else {
        stored
            .split('\n')
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// `YYYY-MM-DD` (UTC) of a unix time.
pub fn day(at: i64) -> String {
    // Civil from days (Howard Hinnant's algorithm): no calendar crate.
    let days = at.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    if !(0..=9999).contains(&y) {
        return format!("{y:04}-{m:02}-{d:02}");
    }
    // Digits by hand: once per search written, where `format!`'s machinery
    // cost more than the date's arithmetic.
    let digit = |n: i64| b'0' + (n % 10) as u8;
    let bytes = [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(d / 10),
        digit(d),
    ];
    String::from_utf8(bytes.to_vec()).expect("ASCII digits")
}

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    TopQueries,
    NoResults,
    NoClicks,
    ClickThrough,
    Daily,
}

/// Which searches a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub locale: Option<String>,
    /// First day (`YYYY-MM-DD`, inclusive).
    pub from: Option<String>,
    /// Last day (inclusive).
    pub to: Option<String>,
    pub limit: usize,
}

/// A query and how often it was searched.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QueryRow {
    /// The query, normalized (case-folded, spaces collapsed).
    pub query: String,
    /// Searches with this query.
    pub count: u64,
    /// Clicks on its results (top queries only).
    pub clicks: u64,
    /// Mean number of results.
    pub mean_total: f64,
}

/// Searches of one day in one locale.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayRow {
    pub day: String,
    pub locale: String,
    pub searches: u64,
    pub no_results: u64,
}

/// Clicks at one result position (1-based).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PositionRow {
    pub position: u32,
    pub clicks: u64,
    /// Clicks at this position per search with results.
    pub rate: f64,
}

/// How often readers open a result, and which.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClickThrough {
    pub searches_with_results: u64,
    pub searches_clicked: u64,
    pub click_through_rate: f64,
    /// Mean 1-based position of the results opened.
    pub mean_clicked_position: Option<f64>,
    pub by_position: Vec<PositionRow>,
}

/// A report's rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Report {
    Queries(Vec<QueryRow>),
    Daily(Vec<DayRow>),
    ClickThrough(ClickThrough),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_civil_dates() {
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(951_782_400), "2000-02-29");
        assert_eq!(day(1_796_169_600), "2026-12-02");
        assert_eq!(day(-86_400), "1969-12-31");
        assert_eq!(day(253_402_300_799), "9999-12-31");
        assert_eq!(day(253_402_300_800), "10000-01-01");
    }
}
