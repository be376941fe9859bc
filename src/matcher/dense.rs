//! Semantic retrieval: one unit vector per stored phrasing, kept as 8-bit
//! integers with a scale per row (a quarter of the memory of `f32`, cosine
//! within ~0.01), searched exhaustively. The vectors come from an
//! [`Encoder`]; the matcher does not know what model made them.

use std::fmt::Debug;

/// Why an [`Encoder`] could not embed text: the model's own words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EncodeError(pub String);

/// A text as the encoder reads it: one unit vector for the whole text and,
/// when asked for, one for each of its tokens (in context) with the token's
/// id in the encoder's vocabulary, for token evidence
/// ([`super::tokens::TokenIndex`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embedding {
    pub vector: Vec<f32>,
    pub tokens: Vec<(u32, Vec<f32>)>,
}

/// Turns text into unit vectors of one fixed length.
pub trait Encoder: Send + Sync + Debug {
    /// Vectors for stored text (phrasings), in order, with their tokens'
    /// when `tokens`; an implementation may cache them, since the same text
    /// is embedded at every load.
    fn encode_stored(&self, texts: &[&str], tokens: bool) -> Result<Vec<Embedding>, EncodeError>;
    /// The vectors of one message, its tokens' too. Never cached: messages
    /// are what people asked, and stay out of any file.
    fn encode_query(&self, text: &str) -> Result<Embedding, EncodeError>;
    /// Length of every vector.
    fn dim(&self) -> usize;
}

/// Vectors of stored phrasings, and of texts standing for a whole document,
/// grouped by the document they belong to.
#[derive(Debug, Default)]
pub struct DenseIndex {
    dim: usize,
    /// Row-major, `dim` values a row.
    rows: Vec<i8>,
    /// Each row's scale: value ≈ `rows[i] as f32 * scale`.
    scales: Vec<f32>,
    /// For document `d`, its rows are `starts[d]..starts[d + 1]`.
    starts: Vec<u32>,
    /// How many of document `d`'s rows are phrasings (the first ones); the
    /// rest stand for the document as a whole.
    phrasings: Vec<u32>,
}

impl DenseIndex {
    /// Builds the index from each document's vectors (documents in order).
    pub fn new(dim: usize, documents: impl IntoIterator<Item = Vec<Vec<f32>>>) -> DenseIndex {
        let mut index = DenseIndex::empty(dim);
        for vectors in documents {
            index.push_document(vectors.iter().map(Vec::as_slice));
        }
        index.finish();
        index
    }

    /// An index of no documents, to [`DenseIndex::push_document`] into.
    pub fn empty(dim: usize) -> DenseIndex {
        DenseIndex { dim, starts: vec![0], ..Default::default() }
    }

    /// Adds the next document's phrasing vectors.
    pub fn push_document<'a>(&mut self, vectors: impl IntoIterator<Item = &'a [f32]>) {
        self.push_document_with(vectors, []);
    }

    /// Adds the next document: its phrasings' vectors, then vectors of
    /// texts that stand for the whole document (an entry's question with
    /// its answer). Both count for how near a message is to the document;
    /// only phrasings count for how alike two documents are
    /// ([`DenseIndex::between`]), since two answers on one subject are
    /// alike however different their questions.
    pub fn push_document_with<'a>(
        &mut self,
        phrasings: impl IntoIterator<Item = &'a [f32]>,
        whole: impl IntoIterator<Item = &'a [f32]>,
    ) {
        let start = self.scales.len();
        for v in phrasings {
            self.push_row(v);
        }
        self.phrasings.push((self.scales.len() - start) as u32);
        for v in whole {
            self.push_row(v);
        }
        self.starts.push(self.scales.len() as u32);
    }

    /// Gives back spare capacity once every document is in.
    pub fn finish(&mut self) {
        self.rows.shrink_to_fit();
        self.scales.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.phrasings.shrink_to_fit();
    }

    fn push_row(&mut self, v: &[f32]) {
        let (q, scale) = quantise(v, self.dim);
        self.rows.extend_from_slice(&q);
        self.scales.push(scale);
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held, for memory reports.
    pub fn bytes(&self) -> usize {
        self.rows.len() + self.scales.len() * 4 + (self.starts.len() + self.phrasings.len()) * 4
    }

    /// Cosine of `query` with each document's nearest phrasing, for one
    /// document.
    pub fn similarity(&self, query: &Query, document: usize) -> f32 {
        best_of(self.rows_of(document).map(|r| dot(self.row(r), &query.values) as f32 * self.scales[r] * query.scale))
    }

    /// The rows of document `d`.
    fn rows_of(&self, d: usize) -> std::ops::Range<usize> {
        self.starts[d] as usize..self.starts[d + 1] as usize
    }

    /// The rows of document `d` that are phrasings.
    fn phrasing_rows_of(&self, d: usize) -> std::ops::Range<usize> {
        let start = self.starts[d] as usize;
        start..start + self.phrasings[d] as usize
    }

    fn row(&self, r: usize) -> &[i8] {
        &self.rows[r * self.dim..(r + 1) * self.dim]
    }

    /// For each of `queries`, its cosine with the nearest row of document
    /// `d`: how well `d` holds each one.
    pub fn best_each(&self, d: usize, queries: &[Query]) -> Vec<f32> {
        let rows = self.rows_of(d);
        let (values, scales) = (&self.rows[rows.start * self.dim..rows.end * self.dim], &self.scales[rows]);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, checked just above.
            return unsafe { best_each_avx2(values, scales, queries, self.dim) };
        }
        best_each_portable(values, scales, queries, self.dim)
    }

    /// Cosine of the nearest pair of phrasings of two documents: how alike
    /// the knowledge itself says they are.
    pub fn between(&self, a: usize, b: usize) -> f32 {
        best_of(self.phrasing_rows_of(a).flat_map(|ra| {
            self.phrasing_rows_of(b)
                .map(move |rb| dot(self.row(ra), self.row(rb)) as f32 * self.scales[ra] * self.scales[rb])
        }))
    }

    /// The `k` documents nearest to the query (by their nearest phrasing),
    /// best first, ties by document order.
    pub fn nearest(&self, query: &Query, k: usize) -> Vec<(usize, f32)> {
        let dots = dot_all(&self.rows, &query.values, self.dim);
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(self.len());
        for d in 0..self.len() {
            best.push((d, best_of(self.rows_of(d).map(|r| dots[r] as f32 * self.scales[r] * query.scale))));
        }
        let order = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if best.len() > k && k > 0 {
            best.select_nth_unstable_by(k - 1, order);
            best.truncate(k);
        }
        best.sort_by(order);
        best
    }

    /// A message's vector, quantised like the rows; `None` when its length
    /// is not the index's.
    pub fn query(&self, v: &[f32]) -> Option<Query> {
        (v.len() == self.dim).then(|| {
            let (values, scale) = quantise(v, self.dim);
            Query { values, scale }
        })
    }
}

/// The dot product of `query` with every row: the whole cost of a semantic
/// search. Written so the compiler vectorises it; on x86-64 processors with
/// AVX2 (checked at run time) the same code is compiled for AVX2, about
/// twice the speed of the SSE2 baseline every x86-64 build may assume.
fn dot_all(rows: &[i8], query: &[i8], dim: usize) -> Vec<i32> {
    // Past this many rows the scan is split over the cores: it reads every
    // row once, so it is bound by memory bandwidth, which two cores share
    // better than one uses.
    const SPLIT_ROWS: usize = 65_536;
    let count = rows.len() / dim.max(1);
    let threads = crate::parallel::threads();
    if count > SPLIT_ROWS && threads > 1 {
        let per = count.div_ceil(threads) * dim;
        return std::thread::scope(|s| {
            let parts: Vec<_> = rows.chunks(per).map(|part| s.spawn(move || dot_rows(part, query, dim))).collect();
            parts.into_iter().flat_map(|h| h.join().expect("the scan does not panic")).collect()
        });
    }
    dot_rows(rows, query, dim)
}

fn dot_rows(rows: &[i8], query: &[i8], dim: usize) -> Vec<i32> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        return unsafe { dot_all_avx2(rows, query, dim) };
    }
    dot_all_portable(rows, query, dim)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_all_avx2(rows: &[i8], query: &[i8], dim: usize) -> Vec<i32> {
    dot_all_portable(rows, query, dim)
}

#[inline(always)]
fn dot_all_portable(rows: &[i8], query: &[i8], dim: usize) -> Vec<i32> {
    if dim == 0 {
        return Vec::new();
    }
    rows.chunks_exact(dim).map(|row| dot(row, query)).collect()
}

/// [`DenseIndex::best_each`] for AVX2, like [`dot_all_avx2`]: token
/// evidence runs it for every token of a message against every token of the
/// candidates' phrasings, most of a question's cost after the model.
///
/// Written with the intrinsics rather than left to the compiler: this loop
/// runs hundreds of times more dot products than the phrasing scan, and an
/// unoptimised (debug) build, which the tests use, would otherwise spend
/// a tenth of a second a question in it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn best_each_avx2(rows: &[i8], scales: &[f32], queries: &[Query], dim: usize) -> Vec<f32> {
    // SAFETY: this function runs only where AVX2 is available.
    best_each_by(rows, scales, queries, dim, |a, b| unsafe { dot_avx2(a, b) })
}

/// [`dot`] with AVX2: 16 values a step, widened to 16 bits and multiplied
/// pairwise into 32-bit sums.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(a: &[i8], b: &[i8]) -> i32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let mut acc = _mm256_setzero_si256();
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n, so both 16-byte loads are in bounds.
        let (va, vb) =
            unsafe { (_mm_loadu_si128(a.as_ptr().add(i).cast()), _mm_loadu_si128(b.as_ptr().add(i).cast())) };
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepi8_epi16(va), _mm256_cvtepi8_epi16(vb)));
        i += 16;
    }
    let mut lanes = [0i32; 8];
    // SAFETY: `lanes` is 32 bytes, the size of the store.
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), acc) };
    lanes.iter().sum::<i32>() + a[i..n].iter().zip(&b[i..n]).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum::<i32>()
}

fn best_each_portable(rows: &[i8], scales: &[f32], queries: &[Query], dim: usize) -> Vec<f32> {
    best_each_by(rows, scales, queries, dim, dot)
}

/// Each query's best cosine over `rows` (-1 when there are none), by the
/// dot product given; a row is read once for all of them.
#[inline(always)]
fn best_each_by(
    rows: &[i8],
    scales: &[f32],
    queries: &[Query],
    dim: usize,
    dot: impl Fn(&[i8], &[i8]) -> i32,
) -> Vec<f32> {
    let mut best = vec![-1.0f32; queries.len()];
    if dim == 0 {
        return best;
    }
    for (row, scale) in rows.chunks_exact(dim).zip(scales) {
        for (b, q) in best.iter_mut().zip(queries) {
            *b = b.max(dot(row, &q.values) as f32 * scale * q.scale);
        }
    }
    best
}

/// One dot product, in 16 independent lanes so the compiler keeps them in
/// vector registers (a single running sum would serialise every add).
#[inline(always)]
fn dot(a: &[i8], b: &[i8]) -> i32 {
    const LANES: usize = 16;
    let mut acc = [0i32; LANES];
    let (a_head, a_tail) = a.split_at(a.len() - a.len() % LANES);
    let (b_head, b_tail) = b.split_at(a_head.len().min(b.len()));
    for (ca, cb) in a_head.chunks_exact(LANES).zip(b_head.chunks_exact(LANES)) {
        for j in 0..LANES {
            acc[j] += i32::from(ca[j]) * i32::from(cb[j]);
        }
    }
    let tail: i32 = a_tail.iter().zip(b_tail).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum();
    acc.iter().sum::<i32>() + tail
}

/// The highest of a document's phrasing cosines; -1 (as far as a cosine
/// goes) for a document with none.
fn best_of(cosines: impl Iterator<Item = f32>) -> f32 {
    cosines.fold(f32::NEG_INFINITY, f32::max).max(-1.0)
}

/// A quantised message vector.
#[derive(Debug, Clone)]
pub struct Query {
    values: Vec<i8>,
    scale: f32,
}

/// `v` as `i8` values and the scale that maps them back; a vector of the
/// wrong length or with non-finite values becomes zeros (it matches nothing).
fn quantise(v: &[f32], dim: usize) -> (Vec<i8>, f32) {
    if v.len() != dim || v.iter().any(|x| !x.is_finite()) {
        return (vec![0; dim], 0.0);
    }
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        return (vec![0; dim], 0.0);
    }
    let scale = max / 127.0;
    (v.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8).collect(), scale)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `v` scaled to length 1 (for the token index's tests too).
    pub(in crate::matcher) fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn the_avx2_dot_product_is_the_portable_one() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            for len in [0usize, 1, 15, 16, 17, 31, 384, 385] {
                let a: Vec<i8> = (0..len).map(|i| ((i * 37 + 11) % 255) as i16 - 127).map(|x| x as i8).collect();
                let b: Vec<i8> = (0..len).map(|i| ((i * 91 + 5) % 255) as i16 - 127).map(|x| x as i8).collect();
                let extreme = vec![-127i8; len];
                // SAFETY: AVX2 is available, checked above.
                unsafe {
                    assert_eq!(dot_avx2(&a, &b), dot(&a, &b), "{len}");
                    assert_eq!(dot_avx2(&extreme, &extreme), dot(&extreme, &extreme), "{len}");
                    assert_eq!(dot_avx2(&a, &b[..len / 2]), dot(&a[..len / 2], &b[..len / 2]), "{len}");
                }
            }
        }
    }

    #[test]
    fn nearest_document_by_its_nearest_phrasing() {
        let index = DenseIndex::new(
            3,
            [vec![unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 1.0, 0.0])], vec![unit(&[0.0, 0.0, 1.0])], vec![]],
        );
        assert_eq!(index.len(), 3);
        let q = index.query(&unit(&[0.1, 1.0, 0.0])).unwrap();
        let found = index.nearest(&q, 2);
        assert_eq!(found[0].0, 0);
        assert!((found[0].1 - 0.995).abs() < 0.01, "{found:?}");
        assert_eq!(found[1].0, 1);
        // A document with no phrasing is never near anything.
        assert_eq!(index.similarity(&q, 2), -1.0);
        assert!(index.query(&[1.0]).is_none());
    }

    #[test]
    fn rows_for_the_whole_document_count_for_nearness_and_not_for_likeness() {
        let (x, y, z) = (unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 1.0, 0.0]), unit(&[0.0, 0.0, 1.0]));
        let mut index = DenseIndex::empty(3);
        // Document 0: phrasing x, and a whole-document row z.
        index.push_document_with([x.as_slice()], [z.as_slice()]);
        // Document 1: phrasing y, and the same whole-document row z.
        index.push_document_with([y.as_slice()], [z.as_slice()]);
        index.push_document([unit(&[1.0, 1.0, 0.0]).as_slice()]);
        index.finish();
        assert_eq!(index.len(), 3);
        // A message near z is near both documents, through their whole rows.
        let q = index.query(&z).unwrap();
        assert!(index.similarity(&q, 0) > 0.99 && index.similarity(&q, 1) > 0.99);
        let nearest: Vec<usize> = index.nearest(&q, 2).into_iter().map(|(d, _)| d).collect();
        assert_eq!(nearest, [0, 1]);
        // Their phrasings are unrelated, and that is how alike they are.
        assert!(index.between(0, 1).abs() < 0.01, "{}", index.between(0, 1));
        assert!((index.between(0, 2) - 0.707).abs() < 0.01, "{}", index.between(0, 2));
    }

    #[test]
    fn quantised_cosine_is_close_to_exact() {
        let a = unit(&(0..384).map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0).collect::<Vec<_>>());
        let b = unit(&(0..384).map(|i| ((i * 53 % 89) as f32 - 40.0) / 3.0).collect::<Vec<_>>());
        let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let index = DenseIndex::new(384, [vec![a]]);
        let got = index.similarity(&index.query(&b).unwrap(), 0);
        assert!((got - exact).abs() < 0.01, "{got} vs {exact}");
    }
}
