//! Terminal rendering of build reports, search results and eval misses.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::eval::Report;
use crate::index::{BuildReport, IndexDir};
use crate::search::SearchResponse;
use crate::source::{Skipped, Source};

/// Files skipped for one reason listed one per line up to this many; more
/// (a site's hundreds of tag listings) are summed up on one line.
const SKIPPED_LISTED: usize = 3;

pub fn build_report(report: &BuildReport, corpus: &dyn Source, dir: &IndexDir) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "indexed {} of {} files from {} into {} in {:.2} s ({:.1} MB/s of documents analyzed; {} unchanged)",
        report.indexed,
        report.files,
        corpus.describe(),
        dir.root().display(),
        report.elapsed.as_secs_f64(),
        report.mb_per_second(),
        report.unchanged,
    );
    let _ = writeln!(
        out,
        "{:<10} {:>9} {:>7} {:>8} {:>10}",
        "locale", "documents", "added", "removed", "generation"
    );
    for (locale, l) in &report.locales {
        let generation = l
            .generation
            .map_or("unchanged".to_string(), |g| g.to_string());
        let _ = writeln!(
            out,
            "{:<10} {:>9} {:>7} {:>8} {:>10}",
            locale, l.documents, l.added, l.removed, generation
        );
    }
    if !report.skipped.is_empty() {
        let _ = writeln!(out, "skipped {} file(s):", report.skipped.len());
        for line in skipped_lines(&report.skipped) {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "{} warning(s):", report.warnings.len());
        for w in &report.warnings {
            let _ = writeln!(out, "  {}: {}", w.path, w.reason);
        }
    }
    out
}

/// The skipped files, one line each, but for a reason shared by more than
/// [`SKIPPED_LISTED`]: one line with its count and first files (`--json`
/// lists every one). Reasons keep the order they first appear in.
fn skipped_lines(skipped: &[Skipped]) -> Vec<String> {
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for s in skipped {
        match reasons.iter_mut().find(|(r, _)| *r == s.reason) {
            Some((_, paths)) => paths.push(&s.path),
            None => reasons.push((&s.reason, vec![&s.path])),
        }
    }
    let mut lines = Vec::new();
    for (reason, paths) in reasons {
        if paths.len() <= SKIPPED_LISTED {
            lines.extend(paths.iter().map(|p| format!("{p}: {reason}")));
        } else {
            lines.push(format!(
                "{} files: {reason} ({}, and {} more)",
                paths.len(),
                paths[..SKIPPED_LISTED].join(", "),
                paths.len() - SKIPPED_LISTED
            ));
        }
    }
    lines
}

/// Results for a terminal: `color` adds ANSI styles, else plain text.
pub fn search_response(response: &SearchResponse, color: bool) -> String {
    let paint = |style: Style, text: &str| {
        if color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    };
    let title = Style::new().bold();
    let dim = Style::new().dimmed();
    let mark = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
    let mut out = String::new();
    let locale = response
        .locale
        .as_ref()
        .map_or("-".to_string(), |l| l.to_string());
    let detected = if response.detected_locale.is_some() {
        " (detected)"
    } else {
        ""
    };
    // How meaning weighed, when it was asked for: the ratio used, or why
    // the results are by words alone.
    let meaning = match &response.semantic {
        Some(s) if s.used => format!(" · meaning {:.2}", s.ratio),
        Some(s) => s
            .unavailable
            .as_ref()
            .map_or(String::new(), |why| format!(" · words only: {why}")),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "{}",
        paint(
            dim,
            &format!(
                "{} results in {}{} · {:.2} ms{meaning}",
                response.total, locale, detected, response.took_ms
            )
        )
    );
    for (i, hit) in response.hits.iter().enumerate() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{:>2}. {}", i + 1, paint(title, &hit.title));
        let anchor = hit
            .section
            .as_ref()
            .map_or(String::new(), |s| format!("#{s}"));
        let _ = writeln!(
            out,
            "    {}",
            paint(
                dim,
                &format!("{}/{}{} · {:.3}", hit.locale, hit.id, anchor, hit.score)
            )
        );
        let mut snippet = String::new();
        for (piece, marked) in hit.snippet.pieces() {
            match (marked, color) {
                (false, _) => snippet.push_str(piece),
                (true, true) => snippet.push_str(&paint(mark, piece)),
                (true, false) => {
                    let _ = write!(snippet, "[{piece}]");
                }
            }
        }
        let _ = writeln!(out, "    {snippet}");
    }
    out
}

pub fn misses(report: &Report) -> String {
    let mut out = String::new();
    for q in report
        .queries
        .iter()
        .filter(|q| q.first_relevant != Some(1))
    {
        let rank = q.first_relevant.map_or("-".to_string(), |r| r.to_string());
        let _ = writeln!(out, "\n{} [{}] rank {}: {}", q.id, q.style, rank, q.query);
        let _ = writeln!(out, "  relevant: {}", q.relevant.join(", "));
        for (i, id) in q.returned.iter().take(3).enumerate() {
            let _ = writeln!(out, "  {}. {}", i + 1, id);
        }
    }
    out
}

/// An analytics report as a table.
pub fn analytics(report: &crate::analytics::store::Report) -> String {
    use crate::analytics::store::Report;
    let mut out = String::new();
    match report {
        Report::Queries(rows) => {
            let _ = writeln!(
                out,
                "{:>7} {:>7} {:>9}  query",
                "count", "clicks", "results"
            );
            for r in rows {
                let _ = writeln!(
                    out,
                    "{:>7} {:>7} {:>9.1}  {}",
                    r.count, r.clicks, r.mean_total, r.query
                );
            }
        }
        Report::Daily(rows) => {
            let _ = writeln!(
                out,
                "{:<10} {:<8} {:>9} {:>11}",
                "day", "locale", "searches", "no results"
            );
            for r in rows {
                let _ = writeln!(
                    out,
                    "{:<10} {:<8} {:>9} {:>11}",
                    r.day, r.locale, r.searches, r.no_results
                );
            }
        }
        Report::ClickThrough(c) => {
            let _ = writeln!(
                out,
                "{} of {} searches with results had a click ({:.1}%); mean position opened {}",
                c.searches_clicked,
                c.searches_with_results,
                100.0 * c.click_through_rate,
                c.mean_clicked_position
                    .map_or("-".to_string(), |p| format!("{p:.2}"))
            );
            let _ = writeln!(out, "{:>8} {:>7} {:>7}", "position", "clicks", "rate");
            for p in &c.by_position {
                let _ = writeln!(
                    out,
                    "{:>8} {:>7} {:>6.1}%",
                    p.position,
                    p.clicks,
                    100.0 * p.rate
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skipped(path: &str, reason: &str) -> Skipped {
        Skipped {
            path: path.to_string(),
            reason: reason.to_string(),
        }
    }

    #[test]
    fn many_files_skipped_for_one_reason_take_one_line() {
        let mut all = vec![skipped("index.html", "a redirect")];
        for locale in ["de", "en", "fr", "ja", "ko"] {
            all.push(skipped(&format!("{locale}/index.html"), "a listing"));
        }
        all.push(skipped("bad.html", "not UTF-8"));
        assert_eq!(
            skipped_lines(&all),
            [
                "index.html: a redirect",
                "5 files: a listing (de/index.html, en/index.html, fr/index.html, and 2 more)",
                "bad.html: not UTF-8",
            ]
        );
    }
}
