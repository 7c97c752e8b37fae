//! How well suggestions would have done: the examples in time order, the
//! last share held out (the model never sees the future it is judged on),
//! the model and the baseline trained on the same earlier part and scored
//! on the same later part.

use crate::bayes::NaiveBayes;
use crate::calibrate;
use crate::dataset::{Example, LEVEL_SEPARATOR, label_index};
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
    /// For hierarchical labels, each level above the leaf (level 1 first):
    /// the leaf probabilities summed per ancestor, so the upper levels are
    /// derived from the leaf model, as the platform derives them.
    pub levels: Vec<Level>,
}

/// One level above the leaf: its labels and both models' scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub depth: usize,
    pub labels: Vec<String>,
    pub model: Scores,
    pub baseline: Scores,
}

/// The first `depth` parts of a hierarchical label.
fn ancestor(label: &str, depth: usize) -> String {
    label.split(LEVEL_SEPARATOR).take(depth).collect::<Vec<_>>().join(LEVEL_SEPARATOR)
}

/// Leaf probabilities summed per ancestor at `depth`, with the ancestors'
/// labels and each truth's ancestor.
fn lift(depth: usize, labels: &[String], probabilities: &[Vec<f32>], truth: &[usize]) -> (Vec<String>, Vec<Vec<f32>>, Vec<usize>) {
    let mut up: Vec<String> = labels.iter().map(|l| ancestor(l, depth)).collect();
    up.sort();
    up.dedup();
    let of: Vec<usize> = labels.iter().map(|l| up.binary_search(&ancestor(l, depth)).expect("an ancestor of its own")).collect();
    let lifted = probabilities
        .iter()
        .map(|p| {
            let mut q = vec![0.0f32; up.len()];
            for (leaf, v) in p.iter().enumerate() {
                q[of[leaf]] += v;
            }
            q
        })
        .collect();
    (up, lifted, truth.iter().map(|y| of[*y]).collect())
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
    let counts: Vec<Vec<(u32, u32)>> =
        ordered.iter().map(|e| featurizer.counts_with(&e.text, &e.tags.iter().map(String::as_str).collect::<Vec<_>>())).collect();
    let tfidf = Tfidf::fit(featurizer, &counts[..cut]);
    let xs: Vec<SparseVec> = counts.iter().map(|c| tfidf.weigh(c)).collect();
    let (train_x, test_x) = xs.split_at(cut);
    let (train_y, test_y) = ys.split_at(cut);

    let model = Linear::train_calibrated(train_x, train_y, labels.len(), featurizer.dims(), options);
    let temperature = model.temperature;
    let baseline = NaiveBayes::train(train_x, train_y, labels.len(), 0.1);
    let model_p: Vec<Vec<f32>> = test_x.iter().map(|x| model.probabilities(x)).collect();
    let baseline_p: Vec<Vec<f32>> = test_x.iter().map(|x| baseline.probabilities(x)).collect();
    let depth = labels.iter().map(|l| l.split(LEVEL_SEPARATOR).count()).max().unwrap_or(1);
    let levels = (1..depth)
        .map(|d| {
            let (up, model_up, truth) = lift(d, &labels, &model_p, test_y);
            let (_, baseline_up, _) = lift(d, &labels, &baseline_p, test_y);
            Level { depth: d, model: score(&model_up, &truth, &up), baseline: score(&baseline_up, &truth, &up), labels: up }
        })
        .collect();
    Evaluation {
        levels,
        trained_on: cut,
        tested_on: ordered.len() - cut,
        split_at: ordered.get(cut).map(|e| e.at).unwrap_or_default(),
        temperature,
        model: score(&model_p, test_y, &labels),
        baseline: score(&baseline_p, test_y, &labels),
        labels,
    }
}

/// Classes listed one per row at most; beyond, the most held out.
const CLASSES_LISTED: usize = 20;
/// Confusions listed when there are too many classes for a table.
const CONFUSIONS_LISTED: usize = 15;

impl Evaluation {
    /// The most frequent confusions, as a list: a table of hundreds of
    /// classes says nothing.
    fn confusions(&self, limit: usize) -> String {
        let mut pairs: Vec<(u32, usize, usize)> = Vec::new();
        for (truth, row) in self.model.confusion.iter().enumerate() {
            for (guess, n) in row.iter().enumerate() {
                if truth != guess && *n > 0 {
                    pairs.push((*n, truth, guess));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        if pairs.is_empty() {
            return "The model took no held-out example for another class.\n".to_owned();
        }
        let mut out = String::from("The model's most frequent confusions (the right class → the class suggested first):\n\n");
        for (n, truth, guess) in pairs.into_iter().take(limit) {
            let _ = writeln!(out, "- {n} × {} → {}", self.labels[truth], self.labels[guess]);
        }
        out
    }

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
        if !self.levels.is_empty() {
            let _ = writeln!(
                out,
                "\nEach level, derived from the leaf suggestions:\n\n| level | classes | model top-1 | model top-3 | baseline top-1 | baseline top-3 |\n| --- | --- | --- | --- | --- | --- |"
            );
            let leaf = Level {
                depth: self.levels.len() + 1,
                labels: self.labels.clone(),
                model: self.model.clone(),
                baseline: self.baseline.clone(),
            };
            for l in self.levels.iter().chain(std::iter::once(&leaf)) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.1} % | {:.1} % | {:.1} % | {:.1} % |",
                    l.depth,
                    l.labels.len(),
                    l.model.top1 * 100.0,
                    l.model.top3 * 100.0,
                    l.baseline.top1 * 100.0,
                    l.baseline.top3 * 100.0
                );
            }
        }
        let mut rows: Vec<(&ClassScore, &ClassScore)> = self.model.per_class.iter().zip(&self.baseline.per_class).collect();
        let shown = if rows.len() > CLASSES_LISTED {
            rows.sort_by_key(|r| std::cmp::Reverse(r.0.support));
            rows.truncate(CLASSES_LISTED);
            format!(" (the {CLASSES_LISTED} most held out of {})", self.labels.len())
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "\n| class{shown} | held out | model precision | model recall | baseline recall |\n| --- | --- | --- | --- | --- |"
        );
        for (m, b) in rows {
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
        if self.labels.len() > CLASSES_LISTED {
            let _ = writeln!(out, "\n{}", self.confusions(CONFUSIONS_LISTED));
            return out;
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
        assert!(e.levels.is_empty(), "one level");
    }

    #[test]
    fn upper_levels_are_scored_from_the_leaf_suggestions() {
        let leaf = |i: usize| ["a / x / 1", "a / x / 2", "a / y / 3", "b / z / 4"][i % 4].to_owned();
        let words = ["路灯 不亮 损坏", "路灯 闪烁 忽明忽暗", "井盖 丢失 缺失", "工资 拖欠 欠薪"];
        let examples: Vec<Example> = (0..200)
            .map(|i| Example {
                id: format!("{i:04}"),
                text: format!("{} 第{}次", words[i % 4], i),
                label: leaf(i),
                at: chrono::DateTime::from_timestamp(1_700_000_000 + i as i64 * 60, 0).unwrap().naive_utc(),
                tags: vec![],
            })
            .collect();
        let e = evaluate(&examples, Featurizer { bits: 12 }, TrainOptions::default(), 0.2);
        assert_eq!(e.levels.len(), 2);
        assert_eq!(e.levels[0].labels, ["a", "b"]);
        assert_eq!(e.levels[1].labels, ["a / x", "a / y", "b / z"]);
        assert!(e.levels[0].model.top1 >= e.levels[1].model.top1 && e.levels[1].model.top1 >= e.model.top1, "{}", e.report());
        assert_eq!(e.levels[0].model.top1, 1.0, "wages are never lights: {}", e.report());
        let total: u32 = e.levels[1].model.confusion.iter().flatten().sum();
        assert_eq!(total as usize, e.tested_on);
        assert!(e.report().contains("| 1 | 2 |") && e.report().contains("| 3 | 4 |"), "{}", e.report());
    }
}
