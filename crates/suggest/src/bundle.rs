//! A trained set of models as bytes, to keep versions on disk and hand
//! them between processes (`hotline model train` writes one, the server
//! picks it up). Little-endian, in this order: the magic `HLSUGG01`, when
//! it was trained (Unix seconds) and on how many examples, the hash bits,
//! the IDF per bucket, then each model: its labels (the caller's ids), its
//! classes and dimensions, temperature, ceiling, weights and biases; last,
//! an FNV-1a checksum of everything before it, so a truncated or damaged
//! file is refused instead of answering nonsense.

use crate::features::{Featurizer, Tfidf};
use crate::linear::Linear;

const MAGIC: &[u8; 8] = b"HLSUGG01";

/// A trained set: the vectoriser and its models, each with its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub trained_at: i64,
    pub examples: u64,
    pub tfidf: Tfidf,
    pub models: Vec<(Vec<i64>, Linear)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("not a suggestion model file (its first bytes are not HLSUGG01)")]
    Magic,
    #[error("the file is cut short (at byte {0})")]
    Short(usize),
    #[error("the checksum does not match: the file is damaged")]
    Checksum,
    #[error("inconsistent model file: {0}")]
    Shape(String),
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

fn put_f32s(out: &mut Vec<u8>, values: &[f32]) {
    out.reserve(values.len() * 4);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

pub fn encode(bundle: &Bundle) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&bundle.trained_at.to_le_bytes());
    out.extend_from_slice(&bundle.examples.to_le_bytes());
    out.push(bundle.tfidf.featurizer.bits);
    put_f32s(&mut out, &bundle.tfidf.idf);
    out.push(bundle.models.len() as u8);
    for (labels, model) in &bundle.models {
        out.extend_from_slice(&(labels.len() as u32).to_le_bytes());
        for label in labels {
            out.extend_from_slice(&label.to_le_bytes());
        }
        out.extend_from_slice(&(model.classes as u32).to_le_bytes());
        out.extend_from_slice(&(model.dims as u32).to_le_bytes());
        out.extend_from_slice(&model.temperature.to_le_bytes());
        out.extend_from_slice(&model.ceiling.to_le_bytes());
        put_f32s(&mut out, &model.weights);
        put_f32s(&mut out, &model.bias);
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BundleError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or(BundleError::Short(self.bytes.len()))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], BundleError> {
        Ok(self.take(N)?.try_into().expect("length checked"))
    }
    fn u8(&mut self) -> Result<u8, BundleError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<usize, BundleError> {
        Ok(u32::from_le_bytes(self.array()?) as usize)
    }
    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, BundleError> {
        let bytes = self.take(n.checked_mul(4).ok_or(BundleError::Short(self.bytes.len()))?)?;
        Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }
}

pub fn decode(bytes: &[u8]) -> Result<Bundle, BundleError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(BundleError::Magic);
    }
    if bytes.len() < MAGIC.len() + 8 {
        return Err(BundleError::Short(bytes.len()));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    if checksum(body) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Err(BundleError::Checksum);
    }
    let mut r = Reader { bytes: body, at: MAGIC.len() };
    let trained_at = i64::from_le_bytes(r.array()?);
    let examples = u64::from_le_bytes(r.array()?);
    let bits = r.u8()?;
    if !(8..=24).contains(&bits) {
        return Err(BundleError::Shape(format!("{bits} hash bits")));
    }
    let featurizer = Featurizer { bits };
    let tfidf = Tfidf { featurizer, idf: r.f32s(featurizer.dims())? };
    let count = r.u8()?;
    let mut models = Vec::with_capacity(usize::from(count));
    for i in 0..count {
        let n = r.u32()?;
        let labels = (0..n).map(|_| r.array().map(i64::from_le_bytes)).collect::<Result<Vec<_>, _>>()?;
        let (classes, dims) = (r.u32()?, r.u32()?);
        if classes != labels.len() || dims != featurizer.dims() || classes == 0 {
            return Err(BundleError::Shape(format!(
                "model {i}: {classes} classes for {} labels, {dims} dimensions for {} buckets",
                labels.len(),
                featurizer.dims()
            )));
        }
        let temperature = f32::from_le_bytes(r.array()?);
        let ceiling = f32::from_le_bytes(r.array()?);
        let weights = r.f32s(classes * dims)?;
        let bias = r.f32s(classes)?;
        models.push((labels, Linear { classes, dims, weights, bias, temperature, ceiling }));
    }
    if r.at != body.len() {
        return Err(BundleError::Shape(format!("{} bytes after the last model", body.len() - r.at)));
    }
    Ok(Bundle { trained_at, examples, tfidf, models })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> Bundle {
        let featurizer = Featurizer { bits: 8 };
        let dims = featurizer.dims();
        let model = |classes: usize, seed: f32| Linear {
            classes,
            dims,
            weights: (0..classes * dims).map(|i| i as f32 * seed).collect(),
            bias: (0..classes).map(|c| c as f32 - seed).collect(),
            temperature: 0.52,
            ceiling: 0.99,
        };
        Bundle {
            trained_at: 1_796_000_000,
            examples: 1456,
            tfidf: Tfidf { featurizer, idf: (0..dims).map(|i| 1.0 + i as f32 / 7.0).collect() },
            models: vec![(vec![10, 20, 30], model(3, 0.25)), (vec![-1, 7], model(2, 1.5))],
        }
    }

    #[test]
    fn a_bundle_reads_back_exactly() {
        let b = bundle();
        assert_eq!(decode(&encode(&b)).unwrap(), b);
        let none = Bundle { models: vec![], ..b };
        assert_eq!(decode(&encode(&none)).unwrap(), none);
    }

    #[test]
    fn a_damaged_or_foreign_file_is_refused_by_name() {
        let bytes = encode(&bundle());
        assert_eq!(decode(b"PK\x03\x04 a zip"), Err(BundleError::Magic));
        assert_eq!(decode(&bytes[..bytes.len() / 2]), Err(BundleError::Checksum), "cut short, the checksum no longer matches");
        let mut flipped = bytes.clone();
        flipped[100] ^= 1;
        assert_eq!(decode(&flipped), Err(BundleError::Checksum));
        assert_eq!(decode(&bytes[..12]), Err(BundleError::Short(12)));
        assert_eq!(decode(b"HLSUGG01"), Err(BundleError::Short(8)));
    }

    #[test]
    fn a_shape_that_does_not_add_up_is_refused() {
        let mut b = bundle();
        b.models[0].0.pop();
        let bytes = encode(&b);
        assert!(matches!(decode(&bytes), Err(BundleError::Shape(m)) if m.contains("3 classes for 2 labels")));
    }
}
