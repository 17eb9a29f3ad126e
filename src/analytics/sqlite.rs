//! The embedded store: SQLite (bundled), one file in the analytics folder,
//! schema versioned by `PRAGMA user_version`. For one process: WAL lets
//! reports read while the writer writes, but only one process writes.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};

use super::reports::{self, Cell, Param, Sql};
use super::store::{Event, Recorded, Report, ReportFilter, ReportKind, Store, StoreError, day};

/// File name of the database in the analytics folder.
pub const FILE_NAME: &str = "analytics.sqlite3";

/// Page size of a new database. A search's row is about 0.7 KB and the
/// writer appends a few hundred per transaction: with 16 KB pages instead of
/// SQLite's 4 KB, a batch is written in a quarter of the WAL frames and
/// checkpoint copies (each a system call or two), and the writer's time per
/// search fell from 4.8 to 3.4–3.6 µs (`cargo bench --bench analytics`; 64 KB
/// pages did worse: a batch's pages outgrow the page cache).
const PAGE_SIZE: i64 = 16_384;

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
    // 2: pending searches (written when answered, counted once settled) and
    // settles that arrive before their search (a row with no query yet):
    // every column but the id may be null, `settled` says whether it counts.
    // The query index goes: reports group by query over a day range.
    "CREATE TABLE searches_v2 (
        id TEXT PRIMARY KEY,
        at INTEGER,
        day TEXT,
        query TEXT,
        locale TEXT,
        detected_locale TEXT,
        total INTEGER,
        lexical_total INTEGER,
        returned TEXT,
        mode TEXT,
        took_ms REAL,
        settled INTEGER NOT NULL
    );
    INSERT INTO searches_v2 SELECT *, 1 FROM searches;
    DROP TABLE searches;
    ALTER TABLE searches_v2 RENAME TO searches;
    CREATE INDEX searches_day ON searches(day);",
];

/// Writes a search; fills in a placeholder a settle left (the search's
/// columns, settled if either was), and leaves a written search as it is.
const INSERT_SEARCH: &str = "INSERT INTO searches
    (id, at, day, query, locale, detected_locale, total, lexical_total, returned, mode, took_ms, settled)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
    ON CONFLICT (id) DO UPDATE SET at = excluded.at, day = excluded.day, query = excluded.query,
        locale = excluded.locale, detected_locale = excluded.detected_locale,
        total = excluded.total, lexical_total = excluded.lexical_total,
        returned = excluded.returned, mode = excluded.mode, took_ms = excluded.took_ms,
        settled = (searches.settled OR excluded.settled)
    WHERE searches.query IS NULL";

/// Settles a search, or leaves a placeholder for it.
const SETTLE: &str = "INSERT INTO searches (id, at, settled) VALUES (?1, ?2, 1)
    ON CONFLICT (id) DO UPDATE SET settled = 1";

const INSERT_CLICK: &str = "INSERT INTO clicks (search_id, article, position, at)
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";

/// An open database.
pub struct SqliteStore {
    connection: Connection,
    path: String,
}

impl SqliteStore {
    /// Opens (or creates) the database in `dir` and migrates its schema.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
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
        // Before WAL, which fixes it; a database that exists keeps its own.
        connection
            .pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(error)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(error)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(error)?;
        // A writer appends and reports scan: a small page cache does (the
        // default is 2 MB per connection).
        connection
            .pragma_update(None, "cache_size", -512)
            .map_err(error)?;
        let mut store = SqliteStore {
            connection,
            path: shown,
        };
        store.migrate().map_err(|e| store.error(e))?;
        Ok(store)
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
            path: self.path.clone(),
            source,
        }
    }

    fn write_batch(&mut self, events: &[Event]) -> rusqlite::Result<()> {
        let tx = self.connection.transaction()?;
        {
            let mut search = tx.prepare_cached(INSERT_SEARCH)?;
            let mut settle = tx.prepare_cached(SETTLE)?;
            let mut click = tx.prepare_cached(INSERT_CLICK)?;
            for event in events {
                match event {
                    Event::Search(s) => {
                        search.execute(params![
                            s.id,
                            s.at,
                            day(s.at),
                            s.query,
                            s.locale,
                            s.detected_locale,
                            s.total as i64,
                            s.lexical_total as i64,
                            s.returned,
                            s.mode,
                            s.took_ms,
                            s.settled,
                        ])?;
                    }
                    Event::Settle { search_id, at } => {
                        settle.execute(params![search_id, at])?;
                    }
                    Event::Click(c) => {
                        click.execute(params![c.search_id, c.article, c.position, c.at])?;
                    }
                }
            }
        }
        tx.commit()
    }

    fn read(&mut self, search_id: &str) -> rusqlite::Result<Option<Recorded>> {
        let row: Option<(Option<String>, bool)> = self
            .connection
            .query_row(
                "SELECT returned, settled FROM searches WHERE id = ?1 AND query IS NOT NULL",
                [search_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((returned, settled)) = row else {
            return Ok(None);
        };
        let mut statement = self
            .connection
            .prepare_cached("SELECT article FROM clicks WHERE search_id = ?1")?;
        let clicked = statement
            .query_map([search_id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(Some(Recorded {
            returned: super::store::read_returned(returned.as_deref().unwrap_or("")),
            settled,
            clicked,
        }))
    }
}

impl Store for SqliteStore {
    fn write(&mut self, events: &[Event]) -> Result<(), StoreError> {
        self.write_batch(events).map_err(|e| self.error(e))
    }

    fn lookup(&mut self, search_id: &str) -> Result<Option<Recorded>, StoreError> {
        self.read(search_id).map_err(|e| self.error(e))
    }

    fn purge(&mut self, before: i64, pending_before: i64) -> Result<(), StoreError> {
        let purged = self
            .connection
            .execute(
                "DELETE FROM searches WHERE at < ?1 OR (at < ?2 AND (query IS NULL OR NOT settled))",
                [before, pending_before],
            )
            .and_then(|_| {
                self.connection
                    .execute("DELETE FROM clicks WHERE at < ?1", [before])
            });
        purged.map(|_| ()).map_err(|e| self.error(e))
    }

    fn report(&mut self, kind: ReportKind, filter: &ReportFilter) -> Result<Report, StoreError> {
        reports::run(self, kind, filter)
    }
}

impl Sql for SqliteStore {
    fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Vec<Cell>>, StoreError> {
        // The reports' `$n` parameters are SQLite's `?n`.
        let sql = sql.replace('$', "?");
        let values: Vec<rusqlite::types::Value> = params
            .iter()
            .map(|p| match p {
                Param::Text(Some(t)) => rusqlite::types::Value::Text(t.clone()),
                Param::Text(None) => rusqlite::types::Value::Null,
                Param::Int(n) => rusqlite::types::Value::Integer(*n),
            })
            .collect();
        let run = || -> rusqlite::Result<Vec<Vec<Cell>>> {
            let mut statement = self.connection.prepare_cached(&sql)?;
            let columns = statement.column_count();
            let rows = statement.query_map(rusqlite::params_from_iter(values.iter()), |row| {
                (0..columns)
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            ValueRef::Null => Cell::Null,
                            ValueRef::Integer(n) => Cell::Int(n),
                            ValueRef::Real(x) => Cell::Real(x),
                            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into()),
                            ValueRef::Blob(_) => Cell::Null,
                        })
                    })
                    .collect()
            })?;
            rows.collect()
        };
        run().map_err(|e| self.error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::SearchRecord;

    fn search(id: &str) -> Event {
        Event::Search(Box::new(SearchRecord {
            id: id.to_string(),
            at: 1_796_424_475,
            query: "refund".into(),
            locale: Some("en-us".into()),
            detected_locale: None,
            total: 2,
            lexical_total: 2,
            returned: "a.md\nb.md".into(),
            mode: "lexical",
            took_ms: 0.5,
            settled: true,
        }))
    }

    fn page_size(dir: &Path) -> i64 {
        Connection::open(dir.join(FILE_NAME))
            .unwrap()
            .pragma_query_value(None, "page_size", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_new_database_has_large_pages_and_an_old_one_keeps_its_own() {
        let tmp = tempfile::tempdir().unwrap();
        let new = tmp.path().join("new");
        let mut store = SqliteStore::open(&new).unwrap();
        store.write(&[search("01")]).unwrap();
        assert_eq!(page_size(&new), PAGE_SIZE);

        // A database written before: SQLite's default pages, in WAL.
        let old = tmp.path().join("old");
        std::fs::create_dir_all(&old).unwrap();
        let connection = Connection::open(old.join(FILE_NAME)).unwrap();
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .unwrap();
        connection.execute_batch(MIGRATIONS[0]).unwrap();
        connection.pragma_update(None, "user_version", 1).unwrap();
        drop(connection);
        let mut store = SqliteStore::open(&old).unwrap();
        store.write(&[search("02")]).unwrap();
        assert_eq!(page_size(&old), 4096);
        let recorded = store.lookup("02").unwrap().expect("written");
        assert_eq!(recorded.returned, ["a.md", "b.md"]);
    }
}
