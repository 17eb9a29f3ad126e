//! The reports, written once for every backend: SQL both SQLite and
//! PostgreSQL read alike (`$n` parameters, explicit casts, `NULL`s ordered
//! by `COALESCE`, bytewise text order), run through [`Sql`] and decoded
//! here, so that the same rows give the same report, to the byte.

use super::store::{
    ClickThrough, DayRow, PositionRow, QueryRow, Report, ReportFilter, ReportKind, StoreError,
};

/// A parameter of a report query.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(Option<String>),
    Int(i64),
}

/// A cell of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// Runs a query; what each backend implements for the reports.
pub trait Sql {
    fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Vec<Cell>>, StoreError>;
}

impl Cell {
    fn count(&self) -> u64 {
        match self {
            Cell::Int(n) => (*n).max(0) as u64,
            Cell::Real(x) => x.max(0.0) as u64,
            _ => 0,
        }
    }

    fn real(&self) -> Option<f64> {
        match self {
            Cell::Real(x) => Some(*x),
            Cell::Int(n) => Some(*n as f64),
            _ => None,
        }
    }

    fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            _ => String::new(),
        }
    }
}

/// The searches a report counts, of table alias `a`: settled, not a
/// placeholder, in the filter's locale and days.
fn counted(a: &str) -> String {
    format!(
        "{a}.settled AND {a}.query IS NOT NULL \
         AND (CAST($1 AS TEXT) IS NULL OR {a}.locale = $1) \
         AND (CAST($2 AS TEXT) IS NULL OR {a}.day >= $2) \
         AND (CAST($3 AS TEXT) IS NULL OR {a}.day <= $3)"
    )
}

/// Each search's click count, to join.
const CLICKS_PER_SEARCH: &str =
    "(SELECT search_id, COUNT(*) AS n FROM clicks GROUP BY search_id) AS c ON c.search_id = s.id";

/// Runs report `kind` for `filter`.
pub fn run(
    sql: &mut dyn Sql,
    kind: ReportKind,
    filter: &ReportFilter,
) -> Result<Report, StoreError> {
    let filtered = [
        Param::Text(filter.locale.clone()),
        Param::Text(filter.from.clone()),
        Param::Text(filter.to.clone()),
    ];
    let limited = [
        filtered[0].clone(),
        filtered[1].clone(),
        filtered[2].clone(),
        Param::Int(filter.limit as i64),
    ];
    let s = counted("s");
    Ok(match kind {
        ReportKind::TopQueries => Report::Queries(queries(sql.rows(
            &format!(
                "SELECT s.query, COUNT(*), CAST(COALESCE(SUM(c.n), 0) AS BIGINT), \
                        AVG(CAST(s.total AS DOUBLE PRECISION)) \
                 FROM searches s LEFT JOIN {CLICKS_PER_SEARCH} \
                 WHERE {s} GROUP BY s.query ORDER BY COUNT(*) DESC, s.query LIMIT $4"
            ),
            &limited,
        )?)),
        // Nothing matched the query's words: with semantic matching a search
        // always shows something, but what meaning alone found is what a
        // writer should look at.
        ReportKind::NoResults => Report::Queries(queries(sql.rows(
            &format!(
                "SELECT s.query, COUNT(*), CAST(0 AS BIGINT), AVG(CAST(s.total AS DOUBLE PRECISION)) \
                 FROM searches s WHERE s.lexical_total = 0 AND {s} \
                 GROUP BY s.query ORDER BY COUNT(*) DESC, s.query LIMIT $4"
            ),
            &limited,
        )?)),
        // Queries with results whose searches (in the filter) no reader
        // opened a result of.
        ReportKind::NoClicks => Report::Queries(queries(sql.rows(
            &format!(
                "SELECT s.query, SUM(CASE WHEN s.total > 0 THEN 1 ELSE 0 END), CAST(0 AS BIGINT), \
                        AVG(CASE WHEN s.total > 0 THEN CAST(s.total AS DOUBLE PRECISION) END) \
                 FROM searches s LEFT JOIN {CLICKS_PER_SEARCH} \
                 WHERE {s} GROUP BY s.query \
                 HAVING SUM(CASE WHEN s.total > 0 THEN 1 ELSE 0 END) > 0 AND COALESCE(SUM(c.n), 0) = 0 \
                 ORDER BY SUM(CASE WHEN s.total > 0 THEN 1 ELSE 0 END) DESC, s.query LIMIT $4"
            ),
            &limited,
        )?)),
        ReportKind::Daily => Report::Daily(
            // The latest days within the limit, oldest first.
            sql.rows(
                &format!(
                    "SELECT d.day, d.locale, d.searches, d.no_results FROM ( \
                       SELECT s.day AS day, COALESCE(s.locale, '') AS locale, COUNT(*) AS searches, \
                              SUM(CASE WHEN s.lexical_total = 0 THEN 1 ELSE 0 END) AS no_results \
                       FROM searches s WHERE {s} \
                       GROUP BY s.day, COALESCE(s.locale, '') \
                       ORDER BY s.day DESC, COALESCE(s.locale, '') LIMIT $4) AS d \
                     ORDER BY d.day, d.locale"
                ),
                &limited,
            )?
            .iter()
            .map(|r| DayRow {
                day: r[0].text(),
                locale: r[1].text(),
                searches: r[2].count(),
                no_results: r[3].count(),
            })
            .collect(),
        ),
        ReportKind::ClickThrough => {
            let totals = sql.rows(
                &format!(
                    "SELECT COUNT(*), SUM(CASE WHEN c.n IS NULL THEN 0 ELSE 1 END) \
                     FROM searches s LEFT JOIN {CLICKS_PER_SEARCH} WHERE s.total > 0 AND {s}"
                ),
                &filtered,
            )?;
            let (with_results, clicked) = totals
                .first()
                .map_or((0, 0), |r| (r[0].count(), r[1].count()));
            let mean = sql.rows(
                &format!(
                    "SELECT AVG(CAST(c.position + 1 AS DOUBLE PRECISION)) \
                     FROM clicks c JOIN searches s ON s.id = c.search_id WHERE {s}"
                ),
                &filtered,
            )?;
            let by_position = sql
                .rows(
                    &format!(
                        "SELECT CAST(c.position + 1 AS BIGINT), COUNT(*) \
                         FROM clicks c JOIN searches s ON s.id = c.search_id WHERE {s} \
                         GROUP BY c.position ORDER BY c.position"
                    ),
                    &filtered,
                )?
                .iter()
                .map(|r| {
                    let clicks = r[1].count();
                    PositionRow {
                        position: r[0].count() as u32,
                        clicks,
                        rate: clicks as f64 / with_results.max(1) as f64,
                    }
                })
                .collect();
            Report::ClickThrough(ClickThrough {
                searches_with_results: with_results,
                searches_clicked: clicked,
                click_through_rate: clicked as f64 / with_results.max(1) as f64,
                mean_clicked_position: mean.first().and_then(|r| r[0].real()),
                by_position,
            })
        }
    })
}

fn queries(rows: Vec<Vec<Cell>>) -> Vec<QueryRow> {
    rows.iter()
        .map(|r| QueryRow {
            query: r[0].text(),
            count: r[1].count(),
            clicks: r[2].count(),
            mean_total: r[3].real().unwrap_or(0.0),
        })
        .collect()
}
