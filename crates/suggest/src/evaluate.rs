//! How well suggestions would have done: the examples in time order, the
//! last share held out (the model never sees the future it is judged on),
//! the model and the baseline trained on the same earlier part and scored
//! on the same later part.

use crate::bayes::NaiveBayes;
use crate::calibrate;
use crate::dataset::{Example, label_index};
use crate::features::{Featurizer, SparseVec, Tfidf};
use crate::linear::{Linear, TrainOptions};
use std::fmt::Write;

/// One class's figures on the held-out part.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassScore {
    pub label: String,
    /// Held-out examples of the class.
    pub support: u32,
    pub precision: f64,
    pub recall: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub top1: f64,
    pub top3: f64,
    /// Expected calibration error of the top-1 confidence.
    pub ece: f64,
    /// Mean negative log-likelihood of the right label.
    pub log_loss: f64,
    pub per_class: Vec<ClassScore>,
    /// `confusion[truth][predicted]`.
    pub confusion: Vec<Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub labels: Vec<String>,
    pub trained_on: usize,
    pub tested_on: usize,
    /// The first held-out example's time.
    pub split_at: chrono::NaiveDateTime,
    pub temperature: f32,
    pub model: Scores,
    pub baseline: Scores,
}

fn score(probabilities: &[Vec<f32>], truth: &[usize], labels: &[String]) -> Scores {
    let n = truth.len().max(1) as f64;
    let classes = labels.len();
    let mut confusion = vec![vec![0u32; classes]; classes];
    let (mut top1, mut top3, mut log_loss) = (0u32, 0u32, 0f64);
    let mut confidence = Vec::with_capacity(truth.len());
    let mut correct = Vec::with_capacity(truth.len());
    for (p, &y) in probabilities.iter().zip(truth) {
        let ranked = crate::top_k(p, 3);
        let (best, sure) = ranked[0];
        confusion[y][best] += 1;
        top1 += u32::from(best == y);
        top3 += u32::from(ranked.iter().any(|(c, _)| *c == y));
        log_loss -= f64::from(p[y].max(1e-12)).ln();
        confidence.push(sure);
        correct.push(best == y);
    }
    let per_class = (0..classes)
        .map(|c| {
            let support: u32 = confusion[c].iter().sum();
            let predicted: u32 = confusion.iter().map(|row| row[c]).sum();
            let right = f64::from(confusion[c][c]);
            ClassScore {
                label: labels[c].clone(),
                support,
                precision: if predicted == 0 { 0.0 } else { right / f64::from(predicted) },
                recall: if support == 0 { 0.0 } else { right / f64::from(support) },
            }
        })
        .collect();
    Scores {
        top1: f64::from(top1) / n,
        top3: f64::from(top3) / n,
        ece: calibrate::expected_calibration_error(&confidence, &correct),
        log_loss: log_loss / n,
        per_class,
        confusion,
    }
}

/// Trains on the earlier `1 - test_share` of `examples` (by time) and
/// scores the model (calibrated as `Linear::train_calibrated` does) and
/// the baseline on the rest.
pub fn evaluate(examples: &[Example], featurizer: Featurizer, options: TrainOptions, test_share: f64) -> Evaluation {
    let mut ordered: Vec<&Example> = examples.iter().collect();
    ordered.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    let ordered: Vec<Example> = ordered.into_iter().cloned().collect();
    let (labels, ys) = label_index(&ordered);
    let cut = ((ordered.len() as f64) * (1.0 - test_share)).round() as usize;
    let counts: Vec<Vec<(u32, u32)>> = ordered.iter().map(|e| featurizer.counts(&e.text)).collect();
    let tfidf = Tfidf::fit(featurizer, &counts[..cut]);
    let xs: Vec<SparseVec> = counts.iter().map(|c| tfidf.weigh(c)).collect();
    let (train_x, test_x) = xs.split_at(cut);
    let (train_y, test_y) = ys.split_at(cut);

    let model = Linear::train_calibrated(train_x, train_y, labels.len(), featurizer.dims(), options);
    let temperature = model.temperature;
    let baseline = NaiveBayes::train(train_x, train_y, labels.len(), 0.1);
    let model_p: Vec<Vec<f32>> = test_x.iter().map(|x| model.probabilities(x)).collect();
    let baseline_p: Vec<Vec<f32>> = test_x.iter().map(|x| baseline.probabilities(x)).collect();
    Evaluation {
        trained_on: cut,
        tested_on: ordered.len() - cut,
        split_at: ordered.get(cut).map(|e| e.at).unwrap_or_default(),
        temperature,
        model: score(&model_p, test_y, &labels),
        baseline: score(&baseline_p, test_y, &labels),
        labels,
    }
}

impl Evaluation {
    /// The figures as Markdown, for `docs/intelligence.md` and the terminal.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Trained on {} examples, tested on the {} after {} (time-ordered split); temperature {:.2}.\n",
            self.trained_on, self.tested_on, self.split_at, self.temperature
        );
        let _ = writeln!(out, "| | top-1 | top-3 | calibration error | log loss |\n| --- | --- | --- | --- | --- |");
        for (name, s) in [("model (TF-IDF + logistic regression)", &self.model), ("baseline (TF-IDF + naive Bayes)", &self.baseline)] {
            let _ = writeln!(out, "| {name} | {:.1} % | {:.1} % | {:.3} | {:.3} |", s.top1 * 100.0, s.top3 * 100.0, s.ece, s.log_loss);
        }
        let _ = writeln!(out, "\n| class | held out | model precision | model recall | baseline recall |\n| --- | --- | --- | --- | --- |");
        for (m, b) in self.model.per_class.iter().zip(&self.baseline.per_class) {
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} % | {:.0} % | {:.0} % |",
                m.label,
                m.support,
                m.precision * 100.0,
                m.recall * 100.0,
                b.recall * 100.0
            );
        }
        let _ = writeln!(out, "\nThe model's confusion (rows: the right class, columns: the class suggested first):\n");
        let _ = writeln!(out, "| | {} |", (0..self.labels.len()).map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(" | "));
        let _ = writeln!(out, "| --- |{}", " --- |".repeat(self.labels.len()));
        for (i, row) in self.model.confusion.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(u32::to_string).collect();
            let _ = writeln!(out, "| {} {} | {} |", i + 1, self.labels[i], cells.join(" | "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Evaluation {
        let examples = crate::dataset::messages(hotline_reference_data::MESSAGES).unwrap();
        evaluate(&examples, Featurizer::default(), TrainOptions::default(), 0.2)
    }

    #[test]
    fn on_the_real_messages_the_model_learns_and_its_confidence_is_near_the_truth() {
        let e = shipped();
        assert_eq!((e.trained_on, e.tested_on), (264, 66));
        let chance = 69.0 / 330.0;
        assert!(e.model.top1 > 3.0 * chance, "far above the largest class's share: {}", e.report());
        assert!(e.model.top3 > e.model.top1 && e.model.top3 > 0.85, "{}", e.report());
        assert!(e.model.ece < 0.15, "calibrated: {}", e.report());
        assert!(e.model.log_loss <= e.baseline.log_loss, "{}", e.report());
        let total: u32 = e.model.confusion.iter().flatten().sum();
        assert_eq!(total as usize, e.tested_on);
        assert!(e.report().contains("| model (TF-IDF + logistic regression) |"));
    }
}
