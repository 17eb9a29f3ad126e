//! How long HTML parsers take over every page of a built site, one thread,
//! three rounds interleaved: scraper's DOM (what kensaku parses with), and
//! lol_html's streaming rewriter doing what an extractor without a DOM
//! would need (every element's name, its `id` and `class`, its end, every
//! text chunk).
//!
//!     bash bench/site/render-hugo.sh ../shared/corpus target/site/shared
//!     cargo run --release --manifest-path bench/site/parsers/Cargo.toml -- target/site/shared

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

use lol_html::{HtmlRewriter, Settings, element, end_tag, text};

fn pages(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("a site folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            pages(&path, out);
        } else if path.extension().is_some_and(|x| x == "html") {
            out.push(std::fs::read_to_string(&path).expect("UTF-8 pages"));
        }
    }
}

/// What a streaming extractor would gather: a count of events, the text,
/// the bytes of names and ids read (returned so nothing is optimized away).
#[derive(Default)]
struct Seen {
    events: usize,
    text: String,
    names: usize,
}

fn streamed(page: &str) -> usize {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (on_element, on_text) = (seen.clone(), seen.clone());
    let settings = Settings::new()
        .append_element_content_handler(element!("*", move |el| {
            let mut s = on_element.borrow_mut();
            s.names += el.tag_name().len();
            for a in el.attributes() {
                let name = a.name();
                if name == "id" || name == "class" {
                    s.names += a.value().len();
                }
            }
            s.events += 1;
            if el.can_have_content() {
                let on_end = on_element.clone();
                el.on_end_tag(end_tag!(move |_| {
                    on_end.borrow_mut().events += 1;
                    Ok(())
                }))?;
            }
            Ok(())
        }))
        .append_element_content_handler(text!("*", move |t| {
            let mut s = on_text.borrow_mut();
            s.text.push_str(t.as_str());
            s.events += 1;
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    rewriter.write(page.as_bytes()).expect("rewritten");
    rewriter.end().expect("ended");
    let s = seen.borrow();
    s.events + s.text.len() + s.names
}

fn main() {
    let dir = std::env::args().nth(1).expect("the site's folder");
    let mut all = Vec::new();
    pages(Path::new(&dir), &mut all);
    let bytes: usize = all.iter().map(String::len).sum();
    println!("{} pages, {:.1} MB", all.len(), bytes as f64 / 1e6);
    for round in 1..=3 {
        let started = Instant::now();
        let nodes: usize = all
            .iter()
            .map(|p| scraper::Html::parse_document(p).tree.values().count())
            .sum();
        let dom = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let events: usize = all.iter().map(|p| streamed(p)).sum();
        let stream = started.elapsed().as_secs_f64();
        println!(
            "round {round}: scraper {dom:.3} s ({nodes} nodes), lol_html {stream:.3} s ({events}), ratio {:.2}",
            stream / dom
        );
    }
}
