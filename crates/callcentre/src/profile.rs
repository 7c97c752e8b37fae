//! A day of a 12345 centre: the share of a day's calls in each hour, and a
//! roster that staffs each hour for a service-level target within the seats
//! available.

use crate::staffing::{Patience, StaffingResult, Target, Traffic, required_agents};

/// Share of a day's calls arriving in each hour (0–23): quiet nights, a
/// morning peak from 9 to 11, a second one from 14 to 17. Shaped after the
/// published hourly curves of city hotlines; sums to 1.
pub const HOURLY_SHARE: [f64; 24] = [
    0.010, 0.006, 0.004, 0.003, 0.003, 0.005, 0.012, 0.030, 0.062, 0.085, 0.088, 0.078, 0.055, 0.050, 0.072, 0.078, 0.075, 0.065, 0.045,
    0.040, 0.037, 0.034, 0.034, 0.030,
];

/// Calls in each hour for a day of `calls_per_day`.
pub fn hourly_calls(calls_per_day: f64) -> Vec<f64> {
    let total: f64 = HOURLY_SHARE.iter().sum();
    HOURLY_SHARE.iter().map(|s| calls_per_day * s / total).collect()
}

/// Agents for each hour: the fewest meeting the target, at least `min`, at
/// most `seats`.
pub fn roster(calls: &[f64], aht_secs: f64, target: &Target, patience: Option<Patience>, min: u32, seats: u32) -> StaffingResult<Vec<u32>> {
    calls
        .iter()
        .map(|&c| {
            if c <= 0.0 {
                return Ok(min.min(seats));
            }
            let traffic = Traffic::new(c, 3600.0, aht_secs)?;
            let needed = match required_agents(&traffic, target, patience) {
                Ok(e) => e.agents,
                Err(crate::staffing::StaffingError::Unreachable(_)) => seats,
                Err(e) => return Err(e),
            };
            Ok(needed.clamp(min, seats))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_spreads_a_day_and_the_roster_follows_it_within_the_seats() {
        let calls = hourly_calls(40_000.0);
        assert!((calls.iter().sum::<f64>() - 40_000.0).abs() < 1e-6);
        let target = Target::new(0.8, 15.0).unwrap();
        let roster = roster(&calls, 180.0, &target, None, 10, 300).unwrap();
        assert_eq!(roster[3], 10, "a quiet night hour gets the minimum");
        assert!(roster[10] > roster[3] && roster[10] <= 300);
        let tight = super::roster(&calls, 180.0, &target, None, 10, 100).unwrap();
        assert_eq!(tight[10], 100, "never more than the seats");
    }
}
