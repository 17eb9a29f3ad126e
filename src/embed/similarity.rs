//! Dot products: of two vectors, and of a query with every row of a matrix
//! (the kernel of the exact scan, [`crate::index::vectors::Vectors::search`]).
//!
//! Each kernel is written once, as a plain loop over fixed-width lanes that
//! the compiler vectorizes, and compiled twice: for x86-64's baseline (SSE2,
//! which every build targets) and for AVX/AVX2, chosen at run time when the
//! CPU has them. The wider registers halve a matrix scan's instructions. With
//! the scan scoring all rows in one call, a locale of the shared corpus
//! (3,400 rows of 384 dimensions) went from 0.22 to 0.10 ms in f32 and from
//! 0.14 to 0.05 ms in int8 (`cargo bench --bench hybrid`; BENCHMARKS.md).
//!
//! Invariant: every path gives the same result, bit for bit. The f32 lanes
//! are summed in the same order everywhere (an AVX register does two SSE
//! registers' work; no fused multiply-add, which rounds once instead of
//! twice), and integer sums are exact in any order. So which CPU serves an
//! index never changes a score or a ranking.

/// Lanes of the f32 accumulators, on every path (the summation order).
const LANES: usize = 8;
/// Lanes of the int8 accumulators: SSE2 multiplies 8 16-bit products at a
/// time, AVX2 16; twice that keeps two multiplies in flight.
const LANES_I8_BASELINE: usize = 16;
#[cfg(target_arch = "x86_64")]
const LANES_I8_AVX2: usize = 32;

/// The dot product of two vectors of the same length (cosine similarity of
/// unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes(a, b)
}

/// The dot product of two rows of signed bytes (int8 vectors before their
/// scales). Exact: integer sums are associative. A row of up to 131,000
/// dimensions cannot overflow (128² each).
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    dot_i8_lanes::<LANES_I8_BASELINE>(a, b)
}

/// `out[i]` = the dot product of `query` with row `i` of `matrix` (rows of
/// `query.len()` values, row-major), for every row `out` has room for.
///
/// Panics if `matrix` holds fewer rows than `out`.
pub fn dots(query: &[f32], matrix: &[f32], out: &mut [f32]) {
    assert!(matrix.len() >= out.len() * query.len(), "matrix too short");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX.
        unsafe { dots_avx(query, matrix, out) };
        return;
    }
    dots_lanes(query, matrix, out);
}

/// `out[i]` = the dot product of `query` with row `i` of `matrix`, whose
/// rows are `stride` bytes each ending with the row's `query.len()` values
/// (an int8 row leads with its scale), for every row `out` has room for.
///
/// Panics if `stride < query.len()` or `matrix` holds fewer rows than `out`.
pub fn dots_i8(query: &[i8], matrix: &[i8], stride: usize, out: &mut [i32]) {
    assert!(stride >= query.len(), "rows shorter than the query");
    assert!(matrix.len() >= out.len() * stride, "matrix too short");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        unsafe { dots_i8_avx2(query, matrix, stride, out) };
        return;
    }
    dots_i8_lanes::<LANES_I8_BASELINE>(query, matrix, stride, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn dots_avx(query: &[f32], matrix: &[f32], out: &mut [f32]) {
    dots_lanes(query, matrix, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dots_i8_avx2(query: &[i8], matrix: &[i8], stride: usize, out: &mut [i32]) {
    dots_i8_lanes::<LANES_I8_AVX2>(query, matrix, stride, out);
}

// The bodies below are inlined into each path, which compiles them for its
// instruction set.

#[inline(always)]
fn dots_lanes(query: &[f32], matrix: &[f32], out: &mut [f32]) {
    if query.is_empty() {
        out.fill(0.0);
        return;
    }
    for (score, row) in out.iter_mut().zip(matrix.chunks_exact(query.len())) {
        *score = dot_lanes(query, row);
    }
}

#[inline(always)]
fn dots_i8_lanes<const L: usize>(query: &[i8], matrix: &[i8], stride: usize, out: &mut [i32]) {
    if stride == 0 {
        out.fill(0);
        return;
    }
    let skip = stride - query.len();
    for (score, row) in out.iter_mut().zip(matrix.chunks_exact(stride)) {
        *score = dot_i8_lanes::<L>(query, &row[skip..]);
    }
}

/// Eight independent lanes over exact chunks (no bounds checks), summed in
/// lane order, then the tail. A single running sum would be scalar, as
/// float addition is not associative.
#[inline(always)]
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut acc = [0.0f32; LANES];
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..LANES {
            acc[lane] += x[lane] * y[lane];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Each product is taken in 16 bits (|−128 × −128| < 2^15) and summed in
/// 32-bit lanes, which the compiler vectorizes as 16-bit multiplies;
/// widening to 32 bits before multiplying made 32-bit multiplies, which
/// SSE2 lacks, and the scan took twice as long.
#[inline(always)]
fn dot_i8_lanes<const L: usize>(a: &[i8], b: &[i8]) -> i32 {
    let (a_chunks, b_chunks) = (a.chunks_exact(L), b.chunks_exact(L));
    let tail: i32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum();
    let mut acc = [0i32; L];
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..L {
            acc[lane] += i32::from(i16::from(x[lane]) * i16::from(y[lane]));
        }
    }
    acc.iter().sum::<i32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::normalize;

    #[test]
    fn normalized_dot_is_cosine() {
        let mut a = vec![3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        normalize(&mut a);
        assert!((dot(&a, &a) - 1.0).abs() < 1e-6);
        let b: Vec<f32> = a.iter().map(|x| -x).collect();
        assert!((dot(&a, &b) + 1.0).abs() < 1e-6);
    }

    #[test]
    fn vectorized_dots_equal_the_plain_sums() {
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 384, 385] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let bytes: Vec<i8> = (0..len).map(|i| ((i * 37) % 255) as i8).collect();
            let other: Vec<i8> = (0..len).map(|i| ((i * 91) % 255) as i8).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() < 1e-4, "{len}");
            let plain: i64 = bytes
                .iter()
                .zip(&other)
                .map(|(&x, &y)| i64::from(x) * i64::from(y))
                .sum();
            assert_eq!(i64::from(dot_i8(&bytes, &other)), plain, "{len}");
        }
        // The largest product, in every lane and the tail.
        let extreme = vec![-128i8; 400];
        assert_eq!(dot_i8(&extreme, &extreme), 400 * 128 * 128);
    }

    /// The scan of a matrix gives, bit for bit, the pairwise products on
    /// this CPU's widest path (the baseline's where it has no AVX).
    #[test]
    fn matrix_scans_equal_the_pairwise_products_bit_for_bit() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for dims in [1, 7, 8, 33, 384, 385] {
            let rows = 50;
            let query: Vec<f32> = (0..dims)
                .map(|_| next() as f32 / u64::MAX as f32 - 0.5)
                .collect();
            let matrix: Vec<f32> = (0..rows * dims)
                .map(|_| next() as f32 / u64::MAX as f32 - 0.5)
                .collect();
            let mut out = vec![f32::NAN; rows];
            dots(&query, &matrix, &mut out);
            for (i, score) in out.iter().enumerate() {
                let row = &matrix[i * dims..(i + 1) * dims];
                assert_eq!(
                    score.to_bits(),
                    dot(&query, row).to_bits(),
                    "{dims}: row {i}"
                );
            }
            // int8 rows behind a 4-byte scale, as the index stores them.
            let stride = dims + 4;
            let query: Vec<i8> = (0..dims).map(|_| next() as i8).collect();
            let mut matrix: Vec<i8> = (0..rows * stride).map(|_| next() as i8).collect();
            matrix[..stride].fill(-128);
            let mut out = vec![0; rows];
            dots_i8(&query, &matrix, stride, &mut out);
            for (i, score) in out.iter().enumerate() {
                let row = &matrix[i * stride + 4..(i + 1) * stride];
                assert_eq!(*score, dot_i8(&query, row), "{dims}: row {i}");
            }
        }
    }
}
