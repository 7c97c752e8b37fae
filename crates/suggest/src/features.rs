//! Chinese text as a sparse vector. Words come from jieba (precise mode);
//! character bigrams catch what segmentation splits differently (水浸 in
//! 水浸街, a misspelt word); both are hashed into a fixed number of
//! buckets so the model's size does not grow with the vocabulary, and
//! weighted by sublinear TF × IDF learned from the training texts, the
//! vector scaled to unit length.

use jieba_rs::Jieba;
use std::sync::OnceLock;

/// `(bucket, weight)`, buckets ascending and distinct.
pub type SparseVec = Vec<(u32, f32)>;

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

fn cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// FNV-1a: stable across builds and platforms, so a stored model keeps
/// meaning what it learned.
fn fnv1a(kind: u8, text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in std::iter::once(kind).chain(text.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// How many times a tag counts (sublinear TF: 1 + ln 20 = 4 times a word's weight).
pub const TAG_COUNT: u32 = 20;

/// Cuts and hashes texts into `2^bits` buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Featurizer {
    pub bits: u8,
}

impl Default for Featurizer {
    fn default() -> Self {
        Self { bits: 18 }
    }
}

impl Featurizer {
    pub fn dims(&self) -> usize {
        1 << self.bits
    }

    /// [`Self::counts`] with tags that are not words of the text (the
    /// town the matter is in: a territorial matter goes to that town). A
    /// tag counts as if said [`TAG_COUNT`] times: one term among a
    /// hundred words would weigh too little, once the vector is scaled to
    /// unit length, for the model to learn it from a few dozen orders.
    pub fn counts_with(&self, text: &str, tags: &[&str]) -> Vec<(u32, u32)> {
        let mask = (1u32 << self.bits) - 1;
        let mut counts = self.counts(text);
        for tag in tags {
            let bucket = fnv1a(b't', tag) & mask;
            match counts.binary_search_by_key(&bucket, |(b, _)| *b) {
                Ok(i) => counts[i].1 += TAG_COUNT,
                Err(i) => counts.insert(i, (bucket, TAG_COUNT)),
            }
        }
        counts
    }

    /// The text's words (two characters or more, or one Chinese
    /// character) and Chinese character bigrams, as buckets with counts.
    pub fn counts(&self, text: &str) -> Vec<(u32, u32)> {
        let mask = (1u32 << self.bits) - 1;
        let lower = text.to_lowercase();
        let mut buckets = Vec::new();
        for token in jieba().cut(&lower, true) {
            let word = token.word;
            let chars = word.chars().count();
            let wordy = word.chars().any(cjk) || (chars >= 2 && word.chars().all(char::is_alphanumeric));
            if wordy && !word.chars().all(char::is_whitespace) {
                buckets.push(fnv1a(b'w', word) & mask);
            }
        }
        let chars: Vec<char> = lower.chars().collect();
        for pair in chars.windows(2) {
            if cjk(pair[0]) && cjk(pair[1]) {
                let bigram: String = pair.iter().collect();
                buckets.push(fnv1a(b'b', &bigram) & mask);
            }
        }
        buckets.sort_unstable();
        let mut counts: Vec<(u32, u32)> = Vec::new();
        for bucket in buckets {
            match counts.last_mut() {
                Some((b, n)) if *b == bucket => *n += 1,
                _ => counts.push((bucket, 1)),
            }
        }
        counts
    }
}

/// Inverse document frequencies, learned from the training texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Tfidf {
    pub featurizer: Featurizer,
    /// ln((1 + n) / (1 + df)) + 1 per bucket (scikit-learn's smooth IDF).
    pub idf: Vec<f32>,
}

impl Tfidf {
    pub fn fit(featurizer: Featurizer, documents: &[Vec<(u32, u32)>]) -> Self {
        let mut df = vec![0u32; featurizer.dims()];
        for doc in documents {
            for (bucket, _) in doc {
                df[*bucket as usize] += 1;
            }
        }
        let n = documents.len() as f32;
        let idf = df.into_iter().map(|d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0).collect();
        Self { featurizer, idf }
    }

    /// Sublinear TF (1 + ln tf) × IDF, at unit length.
    pub fn weigh(&self, counts: &[(u32, u32)]) -> SparseVec {
        let mut vector: SparseVec =
            counts.iter().map(|(bucket, tf)| (*bucket, (1.0 + (*tf as f32).ln()) * self.idf[*bucket as usize])).collect();
        let norm = vector.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut vector {
                *w /= norm;
            }
        }
        vector
    }

    pub fn vector(&self, text: &str) -> SparseVec {
        self.weigh(&self.featurizer.counts(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_bigrams_are_hashed_the_same_every_time() {
        let f = Featurizer::default();
        let a = f.counts("暴雨水浸街，车辆无法通行");
        assert_eq!(a, f.counts("暴雨水浸街，车辆无法通行"));
        assert!(a.windows(2).all(|w| w[0].0 < w[1].0), "ascending, distinct");
        assert!(a.iter().all(|(b, _)| (*b as usize) < f.dims()));
        // Punctuation alone gives nothing; a Latin word of two letters does.
        assert!(f.counts("，。！").is_empty());
        assert_eq!(f.counts("WiFi").len(), 1, "folded to lower case, one word");
        assert_eq!(fnv1a(b'w', "社保"), fnv1a(b'w', "社保"));
        assert_ne!(fnv1a(b'w', "社保"), fnv1a(b'b', "社保"), "a word and a bigram of the same characters differ");
        let tagged = f.counts_with("暴雨水浸街，车辆无法通行", &["441900003"]);
        assert_eq!(tagged.len(), a.len() + 1, "the town is one more term");
        assert!(tagged.windows(2).all(|w| w[0].0 < w[1].0), "still ascending");
        assert_ne!(tagged, f.counts_with("暴雨水浸街，车辆无法通行", &["441900101"]), "another town, another term");
    }

    #[test]
    fn rare_terms_weigh_more_and_vectors_have_unit_length() {
        let f = Featurizer { bits: 16 };
        let docs: Vec<_> = ["路灯不亮", "路灯损坏", "路灯不亮了", "噪音扰民"].iter().map(|t| f.counts(t)).collect();
        let tfidf = Tfidf::fit(f, &docs);
        let v = tfidf.vector("路灯噪音");
        let norm: f32 = v.iter().map(|(_, w)| w * w).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        // Bigrams, whose counts do not depend on how jieba cuts.
        let weight = |pair: &str| {
            let bucket = fnv1a(b'b', pair) & ((1 << 16) - 1);
            v.iter().find(|(b, _)| *b == bucket).map(|(_, w)| *w).unwrap()
        };
        assert!(weight("噪音") > weight("路灯"), "噪音 is in one document, 路灯 in three: {v:?}");
    }
}
