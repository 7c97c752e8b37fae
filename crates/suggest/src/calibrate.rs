//! Honest confidence: a softmax's raw probabilities are often too sure (or
//! too shy); one temperature, fitted on examples the model did not learn
//! from, rescales them so that "80 %" is right about 80 % of the time
//! (Guo et al., 2017, temperature scaling). Measured by the expected
//! calibration error.

/// The temperature minimising the negative log-likelihood of `truth`
/// under `softmax(scores / T)`: a log-spaced search over 0.05 … 20, then
/// refined around the best.
pub fn temperature(scores: &[Vec<f32>], truth: &[usize]) -> f32 {
    if scores.is_empty() {
        return 1.0;
    }
    let nll = |t: f32| -> f64 { scores.iter().zip(truth).map(|(s, &y)| -f64::from(crate::softmax(s, t)[y].max(1e-12)).ln()).sum::<f64>() };
    let grid = |from: f32, to: f32, steps: u32| {
        (0..=steps)
            .map(|i| from * (to / from).powf(i as f32 / steps as f32))
            .map(|t| (t, nll(t)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("a grid")
            .0
    };
    let rough = grid(0.05, 20.0, 60);
    grid(rough / 1.12, rough * 1.12, 20)
}

/// Expected calibration error over 10 equal bins of top-1 confidence:
/// the gap between how sure the model said it was and how often it was
/// right, weighed by how many predictions fell in each bin.
pub fn expected_calibration_error(confidence: &[f32], correct: &[bool]) -> f64 {
    let mut bins = [(0f64, 0f64); 10];
    for (c, ok) in confidence.iter().zip(correct) {
        let bin = ((c * 10.0) as usize).min(9);
        bins[bin].0 += f64::from(*c);
        bins[bin].1 += if *ok { 1.0 } else { 0.0 };
    }
    let n = confidence.len().max(1) as f64;
    // |Σconfidence − Σright| / n per bin = |mean confidence − accuracy| × share.
    bins.iter().map(|(conf, right)| (conf - right).abs() / n).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overconfident_model_is_cooled_and_a_shy_one_warmed() {
        // Scores that always say "class 0, 99 %" while class 0 is right
        // only 3 times in 5: the fitted temperature is above 1.
        let sure = vec![vec![5.0, 0.0]; 5];
        let truth = [0, 0, 0, 1, 1];
        assert!(temperature(&sure, &truth) > 2.0);
        // Scores that hardly lean while always right: below 1.
        let shy = vec![vec![0.2, 0.0]; 5];
        assert!(temperature(&shy, &[0; 5]) < 0.2);
    }

    #[test]
    fn the_calibration_error_is_the_gap_between_said_and_right() {
        assert!((expected_calibration_error(&[0.9; 10], &[true; 10]) - 0.1).abs() < 1e-6);
        let half = [true, false, true, false];
        assert!((expected_calibration_error(&[0.95; 4], &half) - 0.45).abs() < 1e-6);
        assert!(expected_calibration_error(&[0.55; 4], &half) < 0.051);
    }
}
