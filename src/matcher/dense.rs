//! Semantic retrieval: one unit vector per stored phrasing, kept as 8-bit
//! integers with a scale per row (a quarter of the memory of `f32`, cosine
//! within ~0.01), searched exhaustively. The vectors come from an
//! [`Encoder`]; the matcher does not know what model made them.

use std::fmt::Debug;

/// Turns text into unit vectors of one fixed length.
pub trait Encoder: Send + Sync + Debug {
    /// Vectors for stored text (phrasings), in order; an implementation may
    /// cache them, since the same text is embedded at every load.
    fn encode_stored(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
    /// The vector of one message. Never cached: messages are what people
    /// asked, and stay out of any file.
    fn encode_query(&self, text: &str) -> Result<Vec<f32>, String>;
    /// Length of every vector.
    fn dim(&self) -> usize;
}

/// Vectors of stored phrasings, grouped by the document they belong to.
#[derive(Debug, Default)]
pub struct DenseIndex {
    dim: usize,
    /// Row-major, `dim` values a row.
    rows: Vec<i8>,
    /// Each row's scale: value ≈ `rows[i] as f32 * scale`.
    scales: Vec<f32>,
    /// For document `d`, its rows are `starts[d]..starts[d + 1]`.
    starts: Vec<u32>,
}

impl DenseIndex {
    /// Builds the index from each document's vectors (documents in order).
    pub fn new(dim: usize, documents: impl IntoIterator<Item = Vec<Vec<f32>>>) -> DenseIndex {
        let mut index = DenseIndex { dim, starts: vec![0], ..Default::default() };
        for vectors in documents {
            for v in vectors {
                index.push_row(&v);
            }
            index.starts.push(index.scales.len() as u32);
        }
        index.rows.shrink_to_fit();
        index.scales.shrink_to_fit();
        index
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
        self.rows.len() + self.scales.len() * 4 + self.starts.len() * 4
    }

    /// Cosine of `query` with each document's nearest phrasing, for one
    /// document.
    pub fn similarity(&self, query: &Query, document: usize) -> f32 {
        let (start, end) = (self.starts[document] as usize, self.starts[document + 1] as usize);
        (start..end).map(|r| self.row_cosine(query, r)).fold(f32::NEG_INFINITY, f32::max).max(-1.0)
    }

    /// Cosine of the nearest pair of phrasings of two documents: how alike
    /// the knowledge itself says they are.
    pub fn between(&self, a: usize, b: usize) -> f32 {
        let rows = |d: usize| self.starts[d] as usize..self.starts[d + 1] as usize;
        let mut best = f32::NEG_INFINITY;
        for ra in rows(a) {
            let va = &self.rows[ra * self.dim..(ra + 1) * self.dim];
            for rb in rows(b) {
                let vb = &self.rows[rb * self.dim..(rb + 1) * self.dim];
                let dot: i32 = va.iter().zip(vb).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum();
                best = best.max(dot as f32 * self.scales[ra] * self.scales[rb]);
            }
        }
        best.max(-1.0)
    }

    fn row_cosine(&self, query: &Query, row: usize) -> f32 {
        let r = &self.rows[row * self.dim..(row + 1) * self.dim];
        let dot: i32 = r.iter().zip(&query.values).map(|(&a, &b)| i32::from(a) * i32::from(b)).sum();
        dot as f32 * self.scales[row] * query.scale
    }

    /// The `k` documents nearest to the query (by their nearest phrasing),
    /// best first, ties by document order.
    pub fn nearest(&self, query: &Query, k: usize) -> Vec<(usize, f32)> {
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(self.len());
        for d in 0..self.len() {
            best.push((d, self.similarity(query, d)));
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
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
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
    fn quantised_cosine_is_close_to_exact() {
        let a = unit(&(0..384).map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0).collect::<Vec<_>>());
        let b = unit(&(0..384).map(|i| ((i * 53 % 89) as f32 - 40.0) / 3.0).collect::<Vec<_>>());
        let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let index = DenseIndex::new(384, [vec![a]]);
        let got = index.similarity(&index.query(&b).unwrap(), 0);
        assert!((got - exact).abs() < 0.01, "{got} vs {exact}");
    }
}
