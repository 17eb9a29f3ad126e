//! The analytics stores against each other: the same events written to
//! SQLite and to a real PostgreSQL give byte-for-byte the same reports, in
//! any order and written twice.

use crate::common;

use kensaku::analytics::store::{Event, Location, ReportFilter, ReportKind, Store};
use kensaku::analytics::{ClickRecord, SearchRecord};

const DAY: i64 = 86_400;
/// 2026-11-30T00:00:00Z.
const START: i64 = 1_796_083_200;

fn id(n: u64) -> String {
    format!("{n:032x}")
}

/// A day's worth of searches in every shape the reports distinguish.
fn events() -> Vec<Event> {
    let queries = [
        "invoice",
        "Ärger mit rechnung",
        "zebra",
        "apple",
        "請求書",
        "apple",
        "invoice",
        "",
        "no results here",
        "Invoice",
    ];
    let locales = [Some("en-us"), Some("de-de"), Some("ja-jp"), None];
    let mut events = Vec::new();
    for n in 0..240u64 {
        let query = queries[n as usize % queries.len()].to_lowercase();
        let total = if query.contains("no results") {
            0
        } else {
            3 + n % 7
        };
        let returned: Vec<String> = (0..total.min(10))
            .map(|i| format!("a/{}.md", (n + i) % 13))
            .collect();
        let settled = n % 3 != 0;
        events.push(Event::Search(Box::new(SearchRecord {
            id: id(n),
            at: START + (n as i64 % 3) * DAY + n as i64 * 37,
            query,
            locale: locales[n as usize % locales.len()].map(str::to_string),
            detected_locale: None,
            total,
            lexical_total: if n % 5 == 0 { 0 } else { total },
            returned: returned.join("\n"),
            mode: if n % 4 == 0 { "hybrid" } else { "lexical" },
            took_ms: 0.25 * n as f64,
            settled,
        })));
        // Pending searches: some settle later, some never do.
        if !settled && n % 2 == 0 {
            events.push(Event::Settle {
                search_id: id(n),
                at: START + n as i64,
            });
        }
        if total > 0 && n % 4 == 1 {
            let position = (n % total.min(10)) as u32;
            events.push(Event::Click(ClickRecord {
                search_id: id(n),
                article: returned[position as usize].clone(),
                position,
                at: START + n as i64,
            }));
        }
    }
    events
}

fn write(store: &mut dyn Store, events: &[Event]) {
    // Out of order (settles and clicks before their searches), in batches,
    // and the middle batch written twice (a retry after an unknown commit).
    let mut shuffled: Vec<Event> = events.iter().rev().cloned().collect();
    shuffled.rotate_left(17);
    let third = shuffled.len() / 3;
    store.write(&shuffled[..third]).unwrap();
    store.write(&shuffled[third..2 * third]).unwrap();
    store.write(&shuffled[third..2 * third]).unwrap();
    store.write(&shuffled[2 * third..]).unwrap();
}

#[test]
fn sqlite_and_postgres_report_alike() {
    let Some(cluster) = common::postgres::Cluster::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut sqlite = Location::Sqlite(tmp.path().join("analytics"))
        .open()
        .unwrap();
    let mut postgres = Location::Postgres(cluster.database("reports"))
        .open()
        .unwrap();
    let events = events();
    write(sqlite.as_mut(), &events);
    write(postgres.as_mut(), &events);

    let filters = [
        ReportFilter {
            limit: 50,
            ..Default::default()
        },
        ReportFilter {
            locale: Some("en-us".into()),
            limit: 50,
            ..Default::default()
        },
        ReportFilter {
            from: Some("2026-12-01".into()),
            to: Some("2026-12-01".into()),
            limit: 3,
            ..Default::default()
        },
        ReportFilter {
            locale: Some("xx-xx".into()),
            limit: 5,
            ..Default::default()
        },
    ];
    let kinds = [
        ReportKind::TopQueries,
        ReportKind::NoResults,
        ReportKind::NoClicks,
        ReportKind::ClickThrough,
        ReportKind::Daily,
    ];
    let mut compared = 0;
    for filter in &filters {
        for kind in kinds {
            let a = serde_json::to_string(&sqlite.report(kind, filter).unwrap()).unwrap();
            let b = serde_json::to_string(&postgres.report(kind, filter).unwrap()).unwrap();
            assert_eq!(a, b, "{kind:?} {filter:?}");
            compared += 1;
        }
    }
    assert_eq!(compared, 20);
    // The reports count what they should: settled searches only (n % 3 != 0,
    // and the even pending ones that settled later), once each.
    let top = sqlite.report(ReportKind::Daily, &filters[0]).unwrap();
    let counted: u64 = match top {
        kensaku::analytics::store::Report::Daily(rows) => rows.iter().map(|r| r.searches).sum(),
        _ => 0,
    };
    let expected = (0..240u64).filter(|n| n % 3 != 0 || n % 2 == 0).count() as u64;
    assert_eq!(counted, expected);

    // A beacon's lookup reads the same from both.
    for n in [1u64, 3, 6, 9] {
        assert_eq!(
            sqlite.lookup(&id(n)).unwrap(),
            postgres.lookup(&id(n)).unwrap(),
            "search {n}"
        );
    }
    assert_eq!(postgres.lookup(&id(9_999)).unwrap(), None);

    // Purging pending searches keeps the counted ones.
    for store in [&mut sqlite, &mut postgres] {
        store.purge(0, START + 10 * DAY).unwrap();
    }
    let a = serde_json::to_string(&sqlite.report(ReportKind::Daily, &filters[0]).unwrap()).unwrap();
    let b =
        serde_json::to_string(&postgres.report(ReportKind::Daily, &filters[0]).unwrap()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn the_urls_own_session_options_are_kept() {
    let Some(cluster) = common::postgres::Cluster::start() else {
        return;
    };
    let url = cluster.database("options");
    let _store = Location::Postgres(format!(
        "{url}?options=-c%20application_name%3Dkensaku_probe"
    ))
    .open()
    .unwrap();
    let mut client = postgres::Client::connect(&cluster.url("postgres"), postgres::NoTls).unwrap();
    let sessions: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kensaku_probe'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(sessions >= 1, "the URL's options reached the session");
}
