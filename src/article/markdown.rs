//! Markdown body → sections of localized text, with English originals apart.
//!
//! The body is parsed with pulldown-cmark; raw HTML it passes through (the
//! bilingual `<span>`s, HTML tables) is read with [`super::fragment`]. Text is
//! routed by the span it sits in: inside `<span class="sxs-lookup">` it is the
//! English original and goes to [`Section::english`], anywhere else it is the
//! article's own (localized) text.

use pulldown_cmark::{BlockQuoteKind, Event, Options, Parser, Tag, TagEnd};

use super::fragment::{self as html, Piece};
use super::{Block, BlockKind, Section};

/// Parses a markdown body into sections. Never fails: markup it cannot make
/// sense of is kept as text.
pub fn parse_sections(body: &str) -> Vec<Section> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_GFM);
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    let mut builder = SectionBuilder::default();
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        builder.event(event, &body[range]);
    }
    builder.finish()
}

/// Where the text currently read belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpanKind {
    /// `<span class="sxs-lookup">`: the English original.
    English,
    /// Any other span, including `data-ttu-id` ones: transparent.
    Other,
}

#[derive(Default)]
struct SectionBuilder {
    sections: Vec<Section>,
    current: Section,
    /// Heading being read: (level, explicit anchor, localized text).
    heading: Option<(u8, Option<String>, String)>,
    /// Text of the block being read.
    text: String,
    english: String,
    spans: Vec<SpanKind>,
    /// Nesting of containers that decide a block's kind.
    quote_depth: u32,
    list_depth: u32,
    table_depth: u32,
    in_code: bool,
    /// Inside `![alt](src)`: the alt text is not article text.
    image_depth: u32,
    /// Inside `<script>`/`<style>` of an HTML block.
    raw_html_depth: u32,
    callout: Option<BlockQuoteKind>,
    /// Consecutive text events that are verbatim source (no entity, no
    /// escape), from the first `<` on, joined so that markup CommonMark split
    /// apart reads whole.
    verbatim: String,
}

impl SectionBuilder {
    /// `source` is the markdown the event was parsed from.
    fn event(&mut self, event: Event<'_>, source: &str) {
        if let Event::Text(text) = &event
            && !self.in_code
            && text.as_ref() == source
        {
            // Only text from a `<` on can be markup: the rest goes straight
            // through, uncopied.
            match text.find('<') {
                _ if !self.verbatim.is_empty() => self.verbatim.push_str(text),
                Some(at) => {
                    self.push_text(&text[..at]);
                    self.verbatim.push_str(&text[at..]);
                }
                None => self.push_text(text),
            }
            return;
        }
        self.flush_verbatim();
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.push_text(&text),
            Event::Code(code) => self.push_text(&code),
            Event::InlineMath(math) | Event::DisplayMath(math) => self.push_text(&math),
            Event::Html(fragment) | Event::InlineHtml(fragment) => self.html(&fragment),
            Event::SoftBreak => self.push_text(" "),
            Event::HardBreak => self.push_text("\n"),
            Event::Rule => self.flush_block(),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { level, id, .. } => {
                self.flush_block();
                self.spans.clear();
                self.heading = Some((level as u8, id.map(|id| id.to_string()), String::new()));
            }
            Tag::Paragraph | Tag::Item | Tag::TableRow | Tag::TableHead => self.flush_block(),
            Tag::List(_) => {
                self.flush_block();
                self.list_depth += 1;
            }
            Tag::BlockQuote(kind) => {
                self.flush_block();
                self.quote_depth += 1;
                if kind.is_some() {
                    self.callout = kind;
                }
            }
            Tag::Table(_) => {
                self.flush_block();
                self.table_depth += 1;
            }
            Tag::TableCell => {}
            Tag::CodeBlock(_) => {
                self.flush_block();
                self.in_code = true;
            }
            Tag::HtmlBlock => self.flush_block(),
            Tag::Image { .. } => self.image_depth += 1,
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => self.end_heading(),
            TagEnd::Paragraph | TagEnd::Item | TagEnd::TableHead | TagEnd::TableRow => {
                self.flush_block()
            }
            TagEnd::TableCell => self.push_text(" | "),
            TagEnd::List(_) => {
                self.flush_block();
                self.list_depth = self.list_depth.saturating_sub(1);
            }
            TagEnd::BlockQuote(_) => {
                self.flush_block();
                self.quote_depth = self.quote_depth.saturating_sub(1);
                if self.quote_depth == 0 {
                    self.callout = None;
                }
            }
            TagEnd::Table => {
                self.flush_block();
                self.table_depth = self.table_depth.saturating_sub(1);
            }
            TagEnd::CodeBlock => {
                self.flush_block();
                self.in_code = false;
            }
            TagEnd::HtmlBlock => {
                self.flush_block();
                self.raw_html_depth = 0;
            }
            TagEnd::Image => self.image_depth = self.image_depth.saturating_sub(1),
            _ => {}
        }
    }

    fn push_text(&mut self, text: &str) {
        if self.image_depth > 0 || self.raw_html_depth > 0 {
            return;
        }
        if self.spans.contains(&SpanKind::English) {
            self.english.push_str(text);
            return;
        }
        match &mut self.heading {
            Some((_, _, heading)) => heading.push_str(text),
            None => self.text.push_str(text),
        }
    }

    /// Verbatim markdown text. A tag CommonMark rejects (`<b x"=1>`, a stray
    /// quote) arrives as text, yet a browser renders it as a tag: read it as
    /// one, so that the published page and the index agree. Entities and
    /// escapes (`&lt;b&gt;`, `\<b>`) are not verbatim and stay text.
    fn flush_verbatim(&mut self) {
        if self.verbatim.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.verbatim);
        for piece in html::Scanner::new(&text) {
            match piece {
                Piece::Text(text) => self.push_text(text),
                Piece::Comment => {}
                Piece::Tag(tag) => self.html_tag(&tag),
            }
        }
        // Keep the buffer's allocation for the next run of text.
        self.verbatim = text;
        self.verbatim.clear();
    }

    fn html(&mut self, fragment: &str) {
        for piece in html::Scanner::new(fragment) {
            match piece {
                Piece::Text(text) => self.push_text(&html::decode_entities(text)),
                Piece::Comment => {}
                Piece::Tag(tag) => self.html_tag(&tag),
            }
        }
    }

    fn html_tag(&mut self, tag: &html::Tag<'_>) {
        if html::is_raw_text_element(tag) {
            if tag.closing {
                self.raw_html_depth = self.raw_html_depth.saturating_sub(1);
            } else if !tag.self_closing {
                self.raw_html_depth += 1;
            }
            return;
        }
        if tag.is("span") {
            if tag.closing {
                let was_english = self.spans.pop() == Some(SpanKind::English);
                if was_english {
                    // Keep originals of consecutive sentences apart.
                    self.english.push(' ');
                }
            } else if !tag.self_closing {
                let kind = if tag.has_class("sxs-lookup") {
                    SpanKind::English
                } else {
                    SpanKind::Other
                };
                self.spans.push(kind);
            }
            return;
        }
        if tag.is("a") && !tag.closing {
            if let Some((_, anchor @ None, _)) = &mut self.heading {
                let name = tag.attr("name").or_else(|| tag.attr("id"));
                if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
                    *anchor = Some(html::decode_entities(name.trim()).into_owned());
                }
            }
            return;
        }
        if tag.is("img") {
            return;
        }
        if html::separates_cells(tag) && tag.closing {
            self.push_text(" | ");
        } else if html::breaks_line(tag) {
            if self.heading.is_some() {
                self.push_text(" ");
            } else {
                self.flush_block();
            }
        }
    }

    fn end_heading(&mut self) {
        let Some((level, anchor, text)) = self.heading.take() else {
            return;
        };
        self.spans.clear();
        let heading = clean_text(&text);
        let finished = std::mem::take(&mut self.current);
        if !finished.is_empty() {
            self.sections.push(finished);
        }
        let anchor = anchor.unwrap_or_else(|| slugify(&heading));
        self.current = Section {
            anchor,
            heading,
            level,
            blocks: Vec::new(),
            english: std::mem::take(&mut self.english).trim().to_string(),
        };
    }

    fn block_kind(&self) -> BlockKind {
        if self.in_code {
            BlockKind::Code
        } else if self.quote_depth > 0 {
            BlockKind::Callout
        } else if self.table_depth > 0 {
            BlockKind::TableRow
        } else if self.list_depth > 0 {
            BlockKind::ListItem
        } else {
            BlockKind::Paragraph
        }
    }

    fn flush_block(&mut self) {
        if self.heading.is_some() {
            return;
        }
        // Spans never cross markdown blocks; an unclosed one must not swallow
        // the rest of the article.
        self.spans.clear();
        if !self.english.trim().is_empty() {
            let english = std::mem::take(&mut self.english);
            let english = strip_directives(english.trim());
            if !english.is_empty() {
                if !self.current.english.is_empty() {
                    self.current.english.push(' ');
                }
                self.current.english.push_str(english.trim());
            }
        }
        self.english.clear();
        if self.text.trim().is_empty() {
            self.text.clear();
            return;
        }
        let raw = std::mem::take(&mut self.text);
        let kind = self.block_kind();
        let text = if kind == BlockKind::Code {
            raw.trim_end().to_string()
        } else {
            clean_text(&strip_directives(&raw))
        };
        if !text.is_empty() {
            self.current.blocks.push(Block { kind, text });
        }
    }

    fn finish(mut self) -> Vec<Section> {
        self.flush_verbatim();
        if self.heading.is_some() {
            self.end_heading();
        }
        self.flush_block();
        if !self.current.is_empty() {
            self.sections.push(self.current);
        }
        self.sections
    }
}

/// Collapses runs of whitespace to one space and trims cell separators left
/// dangling at the ends.
pub(super) fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    let trimmed = out.trim_matches(|c: char| c == '|' || c.is_whitespace());
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

/// Removes DocFX `:::name …:::` directives. `:::no-loc text="X":::` keeps `X`
/// (it marks text that must not be translated); others (`:::image`) are dropped.
fn strip_directives(text: &str) -> String {
    if !text.contains(":::") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(":::") {
        let after = &rest[start + 3..];
        if !after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            out.push_str(&rest[..start + 3]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..start]);
        let end = after.find(":::").map_or(after.len(), |i| i + 3);
        let directive = &after[..end.min(after.len())];
        if directive.starts_with("no-loc") {
            let inner = html::attribute(directive, "text");
            if let Some(value) = inner {
                out.push_str(value);
            }
        }
        rest = &after[end.min(after.len())..];
    }
    out.push_str(rest);
    out
}

/// DocFX-style anchor for a heading without an explicit one.
pub fn slugify(heading: &str) -> String {
    let mut slug = String::with_capacity(heading.len());
    let mut dash = false;
    for c in heading.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c);
        } else {
            dash = true;
        }
    }
    slug
}

impl Section {
    fn is_empty(&self) -> bool {
        self.heading.is_empty() && self.blocks.is_empty() && self.english.is_empty()
    }
}
