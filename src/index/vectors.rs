//! A generation's vectors: one per article and one per section with a
//! heading, for semantic search, in `vectors.bin` beside the segments.
//!
//! What is embedded (the *recipe*, recorded with the vectors): per article,
//! its title, description and the start of its text, about 1,500
//! characters (600 in languages whose characters are dense in tokens:
//! Japanese, Korean, Chinese — a CJK character costs the model about a
//! token); per section with a heading and text, the title and the heading,
//! and in the [originals' language](Language::ORIGINALS) the section's text
//! too (as much as an article chunk) — so a semantic match can deep-link to
//! the section that answers, and an answer deep in an article is seen.
//! Translations read their sections' text through their originals' vectors
//! ([`crate::search::fusion::Fusion::originals`]): embedding every locale's
//! section text would cost about eight times as much. This recipe was
//! chosen on the judged needs within the first build's budget (30 minutes
//! for the shared corpus on 2 cores; it takes 21): a long article chunk
//! found the judged articles better than short chunks or their mean,
//! headings add where the answer is, and the originals' section text adds
//! to both (docs/benchmarks-history.md). Every chunk's punctuation is
//! plain, as readers type it ([`plain_punctuation`]): a site's typographer
//! does not change what the model reads.
//!
//! With the vectors, each article's *neighbours*: the similarities of its
//! article vector to the [`NEIGHBOURS`] nearest other articles of the
//! generation, which measure its *hubness* (see [`Scoring::hub_penalty`]).
//! They are computed at write time, an exact all-pairs scan over the
//! articles as a blocked matrix product (quadratic, but in cache: writing
//! the file takes 0.01 s for the shared corpus's 340 articles a locale,
//! 0.14–0.19 s at 10×, 2.9–4.1 s at 50×; row by row it was 46 s at 50×;
//! docs/benchmarks-history.md).
//!
//! Layout: magic `KSKVEC02`, then a header (varints: dimensions, format,
//! rows, the article-id table, each row's article and section, and the
//! neighbours kept per article followed by that many `f32` per article, in
//! id order), padded to 4 bytes, then the vectors, row-major: `f32`
//! little-endian, or for [`VectorFormat::Int8`] one `f32` scale and
//! `dimensions` signed bytes per row. Files of the first layout
//! (`KSKVEC01`) have no neighbours and are still read. The file is
//! memory-mapped; search is an exact scan (see [`Vectors::search`]).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use tantivy::directory::{Directory, MmapDirectory, OwnedBytes};

use crate::analysis::filters::plain_punctuation;
use crate::embed::EmbedderIdentity;
use crate::embed::similarity::{dots, dots_i8};
use crate::locale::Language;

use super::hitstore::{self, HitRecord};
use super::stored::SectionTable;
use super::varint;

/// File name inside a generation.
pub const FILE_NAME: &str = "vectors.bin";
const MAGIC: &[u8; 8] = b"KSKVEC02";
/// The layout before neighbours.
const MAGIC_V1: &[u8; 8] = b"KSKVEC01";
/// Nearest-neighbour similarities kept per article, the most
/// [`Scoring::hub_neighbours`] can use.
pub const NEIGHBOURS: usize = 10;

/// Version of what a generation's vectors are — the chunking recipe below
/// and what is stored with them (the neighbours); part of their identity:
/// a build rewrites vectors of another recipe (from the cache).
pub const RECIPE: u32 = 5;
/// Characters of a chunk (an article's, an English section's), and in
/// token-dense languages.
const CHUNK_CHARS: usize = 1500;
const CHUNK_CHARS_DENSE: usize = 600;

/// How vectors are stored.
///
/// int8 is the default: the exact scan reads every row of two locales per
/// query (its own and the English originals'), and once a deployment's
/// vectors outgrow the CPU's cache it is bound by the memory's bandwidth,
/// not by arithmetic. int8 reads a quarter of f32's bytes. On the shared
/// corpus (8 locales of 5.2 MB in f32, beyond a 32 MB L3) a hybrid search
/// on a cached query vector took p50 0.59 / p99 1.05 ms over f32 and 0.37 /
/// 0.77 ms over int8, and at the shipped weights the two rank alike
/// (BENCHMARKS.md).
/// Elasticsearch quantizes dense vectors by default for the same reasons.
/// f32 stays as the exact reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum VectorFormat {
    /// 4 bytes per dimension.
    F32,
    /// 1 byte per dimension and a scale per vector (each vector's largest
    /// magnitude at ±127).
    #[default]
    Int8,
}

impl VectorFormat {
    fn code(self) -> u64 {
        match self {
            VectorFormat::F32 => 0,
            VectorFormat::Int8 => 1,
        }
    }

    fn row_bytes(self, dimensions: usize) -> usize {
        match self {
            VectorFormat::F32 => dimensions * 4,
            VectorFormat::Int8 => 4 + dimensions,
        }
    }
}

/// What a generation's manifest records of its vectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorsInfo {
    pub embedder: EmbedderIdentity,
    pub recipe: u32,
    pub format: VectorFormat,
    pub rows: u64,
}

/// One text to embed: an article's, or one of its sections'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub article: String,
    /// Index in the article's section table; `None` for the article chunk.
    pub section: Option<u16>,
    pub text: String,
}

/// The chunks of one article, from its hit-store record, in `language`.
pub fn chunks(record: &HitRecord<'_>, language: Language) -> Vec<Chunk> {
    let budget = if language.spec().dense {
        CHUNK_CHARS_DENSE
    } else {
        CHUNK_CHARS
    };
    let sections = SectionTable::decode(record.sections);
    let mut chunks = Vec::with_capacity(sections.len() + 1);
    let mut article = format!("{}\n{}\n", record.title, record.description);
    article.push_str(hitstore::str_at(record.body, 0, budget * 4).1);
    chunks.push(Chunk {
        article: record.id.to_string(),
        section: None,
        text: plain(cut(&article, budget)),
    });
    for (i, section) in sections.iter().enumerate() {
        // A chunk takes at most `budget` characters of at most 4 bytes.
        let end = (section.end as usize).min(section.start as usize + budget * 4);
        let section_text = hitstore::str_at(record.body, section.start as usize, end).1;
        let has_text = !section_text.trim().is_empty();
        if section.heading.is_empty() || !has_text || i > u16::MAX as usize {
            continue;
        }
        let mut text = format!("{} — {}", record.title, section.heading);
        if language == Language::ORIGINALS {
            text.push('\n');
            text.push_str(section_text);
            text = cut(&text, budget);
        }
        chunks.push(Chunk {
            article: record.id.to_string(),
            section: Some(i as u16),
            text: plain(text),
        });
    }
    chunks
}

/// `text` with [`plain_punctuation`], copied only when that changes it.
fn plain(text: String) -> String {
    match plain_punctuation(&text) {
        std::borrow::Cow::Owned(plain) => plain,
        std::borrow::Cow::Borrowed(_) => text,
    }
}

/// `text` cut to at most `chars` characters, at a space when one is near,
/// with line breaks as spaces.
fn cut(text: &str, chars: usize) -> String {
    let text: String = text
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .take(chars)
        .collect();
    if text.chars().count() < chars {
        return text.trim().to_string();
    }
    match text.rfind(' ') {
        Some(space) if space > text.len() * 3 / 4 => text[..space].trim().to_string(),
        _ => text.trim().to_string(),
    }
}

/// Writes `vectors.bin`: `rows[i]` (article id, section) has `vectors[i]`.
pub fn write(
    dir: &Path,
    rows: &[(String, Option<u16>)],
    vectors: &[&[f32]],
    dimensions: usize,
    format: VectorFormat,
) -> io::Result<()> {
    assert_eq!(rows.len(), vectors.len());
    // The neighbour table's matrix product reads every vector as
    // `dimensions` floats.
    assert!(vectors.iter().all(|v| v.len() == dimensions));
    let mut ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut header = MAGIC.to_vec();
    varint::put(&mut header, dimensions as u64);
    varint::put(&mut header, format.code());
    varint::put(&mut header, ids.len() as u64);
    for id in &ids {
        varint::put_bytes(&mut header, id.as_bytes());
    }
    varint::put(&mut header, rows.len() as u64);
    for (id, section) in rows {
        let article = ids.binary_search(&id.as_str()).expect("listed") as u64;
        varint::put(&mut header, article);
        varint::put(&mut header, section.map_or(0, |s| u64::from(s) + 1));
    }
    let (per_article, neighbours) = neighbour_table(&ids, rows, vectors, dimensions);
    varint::put(&mut header, per_article as u64);
    for similarity in neighbours {
        header.extend_from_slice(&similarity.to_le_bytes());
    }
    while !header.len().is_multiple_of(4) {
        header.push(0);
    }
    // Written aside and renamed: a file of the same name is never written
    // through (it could be a link to another generation's).
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    let mut file = io::BufWriter::new(File::create(&tmp)?);
    file.write_all(&header)?;
    for vector in vectors {
        match format {
            VectorFormat::F32 => {
                for x in *vector {
                    file.write_all(&x.to_le_bytes())?;
                }
            }
            VectorFormat::Int8 => {
                let (scale, values) = quantize(vector);
                file.write_all(&scale.to_le_bytes())?;
                let bytes: Vec<u8> = values.iter().map(|&x| x as u8).collect();
                file.write_all(&bytes)?;
            }
        }
    }
    file.flush()?;
    file.get_ref().sync_all()?;
    std::fs::rename(&tmp, dir.join(FILE_NAME))
}

/// `vector` as signed bytes and the scale that brings them back:
/// `vector[i] ≈ scale · values[i]`, the largest magnitude at ±127.
fn quantize(vector: &[f32]) -> (f32, Vec<i8>) {
    let max = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    let values = vector
        .iter()
        .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (scale, values)
}

/// The neighbour table of `vectors.bin`: for each id of `ids` (sorted, as
/// the header lists them), the similarities of its article vector to its
/// `per_article` nearest other article vectors, most similar first, where
/// `per_article` is [`NEIGHBOURS`] or fewer when there are not as many other
/// articles. An article without an article row has similarities 0: no
/// hubness, no penalty (a build gives every article one).
///
/// An exact all-pairs scan of the article vectors: their Gram matrix, one
/// block of rows at a time (a matrix product, `matrixmultiply`'s sgemm,
/// keeps the other vectors in cache where row-by-row dot products stream
/// them all from memory once per article), blocks on every core.
///
/// Every vector has `dimensions` floats (checked: the product relies on it).
fn neighbour_table(
    ids: &[&str],
    rows: &[(String, Option<u16>)],
    vectors: &[&[f32]],
    dimensions: usize,
) -> (usize, Vec<f32>) {
    use rayon::prelude::*;
    /// Rows of the Gram matrix per block: `BLOCK × articles` floats each.
    const BLOCK: usize = 128;
    let articles: Vec<(usize, &[f32])> = rows
        .iter()
        .zip(vectors)
        .filter(|((_, section), _)| section.is_none())
        .map(|((id, _), v)| (ids.binary_search(&id.as_str()).expect("listed"), *v))
        .collect();
    let per_article = NEIGHBOURS.min(articles.len().saturating_sub(1));
    let mut table = vec![0.0; ids.len() * per_article];
    if per_article == 0 || dimensions == 0 {
        return (per_article, table);
    }
    let n = articles.len();
    // Row-major, one article vector per row.
    let packed: Vec<f32> = articles
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    assert_eq!(
        packed.len(),
        n * dimensions,
        "every vector has the dimensions"
    );
    let nearest: Vec<Vec<f32>> = packed
        .par_chunks(BLOCK * dimensions)
        .enumerate()
        .flat_map_iter(|(block, block_rows)| {
            let m = block_rows.len() / dimensions;
            let mut gram = vec![0.0f32; m * n];
            // SAFETY: `block_rows` is m × dimensions and `packed` (read
            // transposed, dimensions × n) n × dimensions, both row-major;
            // `gram` is m × n; the strides stay within each.
            unsafe {
                matrixmultiply::sgemm(
                    m,
                    dimensions,
                    n,
                    1.0,
                    block_rows.as_ptr(),
                    dimensions as isize,
                    1,
                    packed.as_ptr(),
                    1,
                    dimensions as isize,
                    0.0,
                    gram.as_mut_ptr(),
                    n as isize,
                    1,
                );
            }
            (0..m)
                .map(|r| {
                    let mut similarities = gram[r * n..(r + 1) * n].to_vec();
                    // Not its own neighbour.
                    similarities.swap_remove(block * BLOCK + r);
                    if similarities.len() > per_article {
                        similarities.select_nth_unstable_by(per_article, |a, b| b.total_cmp(a));
                        similarities.truncate(per_article);
                    }
                    similarities.sort_by(|a, b| b.total_cmp(a));
                    similarities
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for ((id, _), similarities) in articles.iter().zip(nearest) {
        table[id * per_article..(id + 1) * per_article].copy_from_slice(&similarities);
    }
    (per_article, table)
}

/// How [`Vectors::search`] scores an article from its rows' similarities.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scoring {
    /// How much an article's best section adds to its own vector's
    /// similarity.
    pub section_weight: f32,
    /// How much an article's *hubness* — the mean similarity of its article
    /// vector to its [`Self::hub_neighbours`] nearest articles — lowers its
    /// score, in units of its similarity (times `1 + section_weight`, the
    /// scale of a score). An article close to many others (an overview, a
    /// table of contents, the generic member of a family of articles) is
    /// close to every query of their topic and would otherwise win them
    /// all: the hubness problem of nearest-neighbour search in embedding
    /// spaces, corrected as CSLS does (Conneau et al., 2018, "Word
    /// translation without parallel data").
    pub hub_penalty: f32,
    /// Neighbours whose similarities make an article's hubness, up to
    /// [`NEIGHBOURS`] (more count as that many; 0 means no penalty).
    pub hub_neighbours: usize,
}

/// A generation's vectors, memory-mapped.
pub struct Vectors {
    bytes: OwnedBytes,
    dimensions: usize,
    format: VectorFormat,
    ids: Vec<String>,
    /// Per row: (index into `ids`, section + 1 or 0 for the article chunk).
    rows: Vec<(u32, u32)>,
    /// Byte offset of the first vector.
    data: usize,
    /// Neighbour similarities kept per article (0 in the first layout).
    neighbours_per_article: usize,
    /// The neighbour table: `neighbours_per_article` similarities per
    /// article, in `ids` order, most similar first.
    neighbours: Vec<f32>,
}

/// An article's semantic match.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleMatch<'a> {
    pub id: &'a str,
    /// The article vector's similarity plus `section_weight` times its
    /// best section's, less its hub penalty (see [`Vectors::search`]); may
    /// be negative.
    pub score: f32,
    /// Its most similar section, if it has sections.
    pub section: Option<u16>,
}

impl Vectors {
    /// Opens `dir/vectors.bin`; `None` if the generation has none.
    pub fn open(dir: &Path) -> io::Result<Option<Vectors>> {
        if !dir.join(FILE_NAME).is_file() {
            return Ok(None);
        }
        let invalid = |what: &str| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {what}", dir.join(FILE_NAME).display()),
            )
        };
        let directory = MmapDirectory::open(dir).map_err(io::Error::other)?;
        let bytes = directory
            .open_read(Path::new(FILE_NAME))
            .map_err(io::Error::other)?
            .read_bytes()?;
        let b = bytes.as_slice();
        let first_layout = b.starts_with(MAGIC_V1);
        if !b.starts_with(MAGIC) && !first_layout {
            return Err(invalid("not a kensaku vectors file"));
        }
        let mut at = MAGIC.len();
        let mut next = || varint::get(b, &mut at).ok_or_else(|| invalid("truncated header"));
        let dimensions = next()?;
        // Far above any model's; a corrupt header must not overflow sizes.
        if dimensions == 0 || dimensions > 1 << 16 {
            return Err(invalid("dimensions out of range"));
        }
        let dimensions = dimensions as usize;
        let format = match next()? {
            0 => VectorFormat::F32,
            1 => VectorFormat::Int8,
            _ => return Err(invalid("unknown format")),
        };
        let count = next()? as usize;
        let mut ids = Vec::with_capacity(count.min(1 << 20));
        for _ in 0..count {
            let id = varint::get_bytes(b, &mut at).ok_or_else(|| invalid("truncated ids"))?;
            ids.push(String::from_utf8(id.to_vec()).map_err(|_| invalid("id not UTF-8"))?);
        }
        let rows_len = varint::get(b, &mut at).ok_or_else(|| invalid("truncated"))? as usize;
        let mut rows = Vec::with_capacity(rows_len.min(1 << 24));
        for _ in 0..rows_len {
            let article = varint::get(b, &mut at).ok_or_else(|| invalid("truncated rows"))?;
            let section = varint::get(b, &mut at).ok_or_else(|| invalid("truncated rows"))?;
            if article as usize >= ids.len() {
                return Err(invalid("row names no article"));
            }
            rows.push((article as u32, section as u32));
        }
        let mut neighbours_per_article = 0;
        let mut neighbours = Vec::new();
        if !first_layout {
            let per_article = varint::get(b, &mut at).ok_or_else(|| invalid("truncated"))?;
            if per_article > NEIGHBOURS as u64 {
                return Err(invalid("too many neighbours"));
            }
            neighbours_per_article = per_article as usize;
            let end = ids
                .len()
                .checked_mul(neighbours_per_article * 4)
                .and_then(|len| at.checked_add(len));
            let bytes = end
                .and_then(|end| b.get(at..end))
                .ok_or_else(|| invalid("truncated neighbours"))?;
            neighbours = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            // Similarities of unit vectors: anything else (NaN sorts first)
            // would put a corrupt article anywhere.
            if neighbours.iter().any(|s| !(-1.01..=1.01).contains(s)) {
                return Err(invalid("neighbour similarity out of range"));
            }
            at += bytes.len();
        }
        let data = at.div_ceil(4) * 4;
        let size = rows
            .len()
            .checked_mul(format.row_bytes(dimensions))
            .and_then(|vectors| vectors.checked_add(data));
        if size != Some(b.len()) {
            return Err(invalid("size does not match its header"));
        }
        Ok(Some(Vectors {
            bytes,
            dimensions,
            format,
            ids,
            rows,
            data,
            neighbours_per_article,
            neighbours,
        }))
    }

    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Bytes of the file.
    pub fn size_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Every row's similarity with `query` (a unit vector of this file's
    /// dimensions), in row order: one pass of the matrix kernel over the
    /// mapped rows.
    fn similarities(&self, query: &[f32]) -> Vec<f32> {
        let data = &self.bytes.as_slice()[self.data..];
        let mut scores = vec![0.0f32; self.rows.len()];
        match self.format {
            VectorFormat::F32 => {
                // SAFETY: every bit pattern is a valid f32. The data starts at
                // a multiple of 4 of a page-aligned mapping, so the prefix is
                // empty; the fallback below covers any other case.
                let (prefix, values, _) = unsafe { data.align_to::<f32>() };
                if prefix.is_empty() && cfg!(target_endian = "little") {
                    dots(query, values, &mut scores);
                } else {
                    let values: Vec<f32> = data
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    dots(query, &values, &mut scores);
                }
            }
            VectorFormat::Int8 => {
                // The query quantized like the rows: a row's similarity is an
                // integer dot product times both scales.
                let (query_scale, query) = quantize(query);
                let stride = self.format.row_bytes(self.dimensions);
                // SAFETY: i8 and u8 have the same size and alignment.
                let (_, values, _) = unsafe { data.align_to::<i8>() };
                let mut products = vec![0i32; self.rows.len()];
                dots_i8(&query, values, stride, &mut products);
                for ((score, product), row) in scores
                    .iter_mut()
                    .zip(products)
                    .zip(data.chunks_exact(stride))
                {
                    let scale = f32::from_le_bytes([row[0], row[1], row[2], row[3]]);
                    *score = product as f32 * scale * query_scale;
                }
            }
        }
        scores
    }

    /// An article's hubness: the mean similarity to its `neighbours`
    /// nearest articles (0 when none are kept or asked for).
    fn hubness(&self, article: usize, neighbours: usize) -> f32 {
        let k = neighbours.min(self.neighbours_per_article);
        if k == 0 {
            return 0.0;
        }
        let start = article * self.neighbours_per_article;
        self.neighbours[start..start + k].iter().sum::<f32>() / k as f32
    }

    /// The `k` articles most similar to `query` (a unit vector of this
    /// file's dimensions), best first. An article scores its own vector's
    /// similarity plus `section_weight` times its best section's (the
    /// article's, if it has none) — the whole article, and the passage that
    /// answers — less its hub penalty ([`Scoring::hub_penalty`]).
    ///
    /// An exact scan: a few thousand rows per locale cost well under a
    /// millisecond (see docs/benchmarks-history.md for 1×/10×/50×).
    pub fn search(&self, query: &[f32], k: usize, scoring: &Scoring) -> Vec<ArticleMatch<'_>> {
        let Scoring {
            section_weight,
            hub_penalty,
            hub_neighbours,
        } = *scoring;
        if query.len() != self.dimensions || k == 0 {
            return Vec::new();
        }
        const NONE: f32 = f32::NEG_INFINITY;
        // Per article: (its own row's similarity, best section's, which).
        let mut best: Vec<(f32, f32, u32)> = vec![(NONE, NONE, 0); self.ids.len()];
        for (&(article, section), score) in self.rows.iter().zip(self.similarities(query)) {
            let slot = &mut best[article as usize];
            if section == 0 {
                slot.0 = score;
            } else if score > slot.1 {
                slot.1 = score;
                slot.2 = section;
            }
        }
        let mut matches: Vec<ArticleMatch<'_>> = best
            .into_iter()
            .enumerate()
            .filter(|(_, (own, section, _))| own.is_finite() || section.is_finite())
            .map(|(a, (own, section, which))| {
                let own = if own.is_finite() { own } else { section };
                let section_score = if section.is_finite() { section } else { own };
                let hub = if hub_penalty > 0.0 {
                    hub_penalty * (1.0 + section_weight) * self.hubness(a, hub_neighbours)
                } else {
                    0.0
                };
                ArticleMatch {
                    id: &self.ids[a],
                    score: own + section_weight * section_score - hub,
                    section: which.checked_sub(1).map(|s| s as u16),
                }
            })
            .collect();
        // Best first, ties by id: a total order (ids are unique), so the top
        // `k` selected and then sorted are the full sort's first `k`.
        let order = |a: &ArticleMatch<'_>, b: &ArticleMatch<'_>| {
            b.score.total_cmp(&a.score).then(a.id.cmp(b.id))
        };
        if matches.len() > k {
            matches.select_nth_unstable_by(k - 1, order);
            matches.truncate(k);
        }
        matches.sort_unstable_by(order);
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{dot, normalize};
    use crate::index::stored::StoredSection;

    fn sections(section_weight: f32) -> Scoring {
        Scoring {
            section_weight,
            ..Scoring::default()
        }
    }

    fn unit(v: &[f32]) -> Vec<f32> {
        let mut v = v.to_vec();
        normalize(&mut v);
        v
    }

    #[test]
    fn best_chunk_scores_its_article_in_both_formats() {
        for format in [VectorFormat::F32, VectorFormat::Int8] {
            let dir = tempfile::tempdir().unwrap();
            let rows = vec![
                ("a.md".to_string(), None),
                ("a.md".to_string(), Some(2)),
                ("b.md".to_string(), None),
                ("b.md".to_string(), Some(1)),
            ];
            let vectors = [
                unit(&[1.0, 0.0, 0.0]),
                unit(&[0.0, 1.0, 0.0]),
                unit(&[0.0, 0.8, 0.6]),
                unit(&[0.0, 0.0, 1.0]),
            ];
            let refs: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
            write(dir.path(), &rows, &refs, 3, format).unwrap();
            let v = Vectors::open(dir.path()).unwrap().unwrap();
            assert_eq!(v.rows(), 4);
            // a.md: 0 + 1 × its section 2; b.md: 0.8 + 1 × 0.
            let m = v.search(&unit(&[0.0, 1.0, 0.0]), 10, &sections(1.0));
            assert_eq!(m[0].id, "a.md", "{format:?}: {m:?}");
            assert_eq!(m[0].section, Some(2));
            assert!((m[0].score - 1.0).abs() < 0.02, "{m:?}");
            assert_eq!(m[1].id, "b.md");
            // Without the sections' weight, b.md's own vector is closer.
            let m = v.search(&unit(&[0.0, 1.0, 0.0]), 10, &sections(0.0));
            assert_eq!(m[0].id, "b.md", "{m:?}");
            assert_eq!(m[1].section, Some(2), "the best section is still named");
        }
    }

    /// The blocked Gram matrix gives what comparing every pair of article
    /// vectors one by one gives, across blocks, with sections skipped.
    #[test]
    fn the_neighbour_table_is_the_exact_all_pairs_scan() {
        // More articles than two blocks; a deterministic spread of vectors.
        let n = 300;
        let mut state = 0x2545_f491_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 2001) as f32 / 1000.0 - 1.0
        };
        let mut rows = Vec::new();
        let mut vectors = Vec::new();
        for i in 0..n {
            rows.push((format!("{i:03}.md"), None));
            vectors.push(unit(&(0..16).map(|_| next()).collect::<Vec<_>>()));
            if i % 7 == 0 {
                rows.push((format!("{i:03}.md"), Some(1)));
                vectors.push(unit(&(0..16).map(|_| next()).collect::<Vec<_>>()));
            }
        }
        let ids: Vec<&str> = rows
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(id, _)| id.as_str())
            .collect();
        let refs: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
        let (per_article, table) = neighbour_table(&ids, &rows, &refs, 16);
        assert_eq!(per_article, NEIGHBOURS);
        let articles: Vec<&[f32]> = rows
            .iter()
            .zip(&refs)
            .filter(|((_, s), _)| s.is_none())
            .map(|(_, v)| *v)
            .collect();
        for (i, a) in articles.iter().enumerate() {
            let mut expected: Vec<f32> = articles
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, b)| dot(a, b))
                .collect();
            expected.sort_by(|a, b| b.total_cmp(a));
            let got = &table[i * per_article..(i + 1) * per_article];
            for (g, e) in got.iter().zip(&expected[..per_article]) {
                assert!((g - e).abs() < 1e-5, "article {i}: {got:?} vs {expected:?}");
            }
        }
    }

    /// `hub.md` equally close to every other article; x, y and z close only
    /// to the hub; written in `format`.
    fn hub_and_spokes(dir: &Path, format: VectorFormat) -> Vec<Vec<f32>> {
        let rows: Vec<(String, Option<u16>)> = ["hub.md", "x.md", "y.md", "z.md"]
            .iter()
            .map(|id| (id.to_string(), None))
            .collect();
        let vectors = vec![
            unit(&[1.0, 1.0, 1.0]),
            unit(&[1.0, 0.0, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
        ];
        let refs: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
        write(dir, &rows, &refs, 3, format).unwrap();
        vectors
    }

    #[test]
    fn an_article_close_to_many_others_pays_for_its_hubness() {
        for format in [VectorFormat::F32, VectorFormat::Int8] {
            let dir = tempfile::tempdir().unwrap();
            hub_and_spokes(dir.path(), format);
            let v = Vectors::open(dir.path()).unwrap().unwrap();
            let third = 1.0 / 3f32.sqrt();
            assert!((v.hubness(0, 3) - third).abs() < 1e-5);
            assert!(
                (v.hubness(1, 1) - third).abs() < 1e-5,
                "x's nearest is the hub"
            );
            assert!((v.hubness(1, 3) - third / 3.0).abs() < 1e-5);
            assert!((v.hubness(1, 99) - third / 3.0).abs() < 1e-5, "3 are kept");
            assert_eq!(v.hubness(1, 0), 0.0);
            let query = unit(&[1.0, 0.5, 0.5]);
            assert_eq!(v.search(&query, 4, &sections(0.0))[0].id, "hub.md");
            let penalised = Scoring {
                hub_penalty: 1.0,
                hub_neighbours: 3,
                ..Scoring::default()
            };
            let m = v.search(&query, 4, &penalised);
            assert_eq!(m[0].id, "x.md", "{format:?}: {m:?}");
            let expected = query[0] - third / 3.0;
            assert!((m[0].score - expected).abs() < 0.01, "{format:?}: {m:?}");
        }
    }

    #[test]
    fn files_of_the_first_layout_are_read_without_neighbours() {
        let dir = tempfile::tempdir().unwrap();
        let vectors = hub_and_spokes(dir.path(), VectorFormat::F32);
        // The first layout: no neighbour count or table after the rows.
        let mut file = MAGIC_V1.to_vec();
        for value in [3, 0, 4] {
            varint::put(&mut file, value);
        }
        for id in ["hub.md", "x.md", "y.md", "z.md"] {
            varint::put_bytes(&mut file, id.as_bytes());
        }
        varint::put(&mut file, 4);
        for article in 0..4 {
            varint::put(&mut file, article);
            varint::put(&mut file, 0);
        }
        while !file.len().is_multiple_of(4) {
            file.push(0);
        }
        for x in vectors.iter().flatten() {
            file.extend_from_slice(&x.to_le_bytes());
        }
        std::fs::write(dir.path().join(FILE_NAME), &file).unwrap();
        let v = Vectors::open(dir.path()).unwrap().unwrap();
        assert_eq!(v.rows(), 4);
        assert_eq!(v.hubness(0, 3), 0.0, "no neighbours, no penalty");
        let penalised = Scoring {
            hub_penalty: 1.0,
            hub_neighbours: 3,
            ..Scoring::default()
        };
        let m = v.search(&unit(&[1.0, 0.5, 0.5]), 4, &penalised);
        assert_eq!(m[0].id, "hub.md");
    }

    #[test]
    fn a_corrupt_neighbour_table_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        hub_and_spokes(dir.path(), VectorFormat::F32);
        let path = dir.path().join(FILE_NAME);
        let good = std::fs::read(&path).unwrap();
        let first = Vectors::open(dir.path()).unwrap().unwrap().neighbours[0];
        let at = good
            .windows(4)
            .position(|w| w == first.to_le_bytes())
            .expect("the table holds the hub's nearest similarity");
        let mut bad = good.clone();
        bad[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        std::fs::write(&path, &bad).unwrap();
        let error = Vectors::open(dir.path()).err().expect("a NaN similarity");
        assert!(error.to_string().contains("neighbour"), "{error}");
        // Cut inside the table.
        std::fs::write(&path, &good[..at + 2]).unwrap();
        assert!(Vectors::open(dir.path()).is_err());
    }

    /// A hit-store record of an article with `sections` over `body`.
    fn record<'a>(
        title: &'a str,
        description: &'a str,
        sections: &'a [u8],
        body: &'a str,
    ) -> HitRecord<'a> {
        HitRecord {
            id: "article.md",
            url: "",
            title,
            description,
            sections,
            termvec: &[],
            body: body.as_bytes(),
        }
    }

    #[test]
    fn sections_of_originals_carry_their_text_and_translations_their_heading() {
        let body = "Lead paragraph. Late payments are charged a fee of 1.5% per month.";
        let fee = body.find("Late").unwrap() as u32;
        let sections = SectionTable::encode(&[StoredSection {
            anchor: "fees".into(),
            heading: "Fees".into(),
            level: 2,
            start: fee,
            end: body.len() as u32,
        }]);
        let record = record("Billing", "How billing works", &sections, body);
        let original = chunks(&record, Language::ORIGINALS);
        assert_eq!(original.len(), 2);
        assert_eq!(original[0].section, None);
        assert!(
            original[0]
                .text
                .starts_with("Billing How billing works Lead")
        );
        assert_eq!(original[1].section, Some(0));
        assert_eq!(
            original[1].text,
            "Billing — Fees Late payments are charged a fee of 1.5% per month."
        );
        let translation = chunks(&record, Language::Ja);
        assert_eq!(translation[1].text, "Billing — Fees");
    }

    #[test]
    fn chunks_read_a_typographers_punctuation_as_typed() {
        let body = "The partner’s “incentives” renew…";
        let sections = SectionTable::encode(&[StoredSection {
            anchor: "renewal".into(),
            heading: "Renewal’s dates".into(),
            level: 2,
            start: 0,
            end: body.len() as u32,
        }]);
        let record = record("Partner’s renewal", "", &sections, body);
        let texts: Vec<String> = chunks(&record, Language::ORIGINALS)
            .into_iter()
            .map(|c| c.text)
            .collect();
        assert_eq!(
            texts,
            [
                "Partner's renewal  The partner's \"incentives\" renew...",
                "Partner's renewal — Renewal's dates The partner's \"incentives\" renew..."
            ]
        );
    }

    #[test]
    fn chunks_cut_to_the_recipe() {
        assert_eq!(cut("one two three", 100), "one two three");
        let long = "word ".repeat(100);
        assert!(cut(&long, 50).chars().count() <= 50);
        assert!(!cut(&long, 50).ends_with(' '));
    }
}
