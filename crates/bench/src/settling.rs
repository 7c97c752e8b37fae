//! The server's memory sampled while it settles after a soak's round.

use crate::memory;

/// Resident memory and the Rust heap read every quarter of a second while
/// the server settles after a round: one reading lands wherever the
/// server's periodic work (the hot topics' grouping every refresh, the
/// search index's merges) happens to be, and moved by up to a fifth from
/// that alone. The median over the settling is the level the server keeps;
/// the maximum, what its periodic work adds on top.
pub struct Sampler {
    samples: std::sync::Arc<std::sync::Mutex<Vec<(f64, f64)>>>,
    task: tokio::task::JoinHandle<()>,
}

/// The spread of a round's samples, in MiB.
pub struct Spread {
    pub median: f64,
    pub max: f64,
}

impl Sampler {
    pub fn start() -> Self {
        let samples = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = samples.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
            loop {
                tick.tick().await;
                into.lock().expect("sampler lock").push((memory::resident_mib(), crate::heap_mib()));
            }
        });
        Self { samples, task }
    }

    /// Stops sampling; the spread of resident memory and of the heap.
    pub fn stop(self) -> (Spread, Spread) {
        self.task.abort();
        let samples = std::mem::take(&mut *self.samples.lock().expect("sampler lock"));
        (spread(samples.iter().map(|s| s.0).collect()), spread(samples.iter().map(|s| s.1).collect()))
    }
}

fn spread(mut values: Vec<f64>) -> Spread {
    values.sort_by(f64::total_cmp);
    match values.last() {
        Some(max) => Spread { median: crate::raw::median(&values), max: *max },
        None => Spread { median: 0.0, max: 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_is_the_middle_and_the_highest_sample() {
        let s = spread(vec![480.0, 530.0, 470.0, 475.0, 610.0]);
        assert_eq!((s.median, s.max), (480.0, 610.0));
        let none = spread(Vec::new());
        assert_eq!((none.median, none.max), (0.0, 0.0), "no sample reads as nothing, not a panic");
    }
}
