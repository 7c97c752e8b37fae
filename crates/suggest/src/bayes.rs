//! The baseline every model here must beat: multinomial naive Bayes over
//! the same TF-IDF vectors (as scikit-learn's `TfidfVectorizer` +
//! `MultinomialNB`), additive smoothing `alpha`.

use crate::features::SparseVec;

#[derive(Debug, Clone, PartialEq)]
pub struct NaiveBayes {
    classes: usize,
    log_prior: Vec<f32>,
    /// Per bucket seen in training, its log-likelihood in each class.
    log_likelihood: std::collections::HashMap<u32, Vec<f32>>,
}

impl NaiveBayes {
    pub fn train(xs: &[SparseVec], ys: &[usize], classes: usize, alpha: f32) -> Self {
        let mut mass: std::collections::HashMap<u32, Vec<f32>> = std::collections::HashMap::new();
        let mut totals = vec![0f32; classes];
        let mut docs = vec![0f32; classes];
        for (x, &y) in xs.iter().zip(ys) {
            docs[y] += 1.0;
            for (f, w) in x {
                mass.entry(*f).or_insert_with(|| vec![0.0; classes])[y] += w;
                totals[y] += w;
            }
        }
        let vocabulary = mass.len() as f32;
        let denominators: Vec<f32> = totals.iter().map(|t| t + alpha * vocabulary).collect();
        let log_likelihood =
            mass.into_iter().map(|(f, m)| (f, m.iter().zip(&denominators).map(|(m, d)| ((m + alpha) / d).ln()).collect())).collect();
        let n: f32 = docs.iter().sum();
        Self { classes, log_prior: docs.iter().map(|d| ((d + 1.0) / (n + classes as f32)).ln()).collect(), log_likelihood }
    }

    pub fn scores(&self, x: &SparseVec) -> Vec<f32> {
        let mut scores = self.log_prior.clone();
        for (f, w) in x {
            // A bucket no training text had says nothing about any class.
            let Some(row) = self.log_likelihood.get(f) else { continue };
            for c in 0..self.classes {
                scores[c] += w * row[c];
            }
        }
        scores
    }

    pub fn probabilities(&self, x: &SparseVec) -> Vec<f32> {
        crate::softmax(&self.scores(x), 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_learns_term_counts() {
        let xs: Vec<SparseVec> = vec![vec![(1, 1.0)], vec![(2, 1.0)], vec![(1, 0.7), (3, 0.7)]];
        let nb = NaiveBayes::train(&xs, &[0, 1, 0], 2, 0.1);
        assert!(nb.probabilities(&vec![(1, 1.0)])[0] > 0.8);
        assert!(nb.probabilities(&vec![(2, 1.0)])[1] > 0.8);
        let prior = nb.probabilities(&vec![(9, 1.0)]);
        assert!(prior[0] > prior[1], "an unseen term leaves the prior (two of three were class 0): {prior:?}");
    }
}
