//! Figures from stored calls: service levels per queue, agent or
//! half-hour, agents' occupancy from their status history, and the demand
//! per skill and half-hour of the week that the seat plan starts from.

use super::records::{CallRow, StatusChange};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use chrono_tz::Tz;
use hotline_callcentre::engine::{AgentId, AgentStatus, CallId, CallRecord, Millis, Outcome};
use hotline_callcentre::quality::POOR_MOS;
use hotline_callcentre::seatplan::{Demand, Slot};
use hotline_callcentre::stats::{self, Figures};
use hotline_domain::{Satisfaction, UserId};
use serde::Serialize;
use std::collections::BTreeMap;

/// A stored call as the engine's record, its times in ms after `base`
/// (calls before `base` count from `base`).
pub fn to_record(row: &CallRow, base: DateTime<Utc>) -> CallRecord {
    let ms = |t: DateTime<Utc>| (t - base).num_milliseconds().max(0) as Millis;
    CallRecord {
        call: CallId(row.id as u64),
        queue: row.queue.clone(),
        caller: row.caller.clone(),
        arrived: ms(row.arrived_at),
        answered: row.answered_at.map(ms),
        agent: row.agent.map(|u| AgentId(u.0 as u64)),
        ended: ms(row.ended_at),
        outcome: row.outcome,
        transferred_to: row.transfer_to.clone(),
        taken_over_by: row.taken_over_by.map(|u| AgentId(u.0 as u64)),
    }
}

/// How figures are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Total,
    Queue,
    Agent,
    /// Local half-hours (the time zone of the calendar).
    HalfHour,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "total" => Self::Total,
            "queue" => Self::Queue,
            "agent" => Self::Agent,
            "half_hour" => Self::HalfHour,
            _ => return None,
        })
    }
}

/// One row of a service-level report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureRow {
    /// The queue, the agent's user id, the half-hour's local start
    /// (`2026-11-28T08:30`), or `total`.
    pub key: String,
    #[serde(flatten)]
    pub figures: Figures,
    pub mean_wrap_up_secs: f64,
    /// Per agent: handling time (talk and wrap-up) over time available.
    pub occupancy: Option<f64>,
    /// Keypad ratings after the call.
    pub ratings: Ratings,
    /// How the calls sounded, where the lines measured them.
    pub sound: Sound,
    /// Calls a supervisor took over (接管) from their consultant.
    pub taken_over: u64,
}

/// How a group of calls sounded: the calls measured (SIP calls; not the
/// simulator's), their mean score and how many were poor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sound {
    pub measured: u64,
    /// The mean of the calls' scores (each the worse side's); `None`
    /// without a measured call.
    pub mean_mos: Option<f64>,
    /// Calls scored below [`POOR_MOS`].
    pub poor: u64,
}

impl Sound {
    pub fn of<'a>(calls: impl IntoIterator<Item = &'a CallRow>) -> Self {
        let scores: Vec<f64> = calls.into_iter().filter_map(|c| c.quality?.mos()).collect();
        let measured = scores.len() as u64;
        Self {
            measured,
            mean_mos: (measured > 0).then(|| scores.iter().sum::<f64>() / measured as f64),
            poor: scores.iter().filter(|m| **m < POOR_MOS).count() as u64,
        }
    }
}

/// Callers' keypad ratings (按键满意度).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Ratings {
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
}

impl Ratings {
    pub fn of<'a>(calls: impl IntoIterator<Item = &'a CallRow>) -> Self {
        let mut r = Self::default();
        for c in calls {
            match c.satisfaction {
                Some(Satisfaction::Satisfied) => r.satisfied += 1,
                Some(Satisfaction::BasicallySatisfied) => r.basically_satisfied += 1,
                Some(Satisfaction::Unsatisfied) => r.unsatisfied += 1,
                None => {}
            }
        }
        r
    }

    pub fn rated(&self) -> u64 {
        self.satisfied + self.basically_satisfied + self.unsatisfied
    }

    /// Satisfied and basically satisfied over all ratings (满意率); `None`
    /// without ratings.
    pub fn rate(&self) -> Option<f64> {
        let rated = self.rated();
        (rated > 0).then(|| (self.satisfied + self.basically_satisfied) as f64 / rated as f64)
    }
}

/// The thresholds figures are computed with.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub answer_secs: u32,
    pub short_abandon_secs: u32,
}

/// Service levels of the calls that arrived in `[from, to)`, grouped; for
/// agents also their occupancy from the status changes (which should
/// start early enough to know each agent's status at `from`).
pub fn figure_rows(
    calls: &[CallRow],
    changes: &[StatusChange],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: GroupBy,
    tz: Tz,
    t: Thresholds,
) -> Vec<FigureRow> {
    let records: Vec<(CallRecord, &CallRow)> = calls.iter().map(|c| (to_record(c, from), c)).collect();
    let key = |row: &CallRow| -> Option<String> {
        match by {
            GroupBy::Total => Some("total".to_owned()),
            GroupBy::Queue => Some(row.queue.clone()),
            GroupBy::Agent => row.agent.map(|a| a.to_string()),
            GroupBy::HalfHour => {
                let local = row.arrived_at.with_timezone(&tz);
                let minute = if local.minute() < 30 { 0 } else { 30 };
                Some(format!("{}T{:02}:{minute:02}", local.date_naive(), local.hour()))
            }
        }
    };
    let mut groups: BTreeMap<String, Vec<&(CallRecord, &CallRow)>> = BTreeMap::new();
    for pair in &records {
        if let Some(k) = key(pair.1) {
            groups.entry(k).or_default().push(pair);
        }
    }
    let occupancy = if by == GroupBy::Agent { occupancy(changes, calls, from, to) } else { BTreeMap::new() };
    let (threshold, short) = (u64::from(t.answer_secs) * 1000, u64::from(t.short_abandon_secs) * 1000);
    groups
        .into_iter()
        .map(|(key, group)| {
            let figures = stats::figures(group.iter().map(|(r, _)| r), threshold, short);
            let handled: Vec<i64> = group.iter().filter(|(_, c)| c.answered_at.is_some()).map(|(_, c)| c.wrap_up_secs).collect();
            let mean_wrap_up_secs = if handled.is_empty() { 0.0 } else { handled.iter().sum::<i64>() as f64 / handled.len() as f64 };
            let occupancy = key.parse::<i64>().ok().and_then(|id| occupancy.get(&UserId(id)).copied().flatten());
            let ratings = Ratings::of(group.iter().map(|(_, c)| *c));
            let sound = Sound::of(group.iter().map(|(_, c)| *c));
            let taken_over = group.iter().filter(|(_, c)| c.taken_over_by.is_some()).count() as u64;
            FigureRow { key, figures, mean_wrap_up_secs, occupancy, ratings, sound, taken_over }
        })
        .collect()
}

/// Each agent's occupancy in `[from, to)`: time talking and in wrap-up
/// over time available (status `available`, idle or not). `None` for an
/// agent never available in the window.
pub fn occupancy(changes: &[StatusChange], calls: &[CallRow], from: DateTime<Utc>, to: DateTime<Utc>) -> BTreeMap<UserId, Option<f64>> {
    let mut available: BTreeMap<UserId, Duration> = BTreeMap::new();
    let mut by_agent: BTreeMap<UserId, Vec<&StatusChange>> = BTreeMap::new();
    for c in changes {
        by_agent.entry(c.agent).or_default().push(c);
    }
    for (agent, mut list) in by_agent {
        list.sort_by_key(|c| c.at);
        let total = available.entry(agent).or_insert_with(Duration::zero);
        for (i, change) in list.iter().enumerate() {
            if change.status != AgentStatus::Available {
                continue;
            }
            let end = list.get(i + 1).map_or(to, |next| next.at);
            let (start, end) = (change.at.max(from), end.min(to));
            if end > start {
                *total += end - start;
            }
        }
    }
    let mut handling: BTreeMap<UserId, Duration> = BTreeMap::new();
    for call in calls {
        if let (Some(agent), Some(answered)) = (call.agent, call.answered_at) {
            *handling.entry(agent).or_insert_with(Duration::zero) += (call.ended_at - answered) + Duration::seconds(call.wrap_up_secs);
        }
    }
    available
        .into_iter()
        .map(|(agent, avail)| {
            let busy = handling.get(&agent).copied().unwrap_or_else(Duration::zero);
            let share = (avail > Duration::zero()).then(|| (busy.num_milliseconds() as f64 / avail.num_milliseconds() as f64).min(1.0));
            (agent, share)
        })
        .collect()
}

/// One queue's calls in one half-hour of the week, summed over a span.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemandCell {
    pub queue: String,
    /// The half-hour of the week (0: Monday 00:00 at the hotline).
    pub slot: usize,
    pub calls: u64,
    /// Of them answered.
    pub handled: u64,
    /// Talk and wrap-up of the answered ones, in seconds.
    pub handling_secs: f64,
}

/// The cells of `calls`, counted here; the store counts the same in SQL
/// (`CallStore::call_demand`), and its tests compare the two. Short
/// abandons are left out; everything else was a call someone should have
/// answered.
pub fn demand_cells(calls: &[CallRow], tz: Tz, short_abandon_secs: u32) -> Vec<DemandCell> {
    let mut cells: BTreeMap<(String, usize), DemandCell> = BTreeMap::new();
    for c in calls {
        let waited = (c.ended_at - c.arrived_at).num_seconds();
        if c.outcome == Outcome::Abandoned && waited < i64::from(short_abandon_secs) {
            continue;
        }
        let local = c.arrived_at.with_timezone(&tz);
        let slot = local.weekday().num_days_from_monday() as usize * 48 + local.hour() as usize * 2 + local.minute() as usize / 30;
        let cell =
            cells.entry((c.queue.clone(), slot)).or_insert_with(|| DemandCell { queue: c.queue.clone(), slot, ..DemandCell::default() });
        cell.calls += 1;
        if let Some(answered) = c.answered_at {
            cell.handled += 1;
            cell.handling_secs += (c.ended_at - answered).num_milliseconds() as f64 / 1000.0 + c.wrap_up_secs as f64;
        }
    }
    cells.into_values().collect()
}

/// Calls per skill (queue) and half-hour of the week, averaged over
/// `weeks`, with their mean handling time (talk and wrap-up; `default_aht`
/// where no call was answered), for the seat plan.
pub fn demand_of(cells: Vec<DemandCell>, weeks: u32, default_aht_secs: f64) -> Vec<Demand> {
    let weeks = f64::from(weeks.max(1));
    cells
        .into_iter()
        .map(|cell| Demand {
            skill: cell.queue,
            slot: Slot(cell.slot),
            calls: cell.calls as f64 / weeks,
            aht_secs: if cell.handled > 0 { cell.handling_secs / cell.handled as f64 } else { default_aht_secs },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai.with_ymd_and_hms(2026, 11, 23, h, m, s).unwrap().with_timezone(&Utc)
    }

    fn call(id: i64, agent: Option<i64>, arrived: DateTime<Utc>, wait: i64, talk: Option<i64>, outcome: Outcome) -> CallRow {
        let answered = talk.map(|_| arrived + Duration::seconds(wait));
        CallRow {
            agent: agent.map(UserId),
            answered_at: answered,
            wrap_up_secs: if talk.is_some() { 30 } else { 0 },
            ..CallRow::ended(
                id,
                "general",
                "13800138000",
                arrived,
                answered.map_or(arrived + Duration::seconds(wait), |a| a + Duration::seconds(talk.unwrap_or(0))),
                outcome,
            )
        }
    }

    fn change(agent: i64, at: DateTime<Utc>, status: AgentStatus) -> StatusChange {
        StatusChange { agent: UserId(agent), at, status }
    }

    #[test]
    fn occupancy_is_handling_over_available_time() {
        // Available 08:00–09:00 and 09:30–10:00 (a break between): 90 minutes.
        let changes = [
            change(1, at(8, 0, 0), AgentStatus::Available),
            change(1, at(9, 0, 0), AgentStatus::OnBreak("午餐".into())),
            change(1, at(9, 30, 0), AgentStatus::Available),
            change(1, at(10, 0, 0), AgentStatus::LoggedOut),
        ];
        // Two calls of 10 and 14 minutes' talk, 30 s wrap-up each: 25 minutes.
        let calls = [
            call(1, Some(1), at(8, 10, 0), 5, Some(600), Outcome::Answered),
            call(2, Some(1), at(9, 40, 0), 5, Some(840), Outcome::Answered),
        ];
        let occ = occupancy(&changes, &calls, at(7, 0, 0), at(11, 0, 0));
        let share = occ[&UserId(1)].unwrap();
        assert!((share - 25.0 / 90.0).abs() < 1e-9, "{share}");
        // A window cut at 08:30 counts only the 30 available minutes before it.
        let occ = occupancy(&changes, &calls[..1], at(7, 0, 0), at(8, 30, 0));
        assert!((occ[&UserId(1)].unwrap() - 10.5 / 30.0).abs() < 1e-9);
        assert_eq!(occupancy(&[change(2, at(8, 0, 0), AgentStatus::InTraining)], &[], at(7, 0, 0), at(9, 0, 0))[&UserId(2)], None);
    }

    #[test]
    fn figures_group_by_local_half_hour_and_agent() {
        let calls = [
            call(1, Some(1), at(8, 10, 0), 5, Some(120), Outcome::Answered),
            call(2, Some(2), at(8, 20, 0), 30, Some(60), Outcome::Answered),
            call(3, None, at(8, 40, 0), 40, None, Outcome::Abandoned),
            call(4, None, at(8, 45, 0), 2, None, Outcome::Abandoned),
        ];
        let t = Thresholds { answer_secs: 15, short_abandon_secs: 5 };
        let tz = chrono_tz::Asia::Shanghai;
        let rows = figure_rows(&calls, &[], at(0, 0, 0), at(23, 0, 0), GroupBy::HalfHour, tz, t);
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["2026-11-23T08:00", "2026-11-23T08:30"]);
        assert_eq!((rows[0].figures.offered, rows[0].figures.answered), (2, 2));
        assert!((rows[0].figures.answered_within_share - 0.5).abs() < 1e-9);
        assert_eq!((rows[1].figures.offered, rows[1].figures.abandoned, rows[1].figures.short_abandons), (1, 1, 1));
        let total = figure_rows(&calls, &[], at(0, 0, 0), at(23, 0, 0), GroupBy::Total, tz, t);
        assert!((total[0].figures.connection_rate - 2.0 / 3.0).abs() < 1e-9);
        assert!((total[0].mean_wrap_up_secs - 30.0).abs() < 1e-9);
        let agents = figure_rows(&calls, &[], at(0, 0, 0), at(23, 0, 0), GroupBy::Agent, tz, t);
        assert_eq!(agents.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["1", "2"]);
    }

    #[test]
    fn figures_average_the_measured_calls_sound_and_count_poor_ones_and_take_overs() {
        use hotline_callcentre::quality::{CallQuality, LegQuality};
        let clean = LegQuality { packets: 3_000, lost: 0, jitter_ms: 1.0 };
        let lossy = LegQuality { packets: 2_400, lost: 600, jitter_ms: 30.0 };
        let mut calls = [
            call(1, Some(1), at(8, 10, 0), 5, Some(120), Outcome::Answered),
            call(2, Some(1), at(8, 20, 0), 5, Some(60), Outcome::Answered),
            call(3, Some(2), at(8, 40, 0), 5, Some(60), Outcome::Answered),
        ];
        calls[0].quality = Some(CallQuality { caller: clean, consultant: clean });
        calls[1].quality = Some(CallQuality { caller: lossy, consultant: clean });
        calls[1].taken_over_by = Some(UserId(9));
        let (good, poor) = (calls[0].quality.unwrap().mos().unwrap(), calls[1].quality.unwrap().mos().unwrap());
        assert!(good > 4.3 && poor < POOR_MOS, "{good} {poor}");
        let t = Thresholds { answer_secs: 15, short_abandon_secs: 5 };
        let agents = figure_rows(&calls, &[], at(0, 0, 0), at(23, 0, 0), GroupBy::Agent, chrono_tz::Asia::Shanghai, t);
        let first = &agents[0];
        assert_eq!((first.sound.measured, first.sound.poor, first.taken_over), (2, 1, 1));
        assert!((first.sound.mean_mos.unwrap() - (good + poor) / 2.0).abs() < 1e-9);
        assert_eq!((agents[1].sound, agents[1].taken_over), (Sound::default(), 0), "nothing measured is no score");
    }

    #[test]
    fn demand_averages_weeks_per_slot_without_short_abandons() {
        let monday_0810 = at(8, 10, 0);
        let calls = [
            call(1, Some(1), monday_0810, 5, Some(170), Outcome::Answered),
            call(2, Some(1), monday_0810 + Duration::weeks(1), 5, Some(230), Outcome::Answered),
            call(3, None, monday_0810 + Duration::minutes(5), 60, None, Outcome::Abandoned),
            call(4, None, monday_0810 + Duration::minutes(6), 1, None, Outcome::Abandoned),
        ];
        let d = demand_of(demand_cells(&calls, chrono_tz::Asia::Shanghai, 5), 2, 180.0);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].slot, Slot::parse("mon", "08:00").unwrap());
        assert!((d[0].calls - 1.5).abs() < 1e-9, "three calls over two weeks");
        assert!((d[0].aht_secs - 230.0).abs() < 1e-9, "mean of 200 and 260 s with wrap-up");
    }
}
