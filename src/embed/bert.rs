//! The BERT encoder, run for short texts: the same network as candle's own
//! `BertModel` (post-norm layers, GELU), with each weight matrix kept
//! transposed and contiguous at load. A chat message is a dozen tokens,
//! so its pass is bound by reading the weights, and a matrix stored the
//! way the multiplication reads it is not repacked on every call.

use candle_core::{DType, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};

/// `x W^T + b`, with `W^T` stored.
struct Linear {
    weight_t: Tensor,
    bias: Tensor,
}

impl Linear {
    fn load(vb: VarBuilder, inputs: usize, outputs: usize) -> candle_core::Result<Self> {
        let weight_t = vb.get((outputs, inputs), "weight")?.t()?.contiguous()?;
        Ok(Linear { weight_t, bias: vb.get(outputs, "bias")? })
    }

    /// For (batch, len, inputs), as one (batch × len, inputs) product.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, len, inputs) = x.dims3()?;
        x.reshape((batch * len, inputs))?.matmul(&self.weight_t)?.broadcast_add(&self.bias)?.reshape((batch, len, ()))
    }
}

fn layer_norm(vb: VarBuilder, size: usize, eps: f64) -> candle_core::Result<LayerNorm> {
    Ok(LayerNorm::new(vb.get(size, "weight")?, vb.get(size, "bias")?, eps))
}

/// Self-attention, then the feed-forward block, each added to its input
/// and normalised.
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    up: Linear,
    down: Linear,
    out_norm: LayerNorm,
    activation: HiddenAct,
}

impl Layer {
    fn load(vb: VarBuilder, c: &Config) -> candle_core::Result<Self> {
        let (dim, inner, eps) = (c.hidden_size, c.intermediate_size, c.layer_norm_eps);
        let attention = vb.pp("attention");
        Ok(Layer {
            query: Linear::load(attention.pp("self").pp("query"), dim, dim)?,
            key: Linear::load(attention.pp("self").pp("key"), dim, dim)?,
            value: Linear::load(attention.pp("self").pp("value"), dim, dim)?,
            attention_out: Linear::load(attention.pp("output").pp("dense"), dim, dim)?,
            attention_norm: layer_norm(attention.pp("output").pp("LayerNorm"), dim, eps)?,
            up: Linear::load(vb.pp("intermediate").pp("dense"), dim, inner)?,
            down: Linear::load(vb.pp("output").pp("dense"), inner, dim)?,
            out_norm: layer_norm(vb.pp("output").pp("LayerNorm"), dim, eps)?,
            activation: c.hidden_act,
        })
    }

    fn forward(&self, x: &Tensor, mask: &Tensor, heads: usize) -> candle_core::Result<Tensor> {
        let (batch, len, dim) = x.dims3()?;
        let split = |t: Tensor| t.reshape((batch, len, heads, dim / heads))?.transpose(1, 2)?.contiguous();
        let q = split(self.query.forward(x)?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / ((dim / heads) as f64).sqrt())?.broadcast_add(mask)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = weights.matmul(&v)?.transpose(1, 2)?.reshape((batch, len, dim))?;
        let x = self.attention_norm.forward(&(x + self.attention_out.forward(&context)?)?)?;
        let up = self.up.forward(&x)?;
        let up = match self.activation {
            HiddenAct::Gelu => up.gelu_erf()?,
            HiddenAct::GeluApproximate => up.gelu()?,
            HiddenAct::Relu => up.relu()?,
        };
        self.out_norm.forward(&(&x + self.down.forward(&up)?)?)
    }
}

/// A BERT encoder: token vectors in context for rows of token ids.
pub struct Bert {
    words: Embedding,
    positions: Tensor,
    token_types: Embedding,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
}

impl Bert {
    /// Loads the weights under BERT's names, with or without a `bert.`
    /// (or the model type's) prefix, as candle's `BertModel` does.
    pub fn load(vb: VarBuilder, c: &Config) -> candle_core::Result<Self> {
        let vb = match c.model_type.as_deref() {
            _ if vb.contains_tensor("embeddings.word_embeddings.weight") => vb,
            Some(prefix) if vb.contains_tensor(&format!("{prefix}.embeddings.word_embeddings.weight")) => vb.pp(prefix),
            _ => vb.pp("bert"),
        };
        let e = vb.pp("embeddings");
        let dim = c.hidden_size;
        let words = Embedding::new(e.pp("word_embeddings").get((c.vocab_size, dim), "weight")?, dim);
        let positions = e.pp("position_embeddings").get((c.max_position_embeddings, dim), "weight")?;
        let token_types = Embedding::new(e.pp("token_type_embeddings").get((c.type_vocab_size, dim), "weight")?, dim);
        let embed_norm = layer_norm(e.pp("LayerNorm"), dim, c.layer_norm_eps)?;
        let layers = (0..c.num_hidden_layers)
            .map(|i| Layer::load(vb.pp("encoder").pp("layer").pp(i.to_string()), c))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Bert { words, positions, token_types, embed_norm, layers, heads: c.num_attention_heads })
    }

    /// (batch, len, dim) for ids, token types and mask of shape
    /// (batch, len); the mask is 1 for real tokens, 0 for padding.
    pub fn forward(&self, ids: &Tensor, types: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (_, len) = ids.dims2()?;
        let x = self.words.forward(ids)?.broadcast_add(&self.positions.narrow(0, 0, len)?)?;
        let x = self.embed_norm.forward(&(x + self.token_types.forward(types)?)?)?;
        // 0 where a token may be attended to, a large negative for padding.
        let extended =
            ((mask.ones_like()? - mask)?.to_dtype(DType::F32)? * f64::from(f32::MIN))?.unsqueeze(1)?.unsqueeze(1)?;
        let mut x = x;
        for layer in &self.layers {
            x = layer.forward(&x, &extended, self.heads)?;
        }
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_transformers::models::bert::BertModel;
    use std::collections::HashMap;

    /// A tiny BERT with weights a fixed function of their place, under
    /// the `bert.` prefix, and its config.
    fn tiny() -> (HashMap<String, Tensor>, Config) {
        let c = Config {
            vocab_size: 50,
            hidden_size: 16,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            intermediate_size: 32,
            max_position_embeddings: 20,
            type_vocab_size: 2,
            ..Config::default()
        };
        let seed = std::cell::Cell::new(1u64);
        let values = |shape: &[usize]| {
            let n: usize = shape.iter().product();
            let v: Vec<f32> = (0..n)
                .map(|_| {
                    seed.set(seed.get().wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407));
                    ((seed.get() >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 0.4
                })
                .collect();
            Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
        };
        let mut t = HashMap::new();
        let (d, inner) = (c.hidden_size, c.intermediate_size);
        t.insert("bert.embeddings.word_embeddings.weight".into(), values(&[c.vocab_size, d]));
        t.insert("bert.embeddings.position_embeddings.weight".into(), values(&[c.max_position_embeddings, d]));
        t.insert("bert.embeddings.token_type_embeddings.weight".into(), values(&[2, d]));
        let norm = |t: &mut HashMap<String, Tensor>, name: String| {
            t.insert(format!("{name}.weight"), (values(&[d]) + 1.0).unwrap());
            t.insert(format!("{name}.bias"), values(&[d]));
        };
        norm(&mut t, "bert.embeddings.LayerNorm".into());
        for l in 0..c.num_hidden_layers {
            let p = format!("bert.encoder.layer.{l}");
            for (name, out, inp) in [
                ("attention.self.query", d, d),
                ("attention.self.key", d, d),
                ("attention.self.value", d, d),
                ("attention.output.dense", d, d),
                ("intermediate.dense", inner, d),
                ("output.dense", d, inner),
            ] {
                t.insert(format!("{p}.{name}.weight"), values(&[out, inp]));
                t.insert(format!("{p}.{name}.bias"), values(&[out]));
            }
            norm(&mut t, format!("{p}.attention.output.LayerNorm"));
            norm(&mut t, format!("{p}.output.LayerNorm"));
        }
        (t, c)
    }

    #[test]
    fn token_vectors_are_candles_bert_model_s_with_and_without_padding() {
        let (tensors, c) = tiny();
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let reference = BertModel::load(vb.clone(), &c).unwrap();
        let ours = Bert::load(vb, &c).unwrap();
        let ids = Tensor::new(&[[2u32, 17, 33, 9, 3], [2, 41, 3, 0, 0]], &Device::Cpu).unwrap();
        let types = ids.zeros_like().unwrap();
        let mask = Tensor::new(&[[1u32, 1, 1, 1, 1], [1, 1, 1, 0, 0]], &Device::Cpu).unwrap();
        let want: Vec<Vec<Vec<f32>>> = reference.forward(&ids, &types, Some(&mask)).unwrap().to_vec3().unwrap();
        let got: Vec<Vec<Vec<f32>>> = ours.forward(&ids, &types, &mask).unwrap().to_vec3().unwrap();
        for (row, (w, g)) in want.iter().zip(&got).enumerate() {
            // Padding's own vectors are never read; the real tokens' must agree.
            let real = if row == 0 { 5 } else { 3 };
            for (a, b) in w[..real].iter().flatten().zip(g[..real].iter().flatten()) {
                assert!((a - b).abs() < 1e-4, "row {row}: {a} vs {b}");
            }
        }
    }
}
