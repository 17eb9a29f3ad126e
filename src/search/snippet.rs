//! Snippets: the passage of an article that best shows why it matched.
//!
//! Matches are found by looking the query's terms up in the article's stored
//! term vector — no re-analysis of the body. The passage
//! with the most query weight is cut on sentence boundaries when one is near,
//! on word boundaries otherwise, never inside a character or a matched word.
//!
//! A snippet is data — [`Highlighted`] text: the passage, line breaks as
//! spaces, `…` where it was cut, and the byte ranges of the matches. Its
//! invariants (property-tested): the text is the article's; a mark spans
//! whole tokens. The doors render it (`<mark>` HTML, terminal styles).

use std::ops::Range;

use crate::html::Highlighted;
use crate::index::hitstore;
use crate::index::stored::{SectionSpan, TermVector, term_hash};

/// How to cut a language's snippets: from its
/// [registry row](crate::language::LanguageSpec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Target length, in characters.
    pub chars: usize,
    /// Whether the language separates words by spaces (cut there). Text of
    /// other languages is cut at spaces only where it is mostly spaced
    /// itself (English inside Japanese).
    pub spaced: bool,
}

impl Shape {
    pub fn of(language: crate::language::Language) -> Shape {
        let spec = language.spec();
        Shape {
            chars: spec.snippet_chars,
            spaced: spec.space_separated,
        }
    }
}

/// A cut snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: Highlighted,
    /// Index of the section the passage comes from.
    pub section: Option<usize>,
    /// Whether any query term was highlighted.
    pub matched: bool,
}

/// A matched token range in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    start: usize,
    end: usize,
    concept: usize,
}

/// The query's terms for highlighting: term hash → concept index, sorted
/// by hash, one entry per hash.
#[derive(Debug, Clone, Default)]
pub struct Highlighter {
    terms: Vec<(u32, usize)>,
}

impl Highlighter {
    /// From (term hash, concept) pairs; the first concept of a hash wins.
    pub fn new(pairs: impl IntoIterator<Item = (u32, usize)>) -> Self {
        let mut terms: Vec<(u32, usize)> = Vec::new();
        for (hash, concept) in pairs {
            if !terms.iter().any(|(h, _)| *h == hash) {
                terms.push((hash, concept));
            }
        }
        terms.sort_unstable();
        Highlighter { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The concept whose term hashes to `hash`, if the query has one.
    fn concept_of(&self, hash: u32) -> Option<usize> {
        let i = self.terms.binary_search_by_key(&hash, |(h, _)| *h).ok()?;
        Some(self.terms[i].1)
    }
}

/// Builds the snippet of `body` (the article's text as stored, possibly
/// untrusted bytes) for the query described by `highlight`.
///
/// Only the region around the chosen passage is read as text (validated
/// UTF-8); the rest of the body is never touched beyond the term vector.
pub fn snippet(
    body: &[u8],
    termvec: &[u8],
    sections: &[SectionSpan],
    highlight: &Highlighter,
    concept_weights: &[f32],
    shape: Shape,
    within: Option<Range<usize>>,
) -> Snippet {
    let target = shape.chars;
    // The part of the body the snippet may show: all of it, or one section.
    let (lo, hi) = within.map_or((0, body.len()), |r| {
        (r.start.min(body.len()), r.end.min(body.len()))
    });
    let mut marks = find_marks(body, termvec, highlight);
    marks.retain(|m| m.start >= lo && m.end <= hi);

    // The region read as text (validated as UTF-8): the window and enough
    // around it for the cut, which looks at most `target` characters beyond
    // either end of the window, each at most 4 bytes.
    let margin = target * 4;
    let window = best_window(body, &marks, concept_weights, target);
    let (from, to) = match window {
        Some((first, last)) => (
            marks[first].start.saturating_sub(margin).max(lo),
            (marks[last].end.max(marks[first].start) + margin).min(hi),
        ),
        None => (lo, (lo + margin).min(hi)),
    };
    let (region_start, region) = hitstore::str_at(body, from, to);
    let region_end = region_start + region.len();
    let local: Vec<Mark> = marks
        .iter()
        .filter(|m| m.start >= region_start && m.end <= region_end)
        .filter(|m| {
            region.is_char_boundary(m.start - region_start)
                && region.is_char_boundary(m.end - region_start)
        })
        .map(|m| Mark {
            start: m.start - region_start,
            end: m.end - region_start,
            concept: m.concept,
        })
        .collect();
    let (start, end) = match window {
        Some((first, last)) => {
            let first = local
                .iter()
                .position(|m| m.start + region_start == marks[first].start)
                .unwrap_or(0);
            let last = local
                .iter()
                .rposition(|m| m.end + region_start <= marks[last].end)
                .unwrap_or(first);
            cut(region, &local, first, last.max(first), shape)
        }
        None => cut(region, &[], 0, 0, shape),
    };
    let anchor = local
        .iter()
        .find(|m| m.start >= start)
        .map_or(start, |m| m.start);
    let section = section_of(sections, region_start + anchor);
    let text = render(
        region,
        start,
        end,
        &local,
        region_start > lo,
        region_end < hi,
    );
    Snippet {
        matched: local.iter().any(|m| m.start >= start && m.end <= end),
        text,
        section,
    }
}

/// The query's matches in `body`, from its term vector: sorted, merged
/// where they overlap, within the body. Not yet checked to fall on
/// character boundaries: that needs the body's bytes at every match, which
/// for a long article are many pages of memory; [`snippet`] checks the
/// marks of the region it reads.
fn find_marks(body: &[u8], termvec: &[u8], highlight: &Highlighter) -> Vec<Mark> {
    // (start, end last, the term's rank in `highlight`, concept): the rank
    // orders two terms' marks of the same span as the terms are listed, so
    // an unstable sort (cheaper) orders them as a stable one would —
    // within a term, occurrences start apart.
    let mut found: Vec<(usize, std::cmp::Reverse<usize>, usize, usize)> = Vec::new();
    for (rank, &(hash, concept)) in highlight.terms.iter().enumerate() {
        for occurrence in TermVector::occurrences(termvec, hash) {
            let (start, end) = (occurrence.start as usize, occurrence.end as usize);
            if start < end && end <= body.len() {
                found.push((start, std::cmp::Reverse(end), rank, concept));
            }
        }
    }
    found.sort_unstable();
    merge_overlapping(
        found
            .into_iter()
            .map(|(start, std::cmp::Reverse(end), _, concept)| Mark {
                start,
                end,
                concept,
            }),
    )
}

/// Merges overlapping marks (a compound and its parts), sorted by start
/// (the longer first), into one.
fn merge_overlapping<I>(marks: I) -> Vec<Mark>
where
    I: IntoIterator<Item = Mark>,
    I::IntoIter: ExactSizeIterator,
{
    let marks = marks.into_iter();
    let mut merged: Vec<Mark> = Vec::with_capacity(marks.len());
    for mark in marks {
        match merged.last_mut() {
            // Overlapping (a compound and its parts) or touching (adjacent
            // CJK words): one mark reads better and stays on word bounds.
            Some(last) if mark.start <= last.end => last.end = last.end.max(mark.end),
            _ => merged.push(mark),
        }
    }
    merged
}

/// First and last mark of the window of about `target` characters that
/// carries the most query weight (each concept counted once, plus a little
/// per repeated match).
fn best_window(
    body: &[u8],
    marks: &[Mark],
    weights: &[f32],
    target: usize,
) -> Option<(usize, usize)> {
    if marks.is_empty() {
        return None;
    }
    // Bytes per character around the matches, to size the window in bytes
    // (UTF-8: every byte that is not a continuation byte starts a character).
    let sample = &body[marks[0].start.saturating_sub(600)..(marks[0].start + 600).min(body.len())];
    let chars = sample.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
    let bytes_per_char = (sample.len() as f32 / chars.max(1) as f32).max(1.0);
    let window = (target as f32 * bytes_per_char * 0.8) as usize;

    let concepts = marks.iter().map(|m| m.concept + 1).max().unwrap_or(0);
    let weight = |c: usize| weights.get(c).copied().unwrap_or(1.0).max(0.1);
    let mut counts = vec![0u32; concepts];
    // Window score, kept up to date as marks enter and leave the window.
    let mut score = 0.0f32;
    let mut best = (f32::MIN, 0, 0);
    let mut hi = 0;
    for lo in 0..marks.len() {
        while hi < marks.len() && marks[hi].end <= marks[lo].start + window {
            let c = marks[hi].concept;
            score += if counts[c] == 0 { weight(c) } else { 0.05 };
            counts[c] += 1;
            hi += 1;
        }
        if score > best.0 + 1e-6 {
            best = (score, lo, hi.max(lo + 1) - 1);
        }
        if hi > lo {
            let c = marks[lo].concept;
            counts[c] -= 1;
            score -= if counts[c] == 0 { weight(c) } else { 0.05 };
        } else {
            hi = lo + 1;
        }
    }
    Some((best.1, best.2))
}

fn is_sentence_end(c: char) -> bool {
    matches!(
        c,
        '。' | '．' | '！' | '？' | '.' | '!' | '?' | '\n' | '؟' | '।'
    )
}

fn is_cjk_sentence_end(c: char) -> bool {
    matches!(c, '。' | '．' | '！' | '？' | '\n')
}

/// Chooses the byte range of the snippet showing marks `first..=last`.
fn cut(body: &str, marks: &[Mark], first: usize, last: usize, shape: Shape) -> (usize, usize) {
    let anchor = marks.get(first).map_or(0, |m| m.start);
    let start = passage_start(body, anchor, shape);
    let must_show = marks.get(last).map_or(start, |m| m.end);
    (start, passage_end(body, marks, start, must_show, shape))
}

/// A sentence start within a third of the target before `anchor`, else a
/// word start a few words before it.
fn passage_start(body: &str, anchor: usize, shape: Shape) -> usize {
    let target = shape.chars;
    // Close to the beginning: show the beginning.
    if body[..anchor].chars().nth(target / 2).is_none() {
        return 0;
    }
    for (i, c) in body[..anchor].char_indices().rev().take(target / 3) {
        let after = i + c.len_utf8();
        // A Latin full stop only ends a sentence before a space (not in `3.6.3`).
        if is_sentence_end(c)
            && (is_cjk_sentence_end(c) || body[after..].starts_with(char::is_whitespace))
        {
            return skip_whitespace(body, after).min(anchor);
        }
    }
    let back = body[..anchor]
        .char_indices()
        .rev()
        .take(target / 6)
        .last()
        .map_or(anchor, |(i, _)| i);
    let start = if back > 0 && (shape.spaced || is_spaced(&body[back..anchor])) {
        body[back..anchor]
            .find(char::is_whitespace)
            .map_or(back, |s| back + s)
    } else {
        back
    };
    skip_whitespace(body, start).min(anchor)
}

fn skip_whitespace(body: &str, at: usize) -> usize {
    at + (body[at..].len() - body[at..].trim_start().len())
}

/// `target` characters after `start`, pulled back to a sentence end past 60%
/// of the target, or to a word boundary, but not before `must_show` (the end
/// of the window's last match); never inside a mark.
fn passage_end(body: &str, marks: &[Mark], start: usize, must_show: usize, shape: Shape) -> usize {
    let target = shape.chars;
    let mut end = body.len();
    let mut last_sentence_end = None;
    let mut last_space = None;
    for (count, (i, c)) in body[start..].char_indices().enumerate() {
        let at = start + i;
        if count >= target {
            end = at;
            break;
        }
        if is_sentence_end(c) && count >= target * 3 / 5 && at >= must_show {
            last_sentence_end = Some(at + c.len_utf8());
        }
        if c.is_whitespace() && at >= must_show {
            last_space = Some(at);
        }
    }
    if end < body.len() {
        end = match (last_sentence_end, last_space) {
            (Some(sentence_end), _) => sentence_end,
            (None, Some(space))
                if space > start && (shape.spaced || is_spaced(&body[start..end])) =>
            {
                space
            }
            _ => end,
        };
    }
    if let Some(mark) = marks.iter().find(|m| m.start < end && m.end > end) {
        end = if mark.start > start {
            mark.start
        } else {
            mark.end
        };
    }
    end.max(start)
}

/// Whether text is written with spaces between words (cut at spaces).
fn is_spaced(text: &str) -> bool {
    let mut letters = 0;
    let mut cjk = 0;
    for c in text.chars() {
        if c.is_alphabetic() {
            letters += 1;
            if (c as u32) >= 0x2E80 {
                cjk += 1;
            }
        }
    }
    cjk * 2 < letters
}

fn section_of(sections: &[SectionSpan], offset: usize) -> Option<usize> {
    sections
        .iter()
        .rposition(|s| (s.start as usize) <= offset)
        .or(if sections.is_empty() { None } else { Some(0) })
}

/// The text of `body[start..end]` with its marks, `…` where text was cut.
/// `more_before` / `more_after`: the body continues beyond `body`'s ends.
fn render(
    body: &str,
    start: usize,
    end: usize,
    marks: &[Mark],
    more_before: bool,
    more_after: bool,
) -> Highlighted {
    let mut out = Highlighted {
        text: String::with_capacity((end - start) + 8),
        marks: Vec::new(),
    };
    let preceding = body[..start].trim_end();
    let cut_before =
        (start > 0 || more_before) && !(start > 0 && preceding.ends_with(is_sentence_end));
    if cut_before {
        out.text.push('…');
    }
    let mut at = start;
    for mark in marks.iter().filter(|m| m.start >= start && m.end <= end) {
        push_line(&body[at..mark.start], &mut out.text);
        let from = out.text.len();
        push_line(&body[mark.start..mark.end], &mut out.text);
        out.marks.push(from..out.text.len());
        at = mark.end;
    }
    push_line(&body[at..end], &mut out.text);
    // Marks are whole tokens: trailing whitespace is never inside one.
    let trimmed_len = out.text.trim_end().len();
    out.text.truncate(trimmed_len);
    if (end < body.len() && !body[end..].starts_with('\n')) || (end == body.len() && more_after) {
        out.text.push('…');
    }
    out
}

/// Appends `text` with line breaks as spaces: a snippet is one line.
fn push_line(text: &str, out: &mut String) {
    // Copied a line at a time (not decoded a character at a time).
    let mut lines = text.split(['\n', '\r']);
    if let Some(first) = lines.next() {
        out.push_str(first);
    }
    for line in lines {
        out.push(' ');
        out.push_str(line);
    }
}

/// Plain text cut to about `shape.chars` characters on a word boundary.
pub fn plain(text: &str, shape: Shape) -> Highlighted {
    let (start, end) = cut(text, &[], 0, 0, shape);
    render(text, start, end, &[], false, false)
}

/// A short text with no term vector (an article's description), cut to
/// about `shape.chars` characters around the query's words in it and with
/// them marked: `tokens` are the text analyzed as the index analyzes it.
pub fn marked(
    text: &str,
    tokens: &[tantivy::tokenizer::Token],
    highlight: &Highlighter,
    concept_weights: &[f32],
    shape: Shape,
) -> Highlighted {
    let mut marks: Vec<Mark> = tokens
        .iter()
        .filter(|t| t.offset_from < t.offset_to && t.offset_to <= text.len())
        .filter_map(|t| {
            Some(Mark {
                start: t.offset_from,
                end: t.offset_to,
                concept: highlight.concept_of(term_hash(&t.text))?,
            })
        })
        .collect();
    marks.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    let marks = merge_overlapping(marks);
    let (start, end) = match best_window(text.as_bytes(), &marks, concept_weights, shape.chars) {
        Some((first, last)) => cut(text, &marks, first, last, shape),
        None => cut(text, &[], 0, 0, shape),
    };
    render(text, start, end, &marks, false, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::stored::term_hash;

    const SPACED: Shape = Shape {
        chars: 160,
        spaced: true,
    };
    const UNSPACED: Shape = Shape {
        chars: 80,
        spaced: false,
    };

    fn vector(body: &str, terms: &[&str]) -> Vec<u8> {
        let mut tokens = Vec::new();
        for term in terms {
            let mut from = 0;
            while let Some(i) = body[from..].find(term) {
                tokens.push((term.to_string(), from + i, from + i + term.len()));
                from += i + term.len();
            }
        }
        tokens.sort_by_key(|t| t.1);
        TermVector::encode(tokens.iter().map(|(t, s, e)| (t.as_str(), *s, *e)))
    }

    fn highlight(terms: &[&str]) -> Highlighter {
        Highlighter::new(terms.iter().enumerate().map(|(i, t)| (term_hash(t), i)))
    }

    /// The marks as a stable sort of every term's occurrences (in the
    /// highlighter's order) finds them: what `find_marks` did before its
    /// unstable sort.
    fn marks_by_stable_sort(body: &str, termvec: &[u8], highlight: &Highlighter) -> Vec<Mark> {
        let mut marks = Vec::new();
        for &(hash, concept) in &highlight.terms {
            for o in TermVector::occurrences(termvec, hash) {
                let (start, end) = (o.start as usize, o.end as usize);
                if start < end && end <= body.len() {
                    marks.push(Mark {
                        start,
                        end,
                        concept,
                    });
                }
            }
        }
        marks.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
        merge_overlapping(marks)
    }

    #[test]
    fn marks_are_those_of_a_stable_sort() {
        // Terms whose spans coincide (the same text under two concepts),
        // nest (a compound and its parts) and touch.
        let body = "invoice invoices billing invoicebilling billing invoice billinginvoice";
        let terms = [
            "invoice",
            "invoices",
            "billing",
            "invoicebilling",
            "bill",
            "voice",
        ];
        let mut tokens = Vec::new();
        for term in terms {
            let mut from = 0;
            while let Some(i) = body[from..].find(term) {
                tokens.push((term.to_string(), from + i, from + i + term.len()));
                from += i + 1;
            }
        }
        // The same span under another term of another concept.
        tokens.push(("facture".to_string(), 0, 7));
        tokens.sort_by_key(|t| t.1);
        let termvec = TermVector::encode(tokens.iter().map(|(t, s, e)| (t.as_str(), *s, *e)));
        for concepts in [
            [0, 1, 2, 3, 4, 5, 6],
            [6, 5, 4, 3, 2, 1, 0],
            [1, 1, 0, 0, 2, 2, 3],
        ] {
            let highlight = Highlighter::new(
                terms
                    .iter()
                    .chain(&["facture"])
                    .zip(concepts)
                    .map(|(t, c)| (term_hash(t), c)),
            );
            let found = find_marks(body.as_bytes(), &termvec, &highlight);
            assert!(!found.is_empty());
            assert_eq!(found, marks_by_stable_sort(body, &termvec, &highlight));
        }
    }

    #[test]
    fn line_breaks_become_spaces_and_nothing_else_changes() {
        let mut out = String::from("…");
        push_line("ligne\r\nnext 行\nlast\r", &mut out);
        assert_eq!(out, "…ligne  next 行 last ");
        push_line("", &mut out);
        assert_eq!(out, "…ligne  next 行 last ");
    }

    #[test]
    fn marks_terms_in_the_best_sentence() {
        let body = "Intro sentence about nothing. Another filler line here. ".repeat(4)
            + "To download an invoice, open Billing. Then select the invoice you need. "
            + &"Closing remarks that say nothing. ".repeat(4);
        let body = body.as_str();
        let terms = ["download", "invoice"];
        let s = snippet(
            body.as_bytes(),
            &vector(body, &terms),
            &[],
            &highlight(&terms),
            &[1.0, 1.0],
            SPACED,
            None,
        );
        assert!(
            s.text
                .to_html()
                .starts_with("To <mark>download</mark> an <mark>invoice</mark>"),
            "{}",
            s.text.to_html()
        );
        assert!(s.matched);
    }

    #[test]
    fn the_cut_keeps_every_match_of_the_chosen_window() {
        let body = "Filler words that say nothing at all here. ".repeat(5)
            + "Deleted articles are removed from the index. The server keeps the previous index. \
               To reset the index, run a full build. "
            + &"More filler text follows here. ".repeat(5);
        let terms = ["reset", "index"];
        let s = snippet(
            body.as_bytes(),
            &vector(&body, &terms),
            &[],
            &highlight(&terms),
            &[0.7, 0.1],
            SPACED,
            None,
        );
        assert!(
            s.text.to_html().contains("<mark>reset</mark>"),
            "{}",
            s.text.to_html()
        );
    }

    #[test]
    fn escapes_article_markup() {
        let body = "Use <script>alert('x')</script> & invoice";
        let s = snippet(
            body.as_bytes(),
            &vector(body, &["invoice"]),
            &[],
            &highlight(&["invoice"]),
            &[1.0],
            SPACED,
            None,
        );
        assert_eq!(
            s.text.to_html(),
            "Use &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; <mark>invoice</mark>"
        );
    }

    #[test]
    fn cjk_snippets_are_short_and_marks_cover_whole_words() {
        let body = "前置きの文です。".repeat(10)
            + "請求書はパートナー センターの課金ページからダウンロードできます。"
            + &"後の文です。".repeat(10);
        let terms = ["請求", "書", "ダウンロード"];
        let s = snippet(
            body.as_bytes(),
            &vector(&body, &terms),
            &[],
            &highlight(&terms),
            &[1.0, 0.5, 1.0],
            UNSPACED,
            None,
        );
        assert!(
            s.text.to_html().starts_with("<mark>請求書</mark>は"),
            "{}",
            s.text.to_html()
        );
        let text = s
            .text
            .to_html()
            .replace("<mark>", "")
            .replace("</mark>", "");
        assert!(text.chars().count() <= 81, "{}", s.text.to_html());
    }

    #[test]
    fn overlapping_matches_become_one_mark() {
        let body = "関西国際空港に着く";
        let tokens = [("関西国際空港", 0, 18), ("関西", 0, 6), ("国際", 6, 12)];
        let vector = TermVector::encode(tokens.iter().map(|&(t, s, e)| (t, s, e)));
        let s = snippet(
            body.as_bytes(),
            &vector,
            &[],
            &highlight(&["関西", "国際"]),
            &[1.0, 1.0],
            UNSPACED,
            None,
        );
        assert_eq!(s.text.to_html(), "<mark>関西国際</mark>空港に着く");
        let s = snippet(
            body.as_bytes(),
            &vector,
            &[],
            &highlight(&["関西国際空港", "国際"]),
            &[1.0, 1.0],
            UNSPACED,
            None,
        );
        assert_eq!(s.text.to_html(), "<mark>関西国際空港</mark>に着く");
    }

    #[test]
    fn no_match_gives_the_beginning() {
        let body = "First words of the article. More.";
        let s = snippet(
            body.as_bytes(),
            &[],
            &[],
            &Highlighter::default(),
            &[],
            SPACED,
            None,
        );
        assert_eq!(s.text.to_html(), "First words of the article. More.");
        assert!(!s.matched);
    }

    #[test]
    fn section_is_the_one_holding_the_passage() {
        let body = "alpha text\nbeta invoice text";
        let sections = vec![
            SectionSpan { start: 0, end: 10 },
            SectionSpan { start: 11, end: 28 },
        ];
        let s = snippet(
            body.as_bytes(),
            &vector(body, &["invoice"]),
            &sections,
            &highlight(&["invoice"]),
            &[1.0],
            SPACED,
            None,
        );
        assert_eq!(s.section, Some(1));
    }

    #[test]
    fn a_section_bounds_the_passage() {
        let body = "alpha invoice text\nbeta section about refunds\ngamma invoice";
        let sections = vec![
            SectionSpan { start: 0, end: 18 },
            SectionSpan { start: 19, end: 45 },
        ];
        let s = snippet(
            body.as_bytes(),
            &vector(body, &["invoice"]),
            &sections,
            &highlight(&["invoice"]),
            &[1.0],
            SPACED,
            Some(19..45),
        );
        assert_eq!(s.text.text, "beta section about refunds");
        assert_eq!(s.section, Some(1));
        assert!(!s.matched);
    }
}
