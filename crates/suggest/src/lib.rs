//! Suggestions learned from the city's own requests (issue 18): a request's
//! subject and description become hashed jieba words and character bigrams
//! weighted by TF-IDF (`features`); a multinomial logistic regression
//! trained by SGD on 2 cores (`linear`) proposes labels with a confidence
//! made honest by temperature scaling (`calibrate`); a TF-IDF + naive Bayes
//! baseline (`bayes`) is computed in the same run; `evaluate` scores both
//! on a time-ordered split. Nothing here reads files or the database: the
//! callers hand in examples (`dataset`).

pub mod bayes;
pub mod bundle;
pub mod calibrate;
pub mod dataset;
pub mod evaluate;
pub mod features;
pub mod linear;

pub use bundle::{Bundle, BundleError};
pub use dataset::{DatasetError, Example};
pub use evaluate::{Evaluation, Level, Scores, evaluate};
pub use features::{Featurizer, SparseVec, Tfidf};
pub use linear::{Linear, TrainOptions};

/// Labels with their confidence, best first.
pub type Ranked = Vec<(usize, f32)>;

/// The `k` best of a probability vector.
pub fn top_k(probabilities: &[f32], k: usize) -> Ranked {
    let mut ranked: Ranked = probabilities.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(k);
    ranked
}

/// Turns scores into probabilities (numerically stable softmax), scaled
/// by `1 / temperature`.
pub fn softmax(scores: &[f32], temperature: f32) -> Vec<f32> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scores.iter().map(|s| ((s - max) / temperature).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_temperature_flattens() {
        let p = softmax(&[2.0, 1.0, 0.0], 1.0);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[0] > p[1] && p[1] > p[2]);
        let flat = softmax(&[2.0, 1.0, 0.0], 4.0);
        assert!(flat[0] < p[0], "a higher temperature is less sure");
        assert_eq!(top_k(&p, 2).iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1]);
    }
}
