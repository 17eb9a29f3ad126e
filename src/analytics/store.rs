//! The analytics database: SQLite (bundled), one file in the analytics
//! folder, schema versioned by `PRAGMA user_version`.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{ClickRecord, SearchRecord};

/// File name of the database in the analytics folder.
pub const FILE_NAME: &str = "analytics.sqlite3";

/// Each migration takes the schema from its index to the next version.
const MIGRATIONS: &[&str] = &[
    // 1: searches and the clicks on their results.
    "CREATE TABLE searches (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        day TEXT NOT NULL,
        query TEXT NOT NULL,
        locale TEXT,
        detected_locale TEXT,
        total INTEGER NOT NULL,
        lexical_total INTEGER NOT NULL,
        returned TEXT NOT NULL,
        mode TEXT NOT NULL,
        took_ms REAL NOT NULL
    );
    CREATE INDEX searches_day ON searches(day);
    CREATE INDEX searches_query ON searches(query);
    CREATE TABLE clicks (
        search_id TEXT NOT NULL,
        article TEXT NOT NULL,
        position INTEGER NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (search_id, article)
    );",
];

/// An open database.
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{0}: cannot create the analytics folder: {1}")]
    Folder(String, std::io::Error),
}

impl StoreError {
    /// Whether the file is not a usable database (to be set aside).
    pub fn is_corrupt(&self) -> bool {
        matches!(self, StoreError::Sqlite { source: rusqlite::Error::SqliteFailure(e, _), .. }
            if matches!(e.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase))
    }
}

impl Store {
    /// Opens (or creates) the database in `dir` and migrates its schema.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Folder(dir.display().to_string(), e))?;
        let path = dir.join(FILE_NAME);
        let shown = path.display().to_string();
        let error = |source| StoreError::Sqlite {
            path: shown.clone(),
            source,
        };
        let connection = Connection::open(&path).map_err(error)?;
        // Another process holding the file: wait a little, then give up
        // (the writer retries later; searches never wait on it).
        connection
            .busy_timeout(std::time::Duration::from_millis(200))
            .map_err(error)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(error)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(error)?;
        let mut store = Store { connection, path };
        store.migrate().map_err(error)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> rusqlite::Result<()> {
        let version: i64 = self
            .connection
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            let tx = self.connection.transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Writes a batch in one transaction.
    pub fn write(
        &mut self,
        searches: &[SearchRecord],
        clicks: &[ClickRecord],
    ) -> Result<(), StoreError> {
        let path = self.path.display().to_string();
        let error = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.connection.transaction().map_err(error)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO searches
                     (id, at, day, query, locale, detected_locale, total, lexical_total, returned, mode, took_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(error)?;
            for s in searches {
                insert
                    .execute(params![
                        s.id,
                        s.at,
                        day(s.at),
                        s.query,
                        s.locale,
                        s.detected_locale,
                        s.total as i64,
                        s.lexical_total as i64,
                        serde_json::to_string(&s.returned).unwrap_or_default(),
                        s.mode,
                        s.took_ms,
                    ])
                    .map_err(error)?;
            }
            let mut click = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO clicks (search_id, article, position, at)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(error)?;
            for c in clicks {
                click
                    .execute(params![c.search_id, c.article, c.position, c.at])
                    .map_err(error)?;
            }
        }
        tx.commit().map_err(error)
    }

    /// Deletes what is older than `before` (unix seconds).
    pub fn purge(&mut self, before: i64) -> Result<usize, StoreError> {
        let deleted = self
            .connection
            .execute("DELETE FROM searches WHERE at < ?1", [before])
            .and_then(|n| {
                self.connection
                    .execute("DELETE FROM clicks WHERE at < ?1", [before])
                    .map(|m| n + m)
            });
        deleted.map_err(|e| self.error(e))
    }

    /// Runs a report.
    pub fn report(&self, kind: ReportKind, filter: &ReportFilter) -> Result<Report, StoreError> {
        self.run_report(kind, filter).map_err(|e| self.error(e))
    }

    fn run_report(&self, kind: ReportKind, filter: &ReportFilter) -> rusqlite::Result<Report> {
        // The filter on the searches of table alias `a`.
        let filtered = |a: &str| {
            format!(
                "(?1 IS NULL OR {a}.locale = ?1) AND (?2 IS NULL OR {a}.day >= ?2) AND (?3 IS NULL OR {a}.day <= ?3)"
            )
        };
        let conditions = filtered("s");
        // The same filter on the searches a click subquery joins.
        let clicked = filtered("t");
        let args = params![filter.locale, filter.from, filter.to, filter.limit as i64];
        let queries = |sql: &str| -> rusqlite::Result<Vec<QueryRow>> {
            let mut statement = self.connection.prepare(sql)?;
            let rows = statement.query_map(args, |r| {
                Ok(QueryRow {
                    query: r.get(0)?,
                    count: count(r, 1)?,
                    clicks: count(r, 2)?,
                    mean_total: r.get(3)?,
                })
            })?;
            rows.collect()
        };
        Ok(match kind {
            ReportKind::TopQueries => Report::Queries(queries(&format!(
                "SELECT s.query, COUNT(*), (SELECT COUNT(*) FROM clicks c JOIN searches t ON t.id = c.search_id
                   WHERE t.query = s.query AND {clicked}), AVG(s.total)
                 FROM searches s WHERE {conditions}
                 GROUP BY s.query ORDER BY COUNT(*) DESC, s.query LIMIT ?4"
            ))?),
            // Nothing matched the query's words: with semantic matching a
            // search always shows something, but what meaning alone found is
            // what a writer should look at.
            ReportKind::NoResults => Report::Queries(queries(&format!(
                "SELECT s.query, COUNT(*), 0, AVG(s.total) FROM searches s
                 WHERE s.lexical_total = 0 AND {conditions}
                 GROUP BY s.query ORDER BY COUNT(*) DESC, s.query LIMIT ?4"
            ))?),
            ReportKind::NoClicks => Report::Queries(queries(&format!(
                "SELECT s.query, COUNT(*), 0, AVG(s.total) FROM searches s
                 WHERE s.total > 0 AND {conditions}
                   AND NOT EXISTS (SELECT 1 FROM clicks c JOIN searches t ON t.id = c.search_id
                                   WHERE t.query = s.query AND {clicked})
                 GROUP BY s.query ORDER BY COUNT(*) DESC, s.query LIMIT ?4"
            ))?),
            ReportKind::Daily => {
                let mut statement = self.connection.prepare(&format!(
                    // The latest days within the limit, oldest first.
                    "SELECT * FROM (
                       SELECT s.day, COALESCE(s.locale, ''), COUNT(*), SUM(s.lexical_total = 0)
                       FROM searches s WHERE {conditions}
                       GROUP BY s.day, s.locale ORDER BY s.day DESC, s.locale LIMIT ?4)
                     ORDER BY 1, 2"
                ))?;
                let rows = statement.query_map(args, |r| {
                    Ok(DayRow {
                        day: r.get(0)?,
                        locale: r.get(1)?,
                        searches: count(r, 2)?,
                        no_results: count(r, 3)?,
                    })
                })?;
                Report::Daily(rows.collect::<rusqlite::Result<_>>()?)
            }
            ReportKind::ClickThrough => {
                let args = params![filter.locale, filter.from, filter.to];
                Report::ClickThrough(self.click_through(&conditions, args)?)
            }
        })
    }

    fn click_through(
        &self,
        conditions: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> rusqlite::Result<ClickThrough> {
        let (with_results, clicked): (u64, u64) = self.connection.query_row(
            &format!(
                "SELECT COUNT(*), COALESCE(SUM(EXISTS (SELECT 1 FROM clicks c WHERE c.search_id = s.id)), 0)
                 FROM searches s WHERE s.total > 0 AND {conditions}"
            ),
            args,
            |r| Ok((count(r, 0)?, count(r, 1)?)),
        )?;
        let mean_position: Option<f64> = self
            .connection
            .query_row(
                &format!(
                    "SELECT AVG(c.position + 1) FROM clicks c JOIN searches s ON s.id = c.search_id
                     WHERE {conditions}"
                ),
                args,
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let mut statement = self.connection.prepare(&format!(
            "SELECT c.position + 1, COUNT(*) FROM clicks c JOIN searches s ON s.id = c.search_id
             WHERE {conditions} GROUP BY c.position ORDER BY c.position"
        ))?;
        let by_position = statement
            .query_map(args, |r| {
                let clicks = count(r, 1)?;
                Ok(PositionRow {
                    position: r.get(0)?,
                    clicks,
                    rate: clicks as f64 / with_results.max(1) as f64,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ClickThrough {
            searches_with_results: with_results,
            searches_clicked: clicked,
            click_through_rate: clicked as f64 / with_results.max(1) as f64,
            mean_clicked_position: mean_position,
            by_position,
        })
    }
}

/// A count column (SQLite integers are signed).
fn count(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(row.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
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
    format!("{:04}-{m:02}-{d:02}", if m <= 2 { y + 1 } else { y })
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
    }
}
