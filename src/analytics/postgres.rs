//! The store for many writers: PostgreSQL, which every replica behind a load
//! balancer writes to and reports from (`--analytics-url postgres://…`).
//!
//! Tables live in their own schema, `kensaku`, created and migrated at
//! start (versioned, under an advisory lock: replicas start together). A
//! batch is one transaction of three statements whatever its size (rows
//! passed as arrays and `UNNEST`ed): a round trip per batch, not per event;
//! the statements are prepared once per connection, and commits do not wait
//! for the disk (`synchronous_commit=off`).
//! TLS with `sslmode=require` (rustls, Mozilla's roots); the password is
//! never logged ([`redacted`]).

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls, Statement};

use super::reports::{self, Cell, Param, Sql};
use super::store::{Event, Recorded, Report, ReportFilter, ReportKind, Store, StoreError, day};

/// Each migration takes the schema from its index to the next version.
const MIGRATIONS: &[&str] = &[
    // 1: searches (pending until settled; a settle that arrives first leaves
    // a row with no query yet) and the clicks on their results. Text that
    // reports order by is compared bytewise (`C`), as SQLite does.
    r#"CREATE TABLE searches (
        id TEXT PRIMARY KEY,
        at BIGINT,
        day TEXT COLLATE "C",
        query TEXT COLLATE "C",
        locale TEXT COLLATE "C",
        detected_locale TEXT,
        total BIGINT,
        lexical_total BIGINT,
        returned TEXT,
        mode TEXT,
        took_ms DOUBLE PRECISION,
        settled BOOLEAN NOT NULL
    );
    CREATE INDEX searches_day ON searches(day);
    CREATE TABLE clicks (
        search_id TEXT NOT NULL,
        article TEXT NOT NULL,
        position INTEGER NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (search_id, article)
    );"#,
];

/// Any number that names kensaku's migration lock among advisory locks.
const MIGRATION_LOCK: i64 = 0x6b656e73616b75;

const INSERT_SEARCHES: &str = "INSERT INTO searches
    (id, at, day, query, locale, detected_locale, total, lexical_total, returned, mode, took_ms, settled)
    SELECT * FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::int8[], $8::int8[], $9::text[], $10::text[], $11::float8[], $12::bool[])
    ON CONFLICT (id) DO UPDATE SET at = excluded.at, day = excluded.day, query = excluded.query,
        locale = excluded.locale, detected_locale = excluded.detected_locale,
        total = excluded.total, lexical_total = excluded.lexical_total,
        returned = excluded.returned, mode = excluded.mode, took_ms = excluded.took_ms,
        settled = (searches.settled OR excluded.settled)
    WHERE searches.query IS NULL";

const SETTLE: &str = "INSERT INTO searches (id, at, settled)
    SELECT id, at, TRUE FROM UNNEST($1::text[], $2::int8[]) AS t(id, at)
    ON CONFLICT (id) DO UPDATE SET settled = TRUE";

const INSERT_CLICKS: &str = "INSERT INTO clicks (search_id, article, position, at)
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::int8[])
    ON CONFLICT DO NOTHING";

/// A connection to the analytics database.
pub struct PostgresStore {
    client: Client,
    place: String,
    /// The batch writes, parsed and planned once per connection.
    writes: Writes,
}

/// The statements a batch runs, prepared on the connection.
struct Writes {
    searches: Statement,
    settle: Statement,
    clicks: Statement,
}

impl Writes {
    fn prepare(client: &mut Client) -> Result<Writes, postgres::Error> {
        Ok(Writes {
            searches: client.prepare(INSERT_SEARCHES)?,
            settle: client.prepare(SETTLE)?,
            clicks: client.prepare(INSERT_CLICKS)?,
        })
    }
}

/// `url` without its password: `postgres://user@host:port/db`.
pub fn redacted(url: &str) -> String {
    let Ok(config) = Config::from_str(url) else {
        return "postgres://(an invalid URL)".to_string();
    };
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            postgres::config::Host::Tcp(h) => format!("{h}:{port}"),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/db`, libpq's
    /// keywords as query parameters: `sslmode=require`, `connect_timeout`)
    /// and migrates the schema.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let place = redacted(url);
        let mut config = Config::from_str(url).map_err(|e| {
            // The parser's message may quote the URL: keep it out.
            let _ = e;
            StoreError::InvalidUrl(place.clone())
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        // A slow database delays the analytics writer, never a search; a
        // statement is given up after this long.
        // Commits do not wait for the disk: a batch is visible to every
        // replica at once, and only a crash of the database itself (not a
        // stop, not a replica's) can lose the last fraction of a second of
        // events — for analytics, worth the writer's time it frees.
        // The URL's own `options` come first; kensaku's settings are
        // appended (the later `-c` of a name wins).
        let settings = "-c statement_timeout=5000 -c synchronous_commit=off";
        let options = match config.get_options() {
            Some(own) if !own.trim().is_empty() => format!("{own} {settings}"),
            _ => settings.to_string(),
        };
        config.options(&options);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        let error = |e: postgres::Error| StoreError::Postgres {
            place: place.clone(),
            message: e.to_string(),
        };
        let mut client = match config.get_ssl_mode() {
            postgres::config::SslMode::Require => {
                let roots = rustls::RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .map_err(|e| StoreError::Postgres {
                    place: place.clone(),
                    message: e.to_string(),
                })?
                .with_root_certificates(roots)
                .with_no_client_auth();
                config
                    .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
                    .map_err(error)?
            }
            // `prefer` (libpq's default) is plain here: TLS is asked for
            // with `sslmode=require`, and then the certificate is checked.
            _ => config.connect(NoTls).map_err(error)?,
        };
        migrate(&mut client)
            .and_then(|()| Writes::prepare(&mut client))
            .map(|writes| PostgresStore {
                client,
                place: place.clone(),
                writes,
            })
            .map_err(error)
    }

    fn error(&self, e: postgres::Error) -> StoreError {
        StoreError::Postgres {
            place: self.place.clone(),
            message: e.to_string(),
        }
    }

    fn write_batch(&mut self, events: &[Event]) -> Result<(), postgres::Error> {
        // One row per id and statement: an upsert may not touch a row twice.
        let mut searches = Columns::default();
        let mut settles: (Vec<&str>, Vec<i64>) = Default::default();
        let mut clicks: (Vec<&str>, Vec<&str>, Vec<i32>, Vec<i64>) = Default::default();
        let (mut searched, mut settled) = (HashSet::new(), HashSet::new());
        for event in events {
            match event {
                Event::Search(s) => {
                    if searched.insert(s.id.as_str()) {
                        searches.push(s);
                    }
                }
                Event::Settle { search_id, at } => {
                    if settled.insert(search_id.as_str()) {
                        settles.0.push(search_id);
                        settles.1.push(*at);
                    }
                }
                Event::Click(c) => {
                    clicks.0.push(&c.search_id);
                    clicks.1.push(&c.article);
                    clicks.2.push(c.position as i32);
                    clicks.3.push(c.at);
                }
            }
        }
        let mut tx = self.client.transaction()?;
        if !searches.id.is_empty() {
            tx.execute(&self.writes.searches, &searches.params())?;
        }
        if !settles.0.is_empty() {
            tx.execute(&self.writes.settle, &[&settles.0, &settles.1])?;
        }
        if !clicks.0.is_empty() {
            tx.execute(
                &self.writes.clicks,
                &[&clicks.0, &clicks.1, &clicks.2, &clicks.3],
            )?;
        }
        tx.commit()
    }

    fn read(&mut self, search_id: &str) -> Result<Option<Recorded>, postgres::Error> {
        let Some(row) = self.client.query_opt(
            "SELECT returned, settled FROM searches WHERE id = $1 AND query IS NOT NULL",
            &[&search_id],
        )?
        else {
            return Ok(None);
        };
        let returned: Option<String> = row.get(0);
        let settled: bool = row.get(1);
        let clicked = self
            .client
            .query(
                "SELECT article FROM clicks WHERE search_id = $1",
                &[&search_id],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(Some(Recorded {
            returned: super::store::read_returned(returned.as_deref().unwrap_or("")),
            settled,
            clicked,
        }))
    }
}

/// Takes the schema to the newest version (under an advisory lock: replicas
/// start together) and sets the session's search path to it.
fn migrate(client: &mut Client) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS kensaku;
         SET LOCAL search_path TO kensaku;
         CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);",
    )?;
    let version: i32 = tx
        .query_opt("SELECT version FROM schema_version", &[])?
        .map_or(0, |row| row.get(0));
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        tx.batch_execute(migration)?;
        tx.execute("DELETE FROM schema_version", &[])?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )?;
    }
    tx.commit()?;
    client.batch_execute("SET search_path TO kensaku")
}

/// A batch of searches, column by column (the arrays `UNNEST` reads).
#[derive(Default)]
struct Columns<'a> {
    id: Vec<&'a str>,
    at: Vec<i64>,
    day: Vec<String>,
    query: Vec<&'a str>,
    locale: Vec<Option<&'a str>>,
    detected_locale: Vec<Option<&'a str>>,
    total: Vec<i64>,
    lexical_total: Vec<i64>,
    returned: Vec<&'a str>,
    mode: Vec<&'a str>,
    took_ms: Vec<f64>,
    settled: Vec<bool>,
}

impl<'a> Columns<'a> {
    fn push(&mut self, s: &'a super::SearchRecord) {
        self.id.push(&s.id);
        self.at.push(s.at);
        self.day.push(day(s.at));
        self.query.push(&s.query);
        self.locale.push(s.locale.as_deref());
        self.detected_locale.push(s.detected_locale.as_deref());
        self.total.push(s.total as i64);
        self.lexical_total.push(s.lexical_total as i64);
        self.returned.push(&s.returned);
        self.mode.push(s.mode);
        self.took_ms.push(s.took_ms);
        self.settled.push(s.settled);
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 12] {
        [
            &self.id,
            &self.at,
            &self.day,
            &self.query,
            &self.locale,
            &self.detected_locale,
            &self.total,
            &self.lexical_total,
            &self.returned,
            &self.mode,
            &self.took_ms,
            &self.settled,
        ]
    }
}

impl Store for PostgresStore {
    fn write(&mut self, events: &[Event]) -> Result<(), StoreError> {
        self.write_batch(events).map_err(|e| self.error(e))
    }

    fn lookup(&mut self, search_id: &str) -> Result<Option<Recorded>, StoreError> {
        self.read(search_id).map_err(|e| self.error(e))
    }

    fn purge(&mut self, before: i64, pending_before: i64) -> Result<(), StoreError> {
        let purged = self
            .client
            .execute(
                "DELETE FROM searches WHERE at < $1 OR (at < $2 AND (query IS NULL OR NOT settled))",
                &[&before, &pending_before],
            )
            .and_then(|_| {
                self.client
                    .execute("DELETE FROM clicks WHERE at < $1", &[&before])
            });
        purged.map(|_| ()).map_err(|e| self.error(e))
    }

    fn report(&mut self, kind: ReportKind, filter: &ReportFilter) -> Result<Report, StoreError> {
        reports::run(self, kind, filter)
    }
}

impl Sql for PostgresStore {
    fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Vec<Cell>>, StoreError> {
        let texts: Vec<Option<&str>> = params
            .iter()
            .map(|p| match p {
                Param::Text(t) => t.as_deref(),
                Param::Int(_) => None,
            })
            .collect();
        let ints: Vec<i64> = params
            .iter()
            .map(|p| match p {
                Param::Int(n) => *n,
                Param::Text(_) => 0,
            })
            .collect();
        let bound: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .enumerate()
            .map(|(i, p)| match p {
                Param::Text(_) => &texts[i] as &(dyn ToSql + Sync),
                Param::Int(_) => &ints[i] as &(dyn ToSql + Sync),
            })
            .collect();
        let rows = self.client.query(sql, &bound).map_err(|e| self.error(e))?;
        Ok(rows
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let ty = row.columns()[i].type_();
                        if *ty == Type::INT8 {
                            row.get::<_, Option<i64>>(i).map_or(Cell::Null, Cell::Int)
                        } else if *ty == Type::INT4 {
                            row.get::<_, Option<i32>>(i)
                                .map_or(Cell::Null, |n| Cell::Int(n.into()))
                        } else if *ty == Type::FLOAT8 {
                            row.get::<_, Option<f64>>(i).map_or(Cell::Null, Cell::Real)
                        } else if *ty == Type::BOOL {
                            row.get::<_, Option<bool>>(i)
                                .map_or(Cell::Null, |b| Cell::Int(b.into()))
                        } else {
                            row.get::<_, Option<String>>(i)
                                .map_or(Cell::Null, Cell::Text)
                        }
                    })
                    .collect()
            })
            .collect())
    }
}
