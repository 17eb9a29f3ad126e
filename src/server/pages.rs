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
            let _ = write!(
                main,
                "<h{level} id=\"{}\">{}</h{level}>",
                esc(&section.anchor),
                esc(&section.heading)
            );
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
