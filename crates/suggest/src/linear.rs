//! Multinomial logistic regression over sparse TF-IDF vectors, trained by
//! stochastic gradient descent with a decaying step, the examples shuffled
//! each epoch from a fixed seed (the same data gives the same model).
//! Weights are stored feature-major, so a prediction touches one short
//! row per term of the text.

use crate::features::SparseVec;
use rand::SeedableRng;
use rand::seq::SliceRandom;

/// A gradient below this leaves a class's weights alone for the example.
const NEGLIGIBLE: f32 = 1e-4;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    pub epochs: u32,
    /// The first step; epoch `e` steps `learning_rate / (1 + e / 4)`.
    pub learning_rate: f32,
    /// Weight decay on the weights a step touches.
    pub l2: f32,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self { epochs: 30, learning_rate: 1.0, l2: 1e-5, seed: 12345 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    pub classes: usize,
    pub dims: usize,
    /// `weights[f * classes + c]`.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    /// Divides the scores before the softmax (`calibrate::temperature`).
    pub temperature: f32,
    /// The highest confidence it may claim: (n + 1) / (n + 2) for a
    /// temperature fitted on n examples (Laplace's rule of succession), so
    /// a model right on all of a few held-out examples does not claim
    /// certainty. Above it, the probabilities are mixed with the uniform
    /// just enough; below, they are left alone.
    pub ceiling: f32,
}

impl Linear {
    pub fn train(xs: &[SparseVec], ys: &[usize], classes: usize, dims: usize, options: TrainOptions) -> Self {
        let mut model =
            Self { classes, dims, weights: vec![0.0; dims * classes], bias: vec![0.0; classes], temperature: 1.0, ceiling: 1.0 };
        let mut order: Vec<usize> = (0..xs.len()).collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(options.seed);
        for epoch in 0..options.epochs {
            order.shuffle(&mut rng);
            let step = options.learning_rate / (1.0 + epoch as f32 / 4.0);
            for &i in &order {
                let p = crate::softmax(&model.scores(&xs[i]), 1.0);
                for (c, pc) in p.iter().enumerate() {
                    let gradient = pc - if c == ys[i] { 1.0 } else { 0.0 };
                    model.bias[c] -= step * gradient;
                    // Classes the example makes all but impossible move
                    // their weights by nothing worth the time: with
                    // hundreds of categories this skips most of them.
                    if gradient.abs() < NEGLIGIBLE {
                        continue;
                    }
                    for (f, x) in &xs[i] {
                        let w = &mut model.weights[*f as usize * classes + c];
                        *w -= step * (gradient * x + options.l2 * *w);
                    }
                }
            }
        }
        model
    }

    /// Trains on time-ordered examples with an honest confidence: the
    /// temperature is fitted on the latest sixth by a model trained on the
    /// examples before it, then the model is trained on them all.
    pub fn train_calibrated(xs: &[SparseVec], ys: &[usize], classes: usize, dims: usize, options: TrainOptions) -> Self {
        let inner = xs.len() * 5 / 6;
        let early = Self::train(&xs[..inner], &ys[..inner], classes, dims, options);
        let held: Vec<Vec<f32>> = xs[inner..].iter().map(|x| early.scores(x)).collect();
        let temperature = crate::calibrate::temperature(&held, &ys[inner..]);
        let n = held.len() as f32;
        Self { temperature, ceiling: (n + 1.0) / (n + 2.0), ..Self::train(xs, ys, classes, dims, options) }
    }

    /// One score per class.
    pub fn scores(&self, x: &SparseVec) -> Vec<f32> {
        let mut scores = self.bias.clone();
        for (f, value) in x {
            let row = &self.weights[*f as usize * self.classes..(*f as usize + 1) * self.classes];
            for (s, w) in scores.iter_mut().zip(row) {
                *s += w * value;
            }
        }
        scores
    }

    /// One probability per class, calibrated.
    pub fn probabilities(&self, x: &SparseVec) -> Vec<f32> {
        let p = crate::softmax(&self.scores(x), self.temperature);
        let even = 1.0 / self.classes as f32;
        let top = p.iter().copied().fold(0.0, f32::max);
        if top <= self.ceiling || top <= even {
            return p;
        }
        let mix = (top - self.ceiling) / (top - even);
        p.into_iter().map(|p| (1.0 - mix) * p + mix * even).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_learns_which_terms_mean_which_class_and_the_same_seed_gives_the_same_model() {
        // Class 0 has term 1, class 1 term 2; term 3 is noise in both.
        let xs: Vec<SparseVec> =
            vec![vec![(1, 0.8), (3, 0.6)], vec![(2, 0.8), (3, 0.6)], vec![(1, 1.0)], vec![(2, 1.0)], vec![(1, 0.6), (3, 0.8)]];
        let ys = [0, 1, 0, 1, 0];
        let model = Linear::train(&xs, &ys, 2, 8, TrainOptions::default());
        assert!(model.probabilities(&vec![(1, 1.0)])[0] > 0.9);
        assert!(model.probabilities(&vec![(2, 1.0)])[1] > 0.9);
        let unsure = model.probabilities(&vec![(5, 1.0)]);
        assert!(unsure[0] < 0.9 && unsure[1] < 0.9, "a term never seen says little: {unsure:?}");
        assert_eq!(model, Linear::train(&xs, &ys, 2, 8, TrainOptions::default()));
    }

    #[test]
    fn a_model_right_on_a_few_held_out_examples_does_not_claim_certainty() {
        let xs: Vec<SparseVec> = (0..12).map(|i| vec![(i % 2, 1.0)]).collect();
        let ys: Vec<usize> = (0..12).map(|i| i % 2).collect();
        let model = Linear::train_calibrated(&xs, &ys, 2, 8, TrainOptions::default());
        assert_eq!(model.ceiling, 3.0 / 4.0, "2 held out");
        let p = model.probabilities(&vec![(0, 1.0)]);
        assert!((p[0] - 0.75).abs() < 1e-5, "capped at the ceiling: {p:?}");
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
}
