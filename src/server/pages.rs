//! The demo docs site: a home page and article pages, each with the search
//! box. Server-rendered, escaped, no inline script or style (the strict CSP
//! forbids both).

use std::fmt::Write as _;

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::html::escape as esc;
use crate::locale::Locale;
use crate::search::{ArticleView, LocaleInfo};

/// Content Security Policy of the demo pages: only this origin's files.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body)
}

/// `日本語 (ja-jp)`: the language's own name (from the registry) and the tag.
fn locale_name(locale: &str) -> String {
    let name = Locale::parse(locale)
        .ok()
        .and_then(|l| l.language().spec().name);
    match name {
        Some(name) => format!("{name} ({locale})"),
        None => locale.to_string(),
    }
}

fn page(lang: &str, title: &str, locales: &[LocaleInfo], main: &str, home_link: &str) -> String {
    let mut switcher = String::new();
    for info in locales {
        let code = info.locale.as_str();
        let _ = write!(
            switcher,
            "<a href=\"/?lang={code}\" hreflang=\"{code}\" lang=\"{code}\" data-locale=\"{code}\">{}</a> ",
            esc(&locale_name(code))
        );
    }
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"/demo.css\">\n\
         <link rel=\"stylesheet\" href=\"/widget.css\">\n\
         <script src=\"/widget.js\" data-endpoint=\"\" defer></script>\n\
         <script src=\"/demo.js\" defer></script>\n</head>\n<body>\n\
         <header class=\"site\"><a class=\"brand\" href=\"{home_link}\">kensaku <span>検索</span></a>\
         <kensaku-search></kensaku-search></header>\n\
         <nav class=\"locales\" aria-label=\"Language\">{switcher}</nav>\n\
         <main>{main}</main>\n\
         <footer>kensaku demo · <a href=\"/openapi.json\">API</a> · <a href=\"/locales\">locales</a></footer>\n\
         </body>\n</html>\n",
        title = esc(title),
    )
}

/// The home page: what the demo is, how to try it. `lang` is the page
/// language the search box searches (an indexed locale).
pub fn home(lang: &str, locales: &[LocaleInfo]) -> String {
    let documents: u64 = locales.iter().map(|l| l.documents).sum();
    let mut main = String::from(
        "<h1>Multilingual docs search</h1>\n\
         <p>Type in the box above — in English, 日本語, 中文, 한국어, Русский, Français… \
         Press <kbd>/</kbd> or <kbd>Ctrl</kbd>+<kbd>K</kbd> to focus it, arrows to choose, \
         <kbd>Enter</kbd> to open. Pick the page language below the header.</p>\n",
    );
    let _ = write!(
        main,
        "<p class=\"stats\">{documents} articles in {} locales:</p>\n<ul class=\"stats\">",
        locales.len()
    );
    for info in locales {
        let _ = write!(
            main,
            "<li><b>{}</b> {} articles, analyzer <code>{}</code></li>",
            esc(&locale_name(info.locale.as_str())),
            info.documents,
            esc(&info.analyzer)
        );
    }
    main.push_str("</ul>\n");
    page(lang, "kensaku — docs search demo", locales, &main, "/")
}

/// The analytics dashboard: what readers search and do not find. Its data
/// comes from the admin reports (`/admin/analytics/…`), fetched by
/// `dashboard.js` with the admin key typed into the page (kept for the
/// tab's session only).
pub fn dashboard(locales: &[LocaleInfo]) -> String {
    let mut options = String::from("<option value=\"\">all locales</option>");
    for info in locales {
        let code = esc(info.locale.as_str());
        let _ = write!(
            options,
            "<option value=\"{code}\">{}</option>",
            esc(&locale_name(&code))
        );
    }
    let main = format!(
        "<h1>Search analytics</h1>\n         <form id=\"dashboard-form\" class=\"dashboard-form\">\
         <label>Admin key <input type=\"password\" id=\"admin-key\" autocomplete=\"off\" required></label> \
         <label>Locale <select id=\"locale\">{options}</select></label> \
         <label>From <input type=\"date\" id=\"from\"></label> \
         <label>To <input type=\"date\" id=\"to\"></label> \
         <button type=\"submit\">Show</button></form>\n\
         <p id=\"dashboard-status\" role=\"status\"></p>\n\
         <section><h2>Searches per day</h2><div id=\"chart-daily\" class=\"chart\"></div></section>\n\
         <section><h2>Queries that matched no article's words</h2><p class=\"hint\">Nothing found, or only by meaning. Write the article, or add a synonym \
         (<code>--synonyms</code>) or a pin (<code>--pins</code>) — then watch the query leave this list.</p>\
         <ol id=\"no-results\" class=\"queries\"></ol></section>\n\
         <section><h2>Queries with results but no clicks</h2><ol id=\"no-clicks\" class=\"queries\"></ol></section>\n\
         <section><h2>Top queries</h2><ol id=\"top-queries\" class=\"queries\"></ol></section>\n\
         <section><h2>Click-through by position</h2><p id=\"ctr-summary\"></p>\
         <div id=\"chart-ctr\" class=\"chart\"></div></section>\n"
    );
    page("en", "kensaku — search analytics", locales, &main, "/").replace(
        "<script src=\"/demo.js\" defer></script>",
        "<script src=\"/dashboard.js\" defer></script>",
    )
}

/// An article page, as the search results link to it.
pub fn article(view: &ArticleView, locales: &[LocaleInfo]) -> String {
    let mut main = String::new();
    let _ = write!(
        main,
        "<article><p class=\"meta\">{} · {}</p>",
        esc(view.locale.as_str()),
        esc(&view.id)
    );
    let mut titled = false;
    for section in &view.sections {
        if !section.heading.is_empty() {
            let level = section.level.clamp(1, 6);
            let level = if !titled { 1 } else { level.max(2) };
            titled = true;
            // A heading without an anchor has no id (an empty one is not
            // HTML, and would repeat).
            let id = if section.anchor.is_empty() {
                String::new()
            } else {
                format!(" id=\"{}\"", esc(&section.anchor))
            };
            let _ = write!(main, "<h{level}{id}>{}</h{level}>", esc(&section.heading));
        }
        for line in section.text.lines() {
            let _ = write!(main, "<p>{}</p>", esc(line));
        }
    }
    main.push_str("</article>");
    page(
        view.locale.as_str(),
        &view.title,
        locales,
        &main,
        &format!("/?lang={}", view.locale),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::Locale;
    use crate::search::{MetaView, SectionView};

    #[test]
    fn a_heading_without_an_anchor_has_no_id() {
        let section = |anchor: &str, heading: &str| SectionView {
            anchor: anchor.to_string(),
            heading: heading.to_string(),
            level: 2,
            text: "Text.".to_string(),
        };
        let view = ArticleView {
            id: "billing/invoices/".to_string(),
            locale: Locale::parse("en-us").unwrap(),
            url: "/en-us/billing/invoices/".to_string(),
            title: "Invoices".to_string(),
            description: String::new(),
            meta: MetaView::new(|_| None),
            sections: vec![section("", "Invoices"), section("download", "Download")],
        };
        let html = article(&view, &[]);
        assert!(html.contains("<h1>Invoices</h1>"), "{html}");
        assert!(
            html.contains(r#"<h2 id="download">Download</h2>"#),
            "{html}"
        );
        assert!(!html.contains(r#"id="""#), "{html}");
    }
}
