//! HTML at the edges: escaping, and highlighted text as `<mark>` markup.
//!
//! Searching yields data ([`Highlighted`] text); the doors that speak HTML —
//! the JSON API's `snippet` string, the demo pages — render it here, and the
//! terminal renders the same data with its own styles.

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
        for (piece, marked) in self.pieces() {
            if marked {
                out.push_str("<mark>");
                escape_into(piece, &mut out);
                out.push_str("</mark>");
            } else {
                escape_into(piece, &mut out);
            }
        }
        out
    }
}

/// HTML-escapes `text` (`<`, `>`, `&`, `"`, `'`), turning line breaks into spaces.
pub fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
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
