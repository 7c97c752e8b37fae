//! The seat plan (坐席排班): from calls per skill per half-hour of the week,
//! the agents each half-hour needs, the agents to roster after shrinkage,
//! and a plan of fixed-length shifts that covers them.
//!
//! Shifts are placed greedily: walking the week from its quietest
//! half-hour, wherever the shifts already started fall short, enough new
//! shifts start there to close the gap. For a line of demands and shifts of
//! one length this is optimal (no plan uses fewer shifts); the week is cut
//! open at its quietest half-hour, where overlap across the cut costs least.

use crate::staffing::{Patience, StaffingError, StaffingResult, Target, Traffic, required_agents, scheduled_agents};
use serde::Serialize;

/// Half-hours in a week.
pub const SLOTS: usize = 7 * 48;
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A half-hour of the week, 0 = Monday 00:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Slot(pub usize);

impl Slot {
    /// From a weekday (`mon` … `sun`) and a start time on a half-hour (`08:30`).
    pub fn parse(weekday: &str, start: &str) -> Result<Self, String> {
        let day = DAYS
            .iter()
            .position(|d| d.eq_ignore_ascii_case(weekday.trim()))
            .ok_or_else(|| format!("weekday {weekday:?} is not one of mon, tue, wed, thu, fri, sat, sun"))?;
        let (h, m) = start.trim().split_once(':').ok_or_else(|| format!("start {start:?} is not a time like 08:30"))?;
        let (h, m): (usize, usize) =
            (h.parse().map_err(|_| format!("start {start:?}: bad hour"))?, m.parse().map_err(|_| format!("start {start:?}: bad minutes"))?);
        if h > 23 || (m != 0 && m != 30) {
            return Err(format!("start {start:?} is not on a half-hour (00:00 … 23:30)"));
        }
        Ok(Self(day * 48 + h * 2 + m / 30))
    }

    pub fn label(self) -> String {
        let (day, half) = (self.0 / 48, self.0 % 48);
        format!("{} {:02}:{:02}", DAYS[day], half / 2, (half % 2) * 30)
    }
}

/// Calls of one skill in one half-hour.
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    pub skill: String,
    pub slot: Slot,
    pub calls: f64,
    pub aht_secs: f64,
}

/// What a skill needs in one half-hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Need {
    pub slot: Slot,
    pub calls: f64,
    /// On the phones, for the target.
    pub agents: u32,
    /// Rostered, after shrinkage.
    pub scheduled: u32,
}

/// A skill's week: its needs and its shifts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillPlan {
    pub skill: String,
    pub needs: Vec<Need>,
    /// Shifts starting in each half-hour (only those with some).
    pub shift_starts: Vec<(Slot, u32)>,
    /// Agents the shifts put in each half-hour.
    pub coverage: Vec<u32>,
    pub shifts: u32,
}

/// Needs for every half-hour of the week (quiet half-hours not given need
/// nobody), then shifts of `shift_slots` half-hours covering the scheduled
/// agents.
pub fn plan(
    skill: &str,
    demands: &[Demand],
    target: &Target,
    patience: Option<Patience>,
    shrinkage: f64,
    shift_slots: usize,
) -> StaffingResult<SkillPlan> {
    let mut needs: Vec<Need> = (0..SLOTS).map(|s| Need { slot: Slot(s), calls: 0.0, agents: 0, scheduled: 0 }).collect();
    for d in demands.iter().filter(|d| d.skill == skill && d.calls > 0.0) {
        let traffic = Traffic::new(d.calls, 1800.0, d.aht_secs)?;
        let agents = required_agents(&traffic, target, patience)?.agents;
        let need = &mut needs[d.slot.0];
        need.calls = d.calls;
        need.agents = agents;
        need.scheduled = scheduled_agents(agents, shrinkage)?;
    }
    let wanted: Vec<u32> = needs.iter().map(|n| n.scheduled).collect();
    let starts = cover(&wanted, shift_slots);
    let coverage = coverage(&starts, shift_slots);
    Ok(SkillPlan {
        skill: skill.to_owned(),
        shifts: starts.iter().sum(),
        shift_starts: starts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(s, n)| (Slot(s), *n)).collect(),
        coverage,
        needs,
    })
}

/// What a seat plan aims for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanSettings {
    pub target: Target,
    pub patience: Option<Patience>,
    /// Share of rostered time off the phones.
    pub shrinkage: f64,
    /// Length of a shift in half-hours (1–48).
    pub shift_slots: usize,
}

/// A plan for every skill the demands name, in the skills' order.
pub fn plan_skills(demands: &[Demand], settings: &PlanSettings) -> StaffingResult<Vec<SkillPlan>> {
    if !(1..=48).contains(&settings.shift_slots) {
        return Err(StaffingError::Invalid { field: "shift_hours", message: "must be between 0.5 and 24".into() });
    }
    let skills: std::collections::BTreeSet<&str> = demands.iter().map(|d| d.skill.as_str()).collect();
    let PlanSettings { target, patience, shrinkage, shift_slots } = *settings;
    skills.into_iter().map(|s| plan(s, demands, &target, patience, shrinkage, shift_slots)).collect()
}

/// Shifts to start in each slot so that every slot is covered.
pub fn cover(wanted: &[u32], shift_slots: usize) -> Vec<u32> {
    let n = wanted.len();
    let mut starts = vec![0u32; n];
    if n == 0 || shift_slots == 0 {
        return starts;
    }
    let cut = (0..n).min_by_key(|&s| (wanted[s], s)).expect("slots");
    let mut have = vec![0u32; n];
    for i in 0..n {
        let s = (cut + i) % n;
        if have[s] < wanted[s] {
            let more = wanted[s] - have[s];
            starts[s] += more;
            for k in 0..shift_slots.min(n) {
                have[(s + k) % n] += more;
            }
        }
    }
    starts
}

/// Agents in each slot from shifts starting in each slot (the week wraps).
pub fn coverage(starts: &[u32], shift_slots: usize) -> Vec<u32> {
    let n = starts.len();
    let mut have = vec![0u32; n];
    for (s, &count) in starts.iter().enumerate() {
        for k in 0..shift_slots.min(n) {
            have[(s + k) % n] += count;
        }
    }
    have
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_read_and_print_as_weekday_and_time() {
        assert_eq!(Slot::parse("mon", "00:00").unwrap(), Slot(0));
        assert_eq!(Slot::parse("Sun", "23:30").unwrap(), Slot(SLOTS - 1));
        assert_eq!(Slot::parse("wed", "08:30").unwrap().label(), "wed 08:30");
        assert!(Slot::parse("mon", "08:15").unwrap_err().contains("half-hour"));
        assert!(Slot::parse("someday", "08:00").unwrap_err().contains("weekday"));
    }

    #[test]
    fn shifts_cover_every_slot_and_none_is_wasted_on_a_simple_week() {
        // Two slots of demand 3 far apart, shifts of 4 slots: two starts of 3.
        let mut wanted = vec![0; 20];
        wanted[5] = 3;
        wanted[6] = 2;
        wanted[14] = 3;
        let starts = cover(&wanted, 4);
        assert_eq!(starts.iter().sum::<u32>(), 6);
        let have = coverage(&starts, 4);
        assert!(have.iter().zip(&wanted).all(|(h, w)| h >= w));
    }

    #[test]
    fn a_week_of_demand_is_covered_by_eight_hour_shifts() {
        let target = Target::new(0.8, 15.0).unwrap();
        let demands: Vec<Demand> = (0..SLOTS)
            .map(|s| {
                let half = s % 48;
                let calls = if (16..40).contains(&half) { 120.0 } else { 20.0 };
                Demand { skill: "general".into(), slot: Slot(s), calls, aht_secs: 180.0 }
            })
            .collect();
        let p = plan("general", &demands, &target, None, 0.3, 16).unwrap();
        assert!(p.needs.iter().zip(&p.coverage).all(|(n, c)| *c >= n.scheduled), "every half-hour covered");
        let day = p.needs[20].scheduled;
        let night = p.needs[2].scheduled;
        assert!(day > night && night > 0, "day {day}, night {night}");
        // No shift is superfluous: removing any start leaves a gap.
        for (slot, _) in &p.shift_starts {
            let mut fewer: Vec<u32> = vec![0; SLOTS];
            for (s, n) in &p.shift_starts {
                fewer[s.0] = *n;
            }
            fewer[slot.0] -= 1;
            let have = coverage(&fewer, 16);
            assert!(have.iter().zip(&p.needs).any(|(h, n)| *h < n.scheduled), "the shift at {} is needed", slot.label());
        }
    }
}
