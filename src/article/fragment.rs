//! A tolerant scanner for the HTML fragments that appear inside DocFX markdown.
//!
//! pulldown-cmark hands raw HTML over untouched: one event per inline tag
//! (`<span data-ttu-id="…">`) and whole chunks for HTML blocks (`<table>…`).
//! This module splits such fragments into tags and text. It is deliberately
//! small: it never fails, never allocates for text, and treats anything that
//! does not look like a tag as text, so unclosed or broken markup degrades to
//! plain text instead of swallowing content.
//!
//! Why not a spec-following tokenizer (measured 2026-12-02, html5gum 0.9.0,
//! MIT, behind this module's API with a reusing emitter): whole-article
//! parsing cost +1.7 % instructions on en-us and +12 % on ja-jp (callgrind,
//! one parse of all 325 articles: 237.5M → 241.5M, 800.2M → 898.1M; ja-jp
//! wraps every sentence in a `<span data-ttu-id>`, and html5gum copies and
//! re-validates every text piece), within the 15 % allowed. But it loses
//! text that readers see: the HTML spec drops a tag whose quote never closes
//! *with the rest of the input*, so `| <span data-ttu-id="x>说明 |` and
//! `If a <b then c.` lose `说明` and `b then c.`, which the rendered page
//! shows (CommonMark escapes such text rather than reading it as a tag).
//! Fragments here come from markdown, not from a browser's input stream; the
//! tolerant rules below keep that text (`tests.rs`:
//! `a_malformed_tag_a_browser_accepts_is_not_text`), so this scanner stays.

/// One piece of an HTML fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Character data, still entity-encoded.
    Text(&'a str),
    /// A start, end or self-closing tag.
    Tag(Tag<'a>),
    /// `<!-- … -->`, `<!DOCTYPE …>` or `<?…?>`: carries no text.
    Comment,
}

/// A parsed tag. `name` is ASCII-lowercased lazily by [`Tag::is`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag<'a> {
    pub name: &'a str,
    pub closing: bool,
    pub self_closing: bool,
    /// Raw attribute text between the name and `>`.
    attrs: &'a str,
}

impl<'a> Tag<'a> {
    /// Case-insensitive tag name comparison.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value of attribute `key` (case-insensitive), unquoted, still entity-encoded.
    /// Attributes without a value yield `Some("")`.
    pub fn attr(&self, key: &str) -> Option<&'a str> {
        attribute(self.attrs, key)
    }

    /// Whether the `class` attribute lists `class`.
    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|v| v.split_ascii_whitespace().any(|c| c == class))
    }
}

/// The value of attribute `key` (case-insensitive) in raw attribute text such
/// as `class="a" id=7 hidden`. Also reads DocFX directive arguments
/// (`no-loc text="X"`), which share the syntax.
pub fn attribute<'a>(attrs: &'a str, key: &str) -> Option<&'a str> {
    let mut rest = attrs;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let name_end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = rest[name_end..].trim_start();
        let value = if let Some(after_eq) = rest.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            let (value, remaining) = match after_eq.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after_eq[1..];
                    match body.find(q) {
                        Some(end) => (&body[..end], &body[end + 1..]),
                        None => (body, ""),
                    }
                }
                _ => {
                    let end = after_eq
                        .find(|c: char| c.is_ascii_whitespace())
                        .unwrap_or(after_eq.len());
                    (&after_eq[..end], &after_eq[end..])
                }
            };
            rest = remaining;
            value
        } else {
            ""
        };
        if name.eq_ignore_ascii_case(key) {
            return Some(value);
        }
        if name.is_empty() {
            // Stray character that cannot start a name: skip it.
            let mut chars = rest.chars();
            chars.next();
            rest = chars.as_str();
        }
    }
}

/// Iterator over the pieces of an HTML fragment.
pub struct Scanner<'a> {
    rest: &'a str,
}

impl<'a> Scanner<'a> {
    pub fn new(fragment: &'a str) -> Self {
        Scanner { rest: fragment }
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let bytes = self.rest.as_bytes();
        if bytes[0] == b'<' {
            if let Some((piece, len)) = parse_markup(self.rest) {
                self.rest = &self.rest[len..];
                return Some(piece);
            }
            // A lone `<` (e.g. `a < b`): text up to the next `<`.
            let end = self.rest[1..].find('<').map_or(self.rest.len(), |i| i + 1);
            let text = &self.rest[..end];
            self.rest = &self.rest[end..];
            return Some(Piece::Text(text));
        }
        let end = self.rest.find('<').unwrap_or(self.rest.len());
        let text = &self.rest[..end];
        self.rest = &self.rest[end..];
        Some(Piece::Text(text))
    }
}

/// Parses markup starting at `<`; returns the piece and its byte length.
fn parse_markup(s: &str) -> Option<(Piece<'_>, usize)> {
    if let Some(body) = s.strip_prefix("<!--") {
        let len = body.find("-->").map_or(s.len(), |i| 4 + i + 3);
        return Some((Piece::Comment, len));
    }
    if s.starts_with("<!") || s.starts_with("<?") {
        let len = s.find('>').map_or(s.len(), |i| i + 1);
        return Some((Piece::Comment, len));
    }
    let (closing, name_start) = if s[1..].starts_with('/') {
        (true, 2)
    } else {
        (false, 1)
    };
    let after = &s[name_start..];
    let name_len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
        .unwrap_or(after.len());
    if name_len == 0 || !after.as_bytes()[0].is_ascii_alphabetic() {
        return None;
    }
    let name = &after[..name_len];
    let attr_start = name_start + name_len;
    let tag = |attrs_end: usize, len: usize| {
        let inner = &s[attr_start..attrs_end];
        let tag = Tag {
            name,
            closing,
            self_closing: inner.trim_end().ends_with('/'),
            attrs: inner,
        };
        Some((Piece::Tag(tag), len))
    };
    // The closing `>` outside quoted values. As in a browser's tokenizer, a
    // quote opens a value only right after `=` (a stray `"` in an attribute
    // name is part of the name) and `<` inside a tag is a plain character.
    let mut quote: Option<u8> = None;
    let mut after_equals = false;
    let mut first_gt = None;
    for (i, &b) in s.as_bytes()[attr_start..].iter().enumerate() {
        let at = attr_start + i;
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), b'>') => {
                first_gt.get_or_insert(at);
            }
            (Some(_), _) => {}
            (None, b'"' | b'\'') if after_equals => quote = Some(b),
            (None, b'>') => return tag(at, at + 1),
            _ => {}
        }
        if quote.is_none() && !b.is_ascii_whitespace() {
            after_equals = b == b'=';
        }
    }
    // A quote never closed (`<span id="a1>text`): the tag ends at the first
    // `>`, not at the end of the input, which would swallow the text.
    if let Some(at) = first_gt {
        return tag(at, at + 1);
    }
    // No `>` at all: a tag cut short (`<span data-ttu-id="a1` at the end of
    // a file, or before a table's cell separator). It is markup when it has
    // an attribute with a value; then it spans its name and attributes.
    // Without one it is prose (`if a <b then`).
    let len = unterminated_attributes_len(&s[attr_start..])?;
    tag(attr_start + len, attr_start + len)
}

/// Length of the attributes (`␣key="value" key=value key`) at the start of
/// `s`, when at least one has a value. Names and values are ASCII: markup's
/// ids and classes, not the text a cut-short tag runs into.
fn unterminated_attributes_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.');
    let is_value = |b: u8| b.is_ascii_graphic() && b != b'<';
    let mut at = 0;
    let mut with_value = false;
    loop {
        let mut next = at;
        while next < bytes.len() && (bytes[next].is_ascii_whitespace() || bytes[next] == b'/') {
            next += 1;
        }
        let name_start = next;
        while next < bytes.len() && is_name(bytes[next]) {
            next += 1;
        }
        // Attributes are separated by whitespace.
        if next == name_start || name_start == at {
            break;
        }
        if bytes.get(next) == Some(&b'=') {
            next += 1;
            match bytes.get(next) {
                Some(&q @ (b'"' | b'\'')) => {
                    next += 1;
                    while next < bytes.len() && bytes[next] != q && is_value(bytes[next]) {
                        next += 1;
                    }
                    if bytes.get(next) == Some(&q) {
                        next += 1;
                    }
                }
                _ => {
                    while next < bytes.len() && is_value(bytes[next]) {
                        next += 1;
                    }
                }
            }
            with_value = true;
        }
        at = next;
    }
    let at = if at < bytes.len()
        && bytes[at..]
            .iter()
            .all(|b| b.is_ascii_whitespace() || *b == b'/')
    {
        bytes.len()
    } else {
        at
    };
    with_value.then_some(at)
}

/// Elements whose content is never text a reader sees.
pub fn is_raw_text_element(tag: &Tag<'_>) -> bool {
    tag.is("script") || tag.is("style") || tag.is("template")
}

/// Elements that end a line of text (block-level or line breaks).
pub fn breaks_line(tag: &Tag<'_>) -> bool {
    const BLOCKS: [&str; 20] = [
        "br",
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "tbody",
        "thead",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "dt",
        "dd",
    ];
    BLOCKS.iter().any(|b| tag.is(b))
}

/// Elements that separate cells of text without ending the line.
pub fn separates_cells(tag: &Tag<'_>) -> bool {
    tag.is("td") || tag.is("th")
}

/// Decodes HTML character references (`&amp;`, `&#x3042;`, `&nbsp;`).
pub fn decode_entities(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('&') {
        html_escape::decode_html_entities(text)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(s: &str) -> Vec<Piece<'_>> {
        Scanner::new(s).collect()
    }

    #[test]
    fn splits_tags_and_text() {
        let pieces = tags(r#"<span data-ttu-id="a-1">日付</span>"#);
        assert_eq!(pieces.len(), 3);
        let Piece::Tag(open) = &pieces[0] else {
            panic!()
        };
        assert!(open.is("span") && !open.closing);
        assert_eq!(open.attr("data-ttu-id"), Some("a-1"));
        assert_eq!(pieces[1], Piece::Text("日付"));
        let Piece::Tag(close) = &pieces[2] else {
            panic!()
        };
        assert!(close.closing);
    }

    #[test]
    fn reads_classes_and_unquoted_attributes() {
        let Piece::Tag(t) = &tags(r#"<span class="x sxs-lookup" id=7 hidden>"#)[0] else {
            panic!()
        };
        assert!(t.has_class("sxs-lookup"));
        assert_eq!(t.attr("id"), Some("7"));
        assert_eq!(t.attr("hidden"), Some(""));
        assert_eq!(t.attr("missing"), None);
    }

    #[test]
    fn quoted_gt_does_not_end_a_tag() {
        let Piece::Tag(t) = &tags(r#"<a title="a>b" name="x">"#)[0] else {
            panic!()
        };
        assert_eq!(t.attr("name"), Some("x"));
    }

    #[test]
    fn broken_markup_is_text() {
        assert_eq!(tags("a < b"), vec![Piece::Text("a "), Piece::Text("< b")]);
        assert_eq!(tags("<span unclosed"), vec![Piece::Text("<span unclosed")]);
        assert_eq!(tags("<<b>"), vec![Piece::Text("<"), tags("<b>")[0].clone()]);
        assert_eq!(
            tags("if a <b then c"),
            vec![Piece::Text("if a "), Piece::Text("<b then c")]
        );
    }

    #[test]
    fn broken_tags_a_browser_would_read_are_tags() {
        let name = |p: &Piece<'_>| match p {
            Piece::Tag(t) => format!("<{}>", t.name),
            Piece::Text(t) => t.to_string(),
            Piece::Comment => String::new(),
        };
        let read = |s| tags(s).iter().map(name).collect::<Vec<_>>();
        // A stray quote in an attribute name does not open a value.
        assert_eq!(
            read(r#"<span a="x b="1">V</span>"#),
            ["<span>", "V", "<span>"]
        );
        // A quote never closed ends at the first `>`.
        assert_eq!(read(r#"<span id="f06-144b>说明"#), ["<span>", "说明"]);
        // Cut short: name and attributes, not the text after them.
        assert_eq!(
            read(r#"<span data-ttu-id="f06-1"?说明"#),
            ["<span>", "?说明"]
        );
        assert_eq!(read(r#"<span data-ttu-id="a9-371"#), ["<span>"]);
        assert_eq!(read("<span data-ttu-id=a9 \n"), ["<span>"]);
    }

    #[test]
    fn comments_carry_no_text() {
        assert_eq!(tags("<!-- x -->y"), vec![Piece::Comment, Piece::Text("y")]);
        assert_eq!(tags("<!-- never closed"), vec![Piece::Comment]);
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(decode_entities("a&amp;b&#x3042;&nbsp;"), "a&bあ\u{a0}");
    }
}
