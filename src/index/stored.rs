//! Compact binary encodings of what an article stores beside its text.
//!
//! - [`TermVector`]: for each distinct body term, a hash of its analyzed text
//!   and the byte ranges of its occurrences in the stored body. Snippets look
//!   the query's terms up in it, without analyzing the body again.
//! - [`SectionTable`]: each section's anchor, heading, level and byte range in
//!   the stored body.
//!
//! Both use LEB128 varints; decoding never panics on bad input (it stops).

use serde::Serialize;

use super::varint;

/// Hash of an analyzed term, as stored in term vectors.
///
/// FNV-1a folded to 32 bits: stable across builds and platforms (the index
/// outlives the binary), and cheap. A collision can only add a stray
/// highlight, never change ranking.
pub fn term_hash(term: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in term.as_bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash ^ (hash >> 32)) as u32
}

fn get_str<'a>(bytes: &'a [u8], at: &mut usize) -> Option<&'a str> {
    super::hitstore::utf8(varint::get_bytes(bytes, at)?)
}

/// One occurrence of a term in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermOccurrence {
    pub hash: u32,
    pub start: u32,
    pub end: u32,
}

/// Encoder/decoder of a document's term vector, term-major so that a
/// snippet looks up the query's few terms instead of scanning every token.
///
/// Layout: `varint(n)`, then `n` fixed entries `u32 hash (LE), u32 offset
/// (LE)` sorted by hash, then for each term at its offset (relative to the
/// end of the table) `varint(count)` and `count` × `varint(start - previous
/// start)`, `varint(len)`, in order of start offset.
pub struct TermVector;

/// Bytes of one entry of the term table.
const ENTRY: usize = 8;

impl TermVector {
    /// Encodes tokens given in any order (alternatives of a word may start
    /// before the word's last part).
    pub fn encode<'a>(tokens: impl IntoIterator<Item = (&'a str, usize, usize)>) -> Vec<u8> {
        let mut tokens: Vec<(u32, usize, usize)> = tokens
            .into_iter()
            .map(|(text, start, end)| (term_hash(text), start, end))
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        let terms = tokens.chunk_by(|a, b| a.0 == b.0).count();
        let mut table = Vec::with_capacity(10 + terms * ENTRY);
        varint::put(&mut table, terms as u64);
        let mut lists = Vec::with_capacity(tokens.len() * 3);
        for occurrences in tokens.chunk_by(|a, b| a.0 == b.0) {
            table.extend_from_slice(&occurrences[0].0.to_le_bytes());
            table.extend_from_slice(&(lists.len() as u32).to_le_bytes());
            varint::put(&mut lists, occurrences.len() as u64);
            let mut previous = 0usize;
            for &(_, start, end) in occurrences {
                varint::put(&mut lists, start.saturating_sub(previous) as u64);
                varint::put(&mut lists, end.saturating_sub(start) as u64);
                previous = start;
            }
        }
        table.extend_from_slice(&lists);
        table
    }

    /// The occurrences of the term with `hash`, in order of start offset.
    /// Empty if the term is absent or the bytes are malformed.
    pub fn occurrences(bytes: &[u8], hash: u32) -> impl Iterator<Item = TermOccurrence> + '_ {
        let found = (|| {
            let (table, lists) = Self::split(bytes)?;
            let (mut lo, mut hi) = (0, table.len() / ENTRY);
            while lo < hi {
                let mid = (lo + hi) / 2;
                let entry = &table[mid * ENTRY..(mid + 1) * ENTRY];
                let h = u32::from_le_bytes(entry[..4].try_into().ok()?);
                match h.cmp(&hash) {
                    std::cmp::Ordering::Less => lo = mid + 1,
                    std::cmp::Ordering::Greater => hi = mid,
                    std::cmp::Ordering::Equal => {
                        let offset = u32::from_le_bytes(entry[4..].try_into().ok()?);
                        return Some((lists, offset as usize));
                    }
                }
            }
            None
        })();
        let (lists, mut at) = found.unwrap_or((&[], 0));
        let mut remaining = varint::get(lists, &mut at).unwrap_or(0);
        let mut previous: u64 = 0;
        std::iter::from_fn(move || {
            if remaining == 0 {
                return None;
            }
            remaining -= 1;
            let start = previous.checked_add(varint::get(lists, &mut at)?)?;
            let len = varint::get(lists, &mut at)?;
            previous = start;
            Some(TermOccurrence {
                hash,
                start: u32::try_from(start).ok()?,
                end: u32::try_from(start.checked_add(len)?).ok()?,
            })
        })
    }

    /// Every occurrence of every term, in order of (start, end); stops at
    /// malformed input.
    pub fn decode(bytes: &[u8]) -> Vec<TermOccurrence> {
        let mut all = Vec::new();
        if let Some((table, _)) = Self::split(bytes) {
            for entry in table.chunks_exact(ENTRY) {
                let hash = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
                all.extend(Self::occurrences(bytes, hash));
            }
        }
        all.sort_by_key(|o| (o.start, o.end));
        all
    }

    /// The term table and the occurrence lists.
    fn split(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
        let mut at = 0;
        let terms = usize::try_from(varint::get(bytes, &mut at)?).ok()?;
        let end = terms.checked_mul(ENTRY)?.checked_add(at)?;
        Some((bytes.get(at..end)?, bytes.get(end..)?))
    }
}

/// A section as stored: where its text lies in the stored body. Its texts
/// are `String`s when built or decoded to keep, `&str`s of the stored
/// bytes when read for one search ([`SectionTable::decode_borrowed`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSection<S = String> {
    pub anchor: S,
    pub heading: S,
    pub level: u8,
    /// Byte range of the section's text in the stored body.
    pub start: u32,
    pub end: u32,
}

/// Where a section's text lies in the stored body, without its texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionSpan {
    pub start: u32,
    pub end: u32,
}

/// Encoder/decoder of a document's section table.
pub struct SectionTable;

impl SectionTable {
    pub fn encode(sections: &[StoredSection]) -> Vec<u8> {
        let mut out = Vec::new();
        varint::put(&mut out, sections.len() as u64);
        for s in sections {
            varint::put_bytes(&mut out, s.anchor.as_bytes());
            varint::put_bytes(&mut out, s.heading.as_bytes());
            out.push(s.level);
            varint::put(&mut out, u64::from(s.start));
            varint::put(&mut out, u64::from(s.end));
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Vec<StoredSection> {
        Self::decode_borrowed(bytes)
            .into_iter()
            .map(|s| StoredSection {
                anchor: s.anchor.to_string(),
                heading: s.heading.to_string(),
                level: s.level,
                start: s.start,
                end: s.end,
            })
            .collect()
    }

    /// Every section's span, its texts skipped (not read, not validated).
    pub fn spans(bytes: &[u8]) -> Vec<SectionSpan> {
        let mut at = 0;
        let Some(count) = varint::get(bytes, &mut at) else {
            return Vec::new();
        };
        let mut spans = Vec::with_capacity((count as usize).min(1024));
        for _ in 0..count {
            let Some(span) = (|| {
                varint::get_bytes(bytes, &mut at)?;
                varint::get_bytes(bytes, &mut at)?;
                at += 1;
                bytes.get(at - 1)?;
                let start = u32::try_from(varint::get(bytes, &mut at)?).ok()?;
                let end = u32::try_from(varint::get(bytes, &mut at)?).ok()?;
                Some(SectionSpan { start, end })
            })() else {
                break;
            };
            spans.push(span);
        }
        spans
    }

    /// Section `index`, its texts borrowed from `bytes` (only its own read
    /// as text).
    pub fn nth(bytes: &[u8], index: usize) -> Option<StoredSection<&str>> {
        let mut at = 0;
        let count = varint::get(bytes, &mut at)?;
        if index as u64 >= count {
            return None;
        }
        for _ in 0..index {
            varint::get_bytes(bytes, &mut at)?;
            varint::get_bytes(bytes, &mut at)?;
            at += 1;
            varint::get(bytes, &mut at)?;
            varint::get(bytes, &mut at)?;
        }
        let anchor = get_str(bytes, &mut at)?;
        let heading = get_str(bytes, &mut at)?;
        let level = *bytes.get(at)?;
        at += 1;
        let start = u32::try_from(varint::get(bytes, &mut at)?).ok()?;
        let end = u32::try_from(varint::get(bytes, &mut at)?).ok()?;
        Some(StoredSection {
            anchor,
            heading,
            level,
            start,
            end,
        })
    }

    /// [`SectionTable::decode`] without copying the texts.
    pub fn decode_borrowed(bytes: &[u8]) -> Vec<StoredSection<&str>> {
        let mut at = 0;
        let Some(count) = varint::get(bytes, &mut at) else {
            return Vec::new();
        };
        let mut sections = Vec::with_capacity((count as usize).min(1024));
        for _ in 0..count {
            let Some(section) = (|| {
                let anchor = get_str(bytes, &mut at)?;
                let heading = get_str(bytes, &mut at)?;
                let level = *bytes.get(at)?;
                at += 1;
                let start = u32::try_from(varint::get(bytes, &mut at)?).ok()?;
                let end = u32::try_from(varint::get(bytes, &mut at)?).ok()?;
                Some(StoredSection {
                    anchor,
                    heading,
                    level,
                    start,
                    end,
                })
            })() else {
                break;
            };
            sections.push(section);
        }
        sections
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_nth_read_what_decode_reads() {
        let sections: Vec<StoredSection> = (0..4u32)
            .map(|i| StoredSection {
                anchor: format!("a{i}"),
                heading: format!("見出し {i}"),
                level: 2,
                start: i * 10,
                end: i * 10 + 9,
            })
            .collect();
        let bytes = SectionTable::encode(&sections);
        assert_eq!(SectionTable::decode(&bytes), sections);
        let spans = SectionTable::spans(&bytes);
        assert_eq!(spans.len(), 4);
        assert_eq!(spans[3], SectionSpan { start: 30, end: 39 });
        let third = SectionTable::nth(&bytes, 2).unwrap();
        assert_eq!((third.anchor, third.heading), ("a2", "見出し 2"));
        assert!(SectionTable::nth(&bytes, 4).is_none());
        assert!(SectionTable::spans(&bytes[..bytes.len() - 1]).len() < 4);
    }

    #[test]
    fn term_vector_round_trips() {
        let tokens = [
            ("請求", 0, 6),
            ("書", 6, 9),
            ("csp", 10, 13),
            ("x", 70_000, 70_001),
        ];
        let bytes = TermVector::encode(tokens.iter().map(|&(t, s, e)| (t, s, e)));
        let decoded = TermVector::decode(&bytes);
        assert_eq!(decoded.len(), 4);
        for (d, (text, start, end)) in decoded.iter().zip(tokens) {
            assert_eq!(
                (d.hash, d.start as usize, d.end as usize),
                (term_hash(text), start, end)
            );
        }
    }

    #[test]
    fn tokens_out_of_order_keep_their_offsets() {
        let bytes = TermVector::encode([("abcd", 0, 12), ("cd", 6, 12), ("abc", 0, 9)]);
        let decoded: Vec<_> = TermVector::decode(&bytes)
            .iter()
            .map(|o| (o.hash, o.start, o.end))
            .collect();
        assert_eq!(
            decoded,
            [
                (term_hash("abc"), 0, 9),
                (term_hash("abcd"), 0, 12),
                (term_hash("cd"), 6, 12)
            ]
        );
    }

    #[test]
    fn truncated_input_decodes_a_prefix_without_panicking() {
        let bytes = TermVector::encode([("a", 0, 1), ("b", 2, 3)]);
        for cut in 0..bytes.len() {
            assert!(TermVector::decode(&bytes[..cut]).len() <= 1);
            let found = TermVector::occurrences(&bytes[..cut], term_hash("b")).count();
            assert!(found <= 1);
        }
        let sections = vec![StoredSection {
            anchor: "a".into(),
            heading: "見出し".into(),
            level: 2,
            start: 0,
            end: 10,
        }];
        let bytes = SectionTable::encode(&sections);
        assert_eq!(SectionTable::decode(&bytes), sections);
        for cut in 0..bytes.len() {
            assert!(SectionTable::decode(&bytes[..cut]).is_empty());
        }
    }

    #[test]
    fn looks_up_one_term_among_many() {
        let words: Vec<String> = (0..500).map(|i| format!("w{}", i % 97)).collect();
        let mut tokens = Vec::new();
        let mut at = 0;
        for w in &words {
            tokens.push((w.as_str(), at, at + w.len()));
            at += w.len() + 1;
        }
        let bytes = TermVector::encode(tokens.iter().copied());
        for probe in ["w0", "w42", "w96"] {
            let expected: Vec<(u32, u32)> = tokens
                .iter()
                .filter(|t| t.0 == probe)
                .map(|t| (t.1 as u32, t.2 as u32))
                .collect();
            let found: Vec<(u32, u32)> = TermVector::occurrences(&bytes, term_hash(probe))
                .map(|o| (o.start, o.end))
                .collect();
            assert_eq!(found, expected);
        }
        assert_eq!(TermVector::occurrences(&bytes, term_hash("w97")).count(), 0);
        assert_eq!(TermVector::decode(&bytes).len(), tokens.len());
    }

    #[test]
    fn hash_is_stable() {
        // The index stores these: changing the function breaks existing indexes.
        assert_eq!(term_hash("csp"), 0xf915_2ec0);
        assert_eq!(term_hash(""), 0x4fd0_bfc1);
        assert_eq!(term_hash("請求"), 0x47e7_f709);
    }
}
