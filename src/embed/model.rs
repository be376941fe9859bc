//! Running a sentence-transformers BERT model in process with candle: text in,
//! one L2-normalised vector per text out (mean pooling over the attention
//! mask, as sentence-transformers does for all-MiniLM-L6-v2), and on request
//! each token's vector in context, before pooling.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config as BertConfig;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::EmbedError;
use super::bert::Bert;
use super::install::{hash_file, hex};
use crate::matcher::Embedding;

/// Texts embedded in one forward pass. Larger batches pad more; this size
/// keeps padding low once texts are sorted by length.
const BATCH: usize = 32;

/// Longest input in tokens; sentence-transformers cuts all-MiniLM-L6-v2 at
/// 256 (its `sentence_bert_config.json`), and so do we unless it says other.
const DEFAULT_MAX_TOKENS: usize = 256;

/// How a model turns token vectors into one sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pooling {
    Mean,
    Cls,
}

/// A loaded sentence-embedding model.
pub struct Model {
    bert: Bert,
    tokenizer: Tokenizer,
    pooling: Pooling,
    dim: usize,
    /// Hash of the model's files: vectors cached under another id were made
    /// by another model and are never reused.
    id: String,
    dir: PathBuf,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("dir", &self.dir).field("dim", &self.dim).field("id", &self.id).finish()
    }
}

fn file_error(path: &Path, what: impl std::fmt::Display) -> EmbedError {
    EmbedError::Model(format!("{}: {what}", path.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(path).map_err(|e| file_error(path, e))
}

impl Model {
    /// Loads a sentence-transformers model folder: `config.json`,
    /// `tokenizer.json`, `model.safetensors` and, when present,
    /// `1_Pooling/config.json` and `sentence_bert_config.json`.
    pub fn load(dir: &Path) -> Result<Model, EmbedError> {
        let config_path = dir.join("config.json");
        let tokenizer_path = dir.join("tokenizer.json");
        let weights_path = dir.join("model.safetensors");
        for path in [&config_path, &tokenizer_path, &weights_path] {
            if !path.is_file() {
                return Err(EmbedError::Missing(path.clone()));
            }
        }
        let config_bytes = read(&config_path)?;
        let config: BertConfig = serde_json::from_slice(&config_bytes)
            .map_err(|e| file_error(&config_path, format!("not a BERT config: {e}")))?;
        let max_tokens = read_max_tokens(dir).min(config.max_position_embeddings);
        let pooling = read_pooling(dir)?;

        let tokenizer_bytes = read(&tokenizer_path)?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| file_error(&tokenizer_path, format!("not a tokenizer: {e}")))?;
        // Shipped tokenizers pad every input to 128 tokens; a batch is padded
        // to its own longest text instead, which is most of the speed.
        tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, ..Default::default() }));
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..Default::default() }))
            .map_err(|e| file_error(&tokenizer_path, e))?;

        // The weights are hashed (streamed, so they never sit in memory
        // twice): the hash is the model's id, and for an installed model it
        // must be the pinned one, which catches a file damaged since.
        let weights_hash = hash_file(&weights_path)?;
        let mut hasher = Sha256::new();
        for part in [&Sha256::digest(&config_bytes)[..], &Sha256::digest(&tokenizer_bytes)[..], &weights_hash[..]] {
            hasher.update(part);
        }
        let id = hex(&hasher.finalize()[..8]);
        if let Some(expected) = super::install::pinned_hash(dir, "model.safetensors") {
            let actual = hex(&weights_hash);
            if actual != expected {
                return Err(file_error(
                    &weights_path,
                    format!("damaged: its SHA-256 is {actual}, not {expected}; run `policybot model install` again"),
                ));
            }
        }
        // SAFETY: the weights are mapped read-only; the model folder is the
        // bot's own (or the operator's) and is not rewritten while the bot
        // runs — an install writes a new folder and renames it into place.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights_path], DType::F32, &Device::Cpu) }
            .map_err(|e| file_error(&weights_path, format!("not readable safetensors: {e}")))?;
        let bert = Bert::load(vb, &config)
            .map_err(|e| file_error(&weights_path, format!("weights do not fit config.json: {e}")))?;
        Ok(Model { bert, tokenizer, pooling, dim: config.hidden_size, id, dir: dir.to_path_buf() })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// One unit vector per text, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(self.embed_with(texts, false)?.into_iter().map(|e| e.vector).collect())
    }

    /// One unit vector per text and, when `tokens`, one per token (without
    /// the model's own start and end tokens) with its id, in order. Texts
    /// are batched by length so little padding is computed.
    pub fn embed_with(&self, texts: &[&str], tokens: bool) -> Result<Vec<Embedding>, EmbedError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| (texts[i].len(), i));
        let mut out: Vec<Embedding> = vec![Embedding::default(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            for (i, v) in chunk.iter().zip(self.embed_batch(&batch, tokens)?) {
                out[*i] = v;
            }
        }
        Ok(out)
    }

    /// The ids of the tokens [`Model::embed_with`] gives vectors for: what
    /// a cache of token vectors is keyed by.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let encoding = self.tokenizer.encode(text, true).map_err(|e| EmbedError::Run(e.to_string()))?;
        Ok(inner(encoding.get_ids()).to_vec())
    }

    fn embed_batch(&self, texts: &[&str], tokens: bool) -> Result<Vec<Embedding>, EmbedError> {
        let run = |e: candle_core::Error| EmbedError::Run(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch(texts.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>(), true)
            .map_err(|e| EmbedError::Run(e.to_string()))?;
        let len = encodings.iter().map(|e| e.get_ids().len()).max().unwrap_or(0);
        if len == 0 {
            return Ok(vec![Embedding { vector: vec![0.0; self.dim], tokens: Vec::new() }; texts.len()]);
        }
        let flat = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            encodings.iter().flat_map(|e| f(e).iter().copied()).collect()
        };
        let shape = (texts.len(), len);
        let ids = Tensor::from_vec(flat(&|e| e.get_ids()), shape, &Device::Cpu).map_err(run)?;
        let types = Tensor::from_vec(flat(&|e| e.get_type_ids()), shape, &Device::Cpu).map_err(run)?;
        let mask = Tensor::from_vec(flat(&|e| e.get_attention_mask()), shape, &Device::Cpu).map_err(run)?;
        let hidden = self.bert.forward(&ids, &types, &mask).map_err(run)?; // (batch, len, dim)
        let pooled = match self.pooling {
            Pooling::Cls => hidden.narrow(1, 0, 1).and_then(|t| t.squeeze(1)).map_err(run)?,
            Pooling::Mean => {
                let mask = mask.to_dtype(DType::F32).and_then(|m| m.unsqueeze(2)).map_err(run)?;
                let summed = hidden.broadcast_mul(&mask).and_then(|t| t.sum(1)).map_err(run)?;
                let counts = mask.sum(1).and_then(|c| c.clamp(1e-9f32, f32::MAX)).map_err(run)?;
                summed.broadcast_div(&counts).map_err(run)?
            }
        };
        let rows: Vec<Vec<f32>> = pooled.to_vec2().map_err(run)?;
        let mut out: Vec<Embedding> =
            rows.into_iter().map(|v| Embedding { vector: unit(v), tokens: Vec::new() }).collect();
        if tokens {
            let hidden: Vec<Vec<Vec<f32>>> = hidden.to_vec3().map_err(run)?;
            for ((e, encoding), rows) in out.iter_mut().zip(&encodings).zip(hidden) {
                // Padding comes after the text's own tokens.
                let real = encoding.get_attention_mask().iter().filter(|&&m| m == 1).count();
                let ids = inner(&encoding.get_ids()[..real]);
                e.tokens = ids.iter().zip(rows.into_iter().skip(1)).map(|(&id, v)| (id, unit(v))).collect();
            }
        }
        Ok(out)
    }
}

/// A text's tokens without the start and end tokens the model adds: they
/// stand for the sentence, not for a word of it.
fn inner(ids: &[u32]) -> &[u32] {
    if ids.len() < 2 { &[] } else { &ids[1..ids.len() - 1] }
}

/// The vector scaled to length 1 (a zero vector stays zero).
fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

fn read_max_tokens(dir: &Path) -> usize {
    #[derive(serde::Deserialize)]
    struct SentenceBert {
        max_seq_length: usize,
    }
    std::fs::read(dir.join("sentence_bert_config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<SentenceBert>(&b).ok())
        .map_or(DEFAULT_MAX_TOKENS, |c| c.max_seq_length)
}

fn read_pooling(dir: &Path) -> Result<Pooling, EmbedError> {
    #[derive(serde::Deserialize, Default)]
    struct PoolingConfig {
        #[serde(default)]
        pooling_mode_cls_token: bool,
        #[serde(default)]
        pooling_mode_mean_tokens: bool,
    }
    let path = dir.join("1_Pooling").join("config.json");
    let Ok(bytes) = std::fs::read(&path) else { return Ok(Pooling::Mean) };
    let config: PoolingConfig =
        serde_json::from_slice(&bytes).map_err(|e| file_error(&path, format!("not a pooling config: {e}")))?;
    Ok(match (config.pooling_mode_mean_tokens, config.pooling_mode_cls_token) {
        (false, true) => Pooling::Cls,
        _ => Pooling::Mean,
    })
}
