//! HTML at the edges: escaping, and highlighted text as `<mark>` markup.
//!
//! Searching yields data ([`Highlighted`] text); the doors that speak HTML —
//! the JSON API's `snippet` string, the demo pages — render it here, and the
//! terminal renders the same data with its own styles.

use std::fmt;
use std::ops::Range;

/// Text with highlighted ranges, as a snippet is before an edge renders it.
///
/// Invariant: `marks` are byte ranges of `text`, on character boundaries,
/// non-empty, sorted and disjoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlighted {
    pub text: String,
    pub marks: Vec<Range<usize>>,
}

impl Highlighted {
    /// Text without highlights.
    pub fn plain(text: impl Into<String>) -> Highlighted {
        Highlighted {
            text: text.into(),
            marks: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The text as runs of (piece, highlighted), in order, covering it all.
    pub fn pieces(&self) -> impl Iterator<Item = (&str, bool)> {
        let mut at = 0;
        let mut marks = self.marks.iter().peekable();
        std::iter::from_fn(move || {
            if at >= self.text.len() {
                return None;
            }
            match marks.peek().map(|m| (m.start, m.end)) {
                Some((start, end)) if start == at => {
                    marks.next();
                    at = end;
                    Some((&self.text[start..end], true))
                }
                Some((start, _)) => {
                    let piece = &self.text[at..start];
                    at = start;
                    Some((piece, false))
                }
                None => {
                    let piece = &self.text[at..];
                    at = self.text.len();
                    Some((piece, false))
                }
            }
        })
    }

    /// Escaped text with each highlight in `<mark>`…`</mark>`: no other markup.
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 16 * self.marks.len());
        self.write_html(&mut out);
        out
    }

    /// Appends the text as HTML (escaped, the marks as `<mark>`) to `out`.
    pub fn write_html(&self, out: &mut String) {
        let _ = fmt::Write::write_fmt(out, format_args!("{}", Html(self)));
    }
}

/// HTML-escapes `text` (`<`, `>`, `&`, `"`, `'`), turning line breaks into spaces.
pub fn escape_into(text: &str, out: &mut String) {
    let _ = write_escaped(text, out);
}

/// [`escape_into`] any writer. Runs between special characters are written
/// whole (they are ASCII: no UTF-8 sequence contains their bytes).
fn write_escaped(text: &str, out: &mut impl fmt::Write) -> fmt::Result {
    let mut run = 0;
    for (i, byte) in text.bytes().enumerate() {
        let replacement = match byte {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            b'\n' | b'\r' => " ",
            _ => continue,
        };
        out.write_str(&text[run..i])?;
        out.write_str(replacement)?;
        run = i + 1;
    }
    out.write_str(&text[run..])
}

/// A highlighted text as HTML, written into any formatter
/// ([`Highlighted::write_html`] appends it to a string).
pub struct Html<'a>(pub &'a Highlighted);

impl fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (piece, marked) in self.0.pieces() {
            if marked {
                f.write_str("<mark>")?;
                write_escaped(piece, f)?;
                f.write_str("</mark>")?;
            } else {
                write_escaped(piece, f)?;
            }
        }
        Ok(())
    }
}

/// [`escape_into`] a new string.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_escapes() {
        let h = Highlighted {
            text: "a <b> & invoice".into(),
            marks: std::iter::once(8..15).collect(),
        };
        assert_eq!(h.to_html(), "a &lt;b&gt; &amp; <mark>invoice</mark>");
        let pieces: Vec<_> = h.pieces().collect();
        assert_eq!(pieces, [("a <b> & ", false), ("invoice", true)]);
        assert_eq!(Highlighted::plain("x\ny").to_html(), "x y");
    }
}
