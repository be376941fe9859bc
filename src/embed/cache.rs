//! Phrasing vectors on disk, one append-only file per model
//! (`<data>/vectors/<model id>.bin`), keyed by a hash of the text: a start or
//! reload embeds only text the model has not seen. The file is read as a
//! stream for the keys wanted, so the cache never sits in memory whole.
//! Only stored phrasings are cached, never messages.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MAGIC: &[u8; 8] = b"PBVEC01\n";
const KEY: usize = 16;

#[derive(Debug)]
pub struct VectorCache {
    /// `None` when the directory cannot be written: the cache is then off.
    path: Option<PathBuf>,
    dim: usize,
    /// Records in the file, for logs.
    records: Mutex<usize>,
}

impl VectorCache {
    /// Opens (or creates) the cache of model `id` under `dir`. A damaged
    /// file is cut back to its last whole record; an unusable one turns
    /// the cache off with a warning — vectors are then recomputed.
    pub fn open(dir: &Path, id: &str, dim: usize) -> VectorCache {
        let path = dir.join(format!("{id}.bin"));
        match Self::prepare(dir, &path, dim) {
            Ok(records) => VectorCache { path: Some(path), dim, records: Mutex::new(records) },
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "vector cache unusable; every start embeds all phrasings");
                VectorCache { path: None, dim, records: Mutex::new(0) }
            }
        }
    }

    fn record_len(dim: usize) -> u64 {
        (KEY + dim * 4) as u64
    }

    fn header(dim: usize) -> Vec<u8> {
        let mut h = MAGIC.to_vec();
        h.extend_from_slice(&(dim as u32).to_le_bytes());
        h
    }

    fn prepare(dir: &Path, path: &Path, dim: usize) -> std::io::Result<usize> {
        std::fs::create_dir_all(dir)?;
        let header = Self::header(dim);
        let mut file = std::fs::OpenOptions::new().read(true).append(true).create(true).open(path)?;
        let len = file.metadata()?.len();
        let mut start = vec![0u8; header.len()];
        let good_header = len >= header.len() as u64 && file.read_exact(&mut start).is_ok() && start == header;
        if !good_header {
            if len > 0 {
                tracing::warn!(file = %path.display(), "vector cache is not one this version wrote; starting it afresh");
            }
            file.set_len(0)?;
            file.write_all(&header)?;
            return Ok(0);
        }
        let body = len - header.len() as u64;
        let whole = body / Self::record_len(dim);
        if !body.is_multiple_of(Self::record_len(dim)) {
            // A write cut short (a crash): later appends must stay aligned.
            file.set_len(header.len() as u64 + whole * Self::record_len(dim))?;
        }
        Ok(whole as usize)
    }

    pub fn len(&self) -> usize {
        *self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cached vectors of `keys`, in order (`None` where not cached).
    pub fn get_many(&self, keys: &[[u8; KEY]]) -> Vec<Option<Vec<f32>>> {
        let mut out = vec![None; keys.len()];
        let Some(path) = &self.path else { return out };
        let mut wanted: HashMap<[u8; KEY], Vec<usize>> = HashMap::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            wanted.entry(*k).or_default().push(i);
        }
        let Ok(file) = std::fs::File::open(path) else { return out };
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut header = vec![0u8; Self::header(self.dim).len()];
        if reader.read_exact(&mut header).is_err() || header != Self::header(self.dim) {
            return out;
        }
        let mut record = vec![0u8; Self::record_len(self.dim) as usize];
        while reader.read_exact(&mut record).is_ok() {
            let key: [u8; KEY] = record[..KEY].try_into().expect("KEY bytes");
            if let Some(slots) = wanted.get(&key) {
                let v: Vec<f32> =
                    record[KEY..].chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
                for &i in slots {
                    out[i] = Some(v.clone());
                }
            }
        }
        out
    }

    /// Appends vectors; one write, so a crash leaves at most a partial last
    /// record, which the next open cuts off.
    pub fn add(&self, vectors: &[([u8; KEY], Vec<f32>)]) -> std::io::Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let mut buf = Vec::with_capacity(vectors.len() * Self::record_len(self.dim) as usize);
        for (key, v) in vectors.iter().filter(|(_, v)| v.len() == self.dim) {
            buf.extend_from_slice(key);
            for x in v {
                buf.extend_from_slice(&x.to_le_bytes());
            }
        }
        let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
        file.write_all(&buf)?;
        *self.records.lock().unwrap_or_else(|e| e.into_inner()) += vectors.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_survive_reopening_and_a_torn_write() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VectorCache::open(dir.path(), "m", 2);
        cache.add(&[([1; 16], vec![0.5, -0.5]), ([2; 16], vec![1.0, 0.0])]).unwrap();
        let path = dir.path().join("m.bin");
        // A crash in the middle of a third record.
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[3; 20]).unwrap();
        drop(f);
        let cache = VectorCache::open(dir.path(), "m", 2);
        assert_eq!(cache.len(), 2);
        cache.add(&[([4; 16], vec![0.0, 1.0])]).unwrap();
        let got = cache.get_many(&[[2; 16], [9; 16], [4; 16], [1; 16]]);
        assert_eq!(got, vec![Some(vec![1.0, 0.0]), None, Some(vec![0.0, 1.0]), Some(vec![0.5, -0.5])]);
        // Another model's dimension starts afresh rather than misreading.
        std::fs::write(dir.path().join("m.bin"), b"garbage").unwrap();
        let cache = VectorCache::open(dir.path(), "m", 2);
        assert!(cache.is_empty());
        assert_eq!(cache.get_many(&[[2; 16]]), vec![None]);
    }
}
