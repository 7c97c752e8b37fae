//! Evaluation figures (考核指标): what each order contributes to the figures
//! of its unit, town, category and registering consultant, the rates with
//! their formulas (written out in `docs/kpi.md`), a weighted score and a
//! ranking. Plain arithmetic on counts: storage only supplies the facts.

use crate::ids::{CategoryId, UnitId, UserId};
use crate::work_order::{Satisfaction, WorkOrder};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What evaluation figures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The lead unit (主办单位).
    Unit,
    /// The town, subdistrict or park where the matter is.
    Town,
    /// The first level of the request taxonomy.
    Category,
    /// The consultant who registered the order.
    Consultant,
}

impl Dimension {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "unit" => Self::Unit,
            "town" => Self::Town,
            "category" => Self::Category,
            "consultant" => Self::Consultant,
            _ => return None,
        })
    }
}

/// How registrations are counted in reports: per channel or per type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    Channel,
    Type,
}

impl Breakdown {
    /// The Chinese label of a stored wire name; the name itself if unknown.
    pub fn label(self, key: &str) -> String {
        let zh = match self {
            Self::Channel => crate::work_order::Channel::parse(key).ok().map(crate::work_order::Channel::label_zh),
            Self::Type => crate::work_order::OrderType::parse(key).ok().map(crate::work_order::OrderType::label_zh),
        };
        zh.unwrap_or(key).to_owned()
    }
}

/// What evaluation needs to know of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    pub lead_unit: Option<UnitId>,
    pub town: Option<UnitId>,
    pub category: CategoryId,
    pub registered_by: UserId,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub sign_for_due: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub completion_due: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The follow-up reached the citizen and recorded their verdict.
    pub satisfaction: Option<Satisfaction>,
    pub solved: Option<bool>,
    pub returns: u32,
    /// The units that returned it (退单).
    pub returned_by: Vec<UnitId>,
    pub redos: u32,
    /// Answered on the spot by the consultant (直接答复): no follow-up comes.
    pub answered_directly: bool,
}

impl OrderFacts {
    /// The facts of a stored order. Storage counts the same facts in SQL; its
    /// contract test checks it against this.
    pub fn of(o: &WorkOrder) -> Self {
        let follow_up = o.follow_up.as_ref();
        Self {
            lead_unit: o.lead_unit,
            town: o.location.town,
            category: o.category,
            registered_by: o.created_by,
            dispatched_at: o.dispatched_at,
            sign_for_due: o.deadlines.sign_for,
            signed_at: o.signed_at,
            completion_due: o.deadlines.completion,
            resolved_at: o.resolved_at,
            satisfaction: follow_up.and_then(|f| f.satisfaction),
            solved: follow_up.and_then(|f| f.solved),
            returns: o.counters.returns,
            returned_by: o.counters.returned_by.clone(),
            redos: o.counters.redos,
            answered_directly: o.direct_answer.is_some(),
        }
    }

    /// A directly answered order gets no follow-up: the caller's keypad
    /// rating of the call it was registered in (the call's record linking
    /// it) stands for one, a rating other than unsatisfied counting as
    /// solved. Orders with a follow-up keep their follow-up's verdict.
    pub fn with_keypad_rating(mut self, rating: Option<Satisfaction>) -> Self {
        if self.answered_directly
            && self.satisfaction.is_none()
            && let Some(rating) = rating
        {
            self.satisfaction = Some(rating);
            self.solved = Some(rating != Satisfaction::Unsatisfied);
        }
        self
    }

    /// What the order adds to each unit's figures. Every figure belongs to
    /// the lead unit, except a return (退单): it counts against the unit that
    /// returned the order, not the unit that received it afterwards. So the
    /// lead unit counts it returned only if it returned it itself, and a unit
    /// that returned it and no longer leads it counts it as dispatched to it
    /// and returned, nothing else.
    pub fn by_unit(&self, as_of: DateTime<Utc>) -> Vec<(UnitId, KpiCounts)> {
        let mut out = Vec::new();
        if let Some(lead) = self.lead_unit {
            let mut counts = KpiCounts::default();
            let own = OrderFacts { returns: u32::from(self.returned_by.contains(&lead)), ..self.clone() };
            counts.add(&own, as_of);
            out.push((lead, counts));
        }
        if self.dispatched_at.is_some() {
            for unit in self.returned_by.iter().filter(|u| Some(**u) != self.lead_unit) {
                out.push((*unit, KpiCounts { dispatched: 1, returned: 1, ..KpiCounts::default() }));
            }
        }
        out
    }
}

/// The counts behind the rates of one group in one period, judged at `as_of`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiCounts {
    pub orders: u64,
    /// Dispatched orders whose sign-for fell due by `as_of`, or were signed.
    pub sign_for_due: u64,
    pub signed_on_time: u64,
    /// Orders whose completion fell due by `as_of`, or were answered.
    pub completion_due: u64,
    pub completed_on_time: u64,
    /// Answered late, or still open past the due time.
    pub overdue: u64,
    pub dispatched: u64,
    /// Dispatched orders returned (退单) at least once.
    pub returned: u64,
    pub resolved: u64,
    /// Answered orders whose follow-up reached the citizen.
    pub followed_up: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
    /// Followed-up orders whose citizen said the problem was solved.
    pub solved: u64,
    /// Answered orders redone (重办) at least once.
    pub redone: u64,
}

fn at_or_before(t: Option<DateTime<Utc>>, limit: DateTime<Utc>) -> bool {
    t.is_some_and(|t| t <= limit)
}

impl KpiCounts {
    pub fn add(&mut self, o: &OrderFacts, as_of: DateTime<Utc>) {
        self.orders += 1;
        if o.dispatched_at.is_some() {
            self.dispatched += 1;
            if o.returns > 0 {
                self.returned += 1;
            }
            if let Some(due) = o.sign_for_due
                && (o.signed_at.is_some() || due <= as_of)
            {
                self.sign_for_due += 1;
                if at_or_before(o.signed_at, due) {
                    self.signed_on_time += 1;
                }
            }
        }
        if o.resolved_at.is_some() || o.completion_due <= as_of {
            self.completion_due += 1;
            if at_or_before(o.resolved_at, o.completion_due) {
                self.completed_on_time += 1;
            } else {
                self.overdue += 1;
            }
        }
        if o.resolved_at.is_some() {
            self.resolved += 1;
            if o.redos > 0 {
                self.redone += 1;
            }
            if let Some(s) = o.satisfaction {
                self.followed_up += 1;
                match s {
                    Satisfaction::Satisfied => self.satisfied += 1,
                    Satisfaction::BasicallySatisfied => self.basically_satisfied += 1,
                    Satisfaction::Unsatisfied => self.unsatisfied += 1,
                }
                if o.solved == Some(true) {
                    self.solved += 1;
                }
            }
        }
    }

    pub fn merge(&mut self, other: &KpiCounts) {
        self.orders += other.orders;
        self.sign_for_due += other.sign_for_due;
        self.signed_on_time += other.signed_on_time;
        self.completion_due += other.completion_due;
        self.completed_on_time += other.completed_on_time;
        self.overdue += other.overdue;
        self.dispatched += other.dispatched;
        self.returned += other.returned;
        self.resolved += other.resolved;
        self.followed_up += other.followed_up;
        self.satisfied += other.satisfied;
        self.basically_satisfied += other.basically_satisfied;
        self.unsatisfied += other.unsatisfied;
        self.solved += other.solved;
        self.redone += other.redone;
    }

    pub fn rates(&self) -> Rates {
        let rate = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
        Rates {
            on_time_sign_for: rate(self.signed_on_time, self.sign_for_due),
            on_time_completion: rate(self.completed_on_time, self.completion_due),
            overdue: rate(self.overdue, self.completion_due),
            returns: rate(self.returned, self.dispatched),
            follow_up: rate(self.followed_up, self.resolved),
            satisfaction: rate(self.satisfied + self.basically_satisfied, self.followed_up),
            solved: rate(self.solved, self.followed_up),
            redo: rate(self.redone, self.resolved),
        }
    }
}

/// The published rates; `None` where nothing was there to measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rates {
    /// 按时签收率 = signed on time / sign-for due
    pub on_time_sign_for: Option<f64>,
    /// 按时办结率 = answered on time / completion due
    pub on_time_completion: Option<f64>,
    /// 超期率 = overdue / completion due
    pub overdue: Option<f64>,
    /// 退单率 = returned / dispatched
    pub returns: Option<f64>,
    /// 回访率 = followed up / answered
    pub follow_up: Option<f64>,
    /// 满意率 = (satisfied + basically satisfied) / followed up
    pub satisfaction: Option<f64>,
    /// 解决率 = solved / followed up
    pub solved: Option<f64>,
    /// 重办率 = redone / answered
    pub redo: Option<f64>,
}

/// Weights of the monthly assessment score (考核权重); rates where less is
/// better (returns, redo, overdue) count as one minus the rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub on_time_sign_for: f64,
    pub on_time_completion: f64,
    pub follow_up: f64,
    pub satisfaction: f64,
    pub solved: f64,
    pub returns: f64,
    pub redo: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self { on_time_sign_for: 10.0, on_time_completion: 30.0, follow_up: 5.0, satisfaction: 30.0, solved: 15.0, returns: 5.0, redo: 5.0 }
    }
}

impl Weights {
    pub fn check(&self) -> Result<(), String> {
        let all = [self.on_time_sign_for, self.on_time_completion, self.follow_up, self.satisfaction, self.solved, self.returns, self.redo];
        if all.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err("weights must be 0 or more".into());
        }
        if all.iter().sum::<f64>() <= 0.0 {
            return Err("at least one weight must be above 0".into());
        }
        Ok(())
    }

    /// The score out of 100: the weighted mean of the rates that could be
    /// measured (a unit with no follow-ups is scored on the rest).
    pub fn score(&self, r: &Rates) -> Option<f64> {
        let terms = [
            (self.on_time_sign_for, r.on_time_sign_for),
            (self.on_time_completion, r.on_time_completion),
            (self.follow_up, r.follow_up),
            (self.satisfaction, r.satisfaction),
            (self.solved, r.solved),
            (self.returns, r.returns.map(|x| 1.0 - x)),
            (self.redo, r.redo.map(|x| 1.0 - x)),
        ];
        let (sum, weight) = terms.iter().filter_map(|(w, v)| v.map(|v| (w * v, *w))).fold((0.0, 0.0), |(s, t), (a, b)| (s + a, t + b));
        (weight > 0.0).then(|| 100.0 * sum / weight)
    }
}

/// Ranks by score, best first; equal scores share a rank (1, 2, 2, 4);
/// groups without a score come last, unranked.
pub fn rank(scores: &[Option<f64>]) -> Vec<Option<u32>> {
    scores
        .iter()
        .map(|s| {
            let s = (*s)?;
            Some(1 + scores.iter().filter(|o| o.is_some_and(|o| o > s + 1e-9)).count() as u32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn order() -> OrderFacts {
        OrderFacts {
            lead_unit: Some(UnitId(1)),
            town: None,
            category: CategoryId(1),
            registered_by: UserId(1),
            dispatched_at: Some(t(0)),
            sign_for_due: Some(t(2)),
            signed_at: Some(t(1)),
            completion_due: t(100),
            resolved_at: Some(t(50)),
            satisfaction: Some(Satisfaction::Satisfied),
            solved: Some(true),
            returns: 0,
            returned_by: vec![],
            redos: 0,
            answered_directly: false,
        }
    }

    #[test]
    fn a_keypad_rating_stands_for_the_follow_up_of_a_direct_answer_only() {
        let direct = OrderFacts { dispatched_at: None, satisfaction: None, solved: None, answered_directly: true, ..order() };
        let rated = direct.clone().with_keypad_rating(Some(Satisfaction::Unsatisfied));
        assert_eq!((rated.satisfaction, rated.solved), (Some(Satisfaction::Unsatisfied), Some(false)));
        let rated = direct.clone().with_keypad_rating(Some(Satisfaction::BasicallySatisfied));
        assert_eq!(rated.solved, Some(true));
        assert_eq!(direct.clone().with_keypad_rating(None), direct, "no rating, no verdict");
        let followed = order().with_keypad_rating(Some(Satisfaction::Unsatisfied));
        assert_eq!(followed.satisfaction, Some(Satisfaction::Satisfied), "a dispatched order keeps its follow-up");
    }

    #[test]
    fn a_return_counts_against_the_unit_that_returned_it() {
        let as_of = t(200);
        // Returned by unit 2, re-dispatched to unit 1 which answered it.
        let moved = OrderFacts { returns: 1, returned_by: vec![UnitId(2)], ..order() };
        let shares = moved.by_unit(as_of);
        assert_eq!(shares.len(), 2);
        let (lead, received) = &shares[0];
        assert_eq!((*lead, received.dispatched, received.returned, received.resolved), (UnitId(1), 1, 0, 1));
        assert_eq!(shares[1], (UnitId(2), KpiCounts { dispatched: 1, returned: 1, ..KpiCounts::default() }));
        // Returned by the lead itself (the return was rejected): its own.
        let kept = OrderFacts { returns: 1, returned_by: vec![UnitId(1)], ..order() };
        let shares = kept.by_unit(as_of);
        assert_eq!(shares.len(), 1);
        assert_eq!((shares[0].1.dispatched, shares[0].1.returned), (1, 1));
        // Other dimensions still see one returned order.
        let mut town = KpiCounts::default();
        town.add(&moved, as_of);
        assert_eq!(town.returned, 1);
    }

    #[test]
    fn every_rate_from_a_known_history() {
        let as_of = t(200);
        let orders = [
            order(),
            // Signed late, answered late, basically satisfied, not solved, returned once.
            OrderFacts {
                signed_at: Some(t(3)),
                resolved_at: Some(t(120)),
                satisfaction: Some(Satisfaction::BasicallySatisfied),
                solved: Some(false),
                returns: 1,
                ..order()
            },
            // Never signed and past due, still open past completion due: overdue.
            OrderFacts { signed_at: None, resolved_at: None, satisfaction: None, solved: None, ..order() },
            // Unsatisfied and redone, answered on time.
            OrderFacts { satisfaction: Some(Satisfaction::Unsatisfied), solved: Some(false), redos: 1, ..order() },
            // Answered, the citizen not reached.
            OrderFacts { satisfaction: None, solved: None, ..order() },
            // Not yet due anything: counts only as an order.
            OrderFacts {
                dispatched_at: Some(t(199)),
                sign_for_due: Some(t(201)),
                signed_at: None,
                completion_due: t(300),
                resolved_at: None,
                satisfaction: None,
                solved: None,
                ..order()
            },
        ];
        let mut c = KpiCounts::default();
        for o in &orders {
            c.add(o, as_of);
        }
        assert_eq!((c.orders, c.dispatched, c.sign_for_due, c.signed_on_time), (6, 6, 5, 3));
        assert_eq!((c.completion_due, c.completed_on_time, c.overdue), (5, 3, 2));
        assert_eq!((c.resolved, c.followed_up, c.satisfied, c.basically_satisfied, c.unsatisfied, c.solved), (4, 3, 1, 1, 1, 1));
        assert_eq!((c.returned, c.redone), (1, 1));
        let r = c.rates();
        assert_eq!(r.on_time_sign_for, Some(0.6));
        assert_eq!(r.on_time_completion, Some(0.6));
        assert_eq!(r.overdue, Some(0.4));
        assert_eq!(r.returns, Some(1.0 / 6.0));
        assert_eq!(r.follow_up, Some(0.75));
        assert_eq!(r.satisfaction, Some(2.0 / 3.0));
        assert_eq!(r.solved, Some(1.0 / 3.0));
        assert_eq!(r.redo, Some(0.25));
        let mut twice = c;
        twice.merge(&c);
        assert_eq!(twice.rates(), r, "merging groups keeps the rates of equal halves");
        assert_eq!(KpiCounts::default().rates(), Rates::default(), "nothing to measure: no rate");
    }

    #[test]
    fn the_score_weighs_measured_rates_and_ranks_share_ties() {
        let w = Weights {
            on_time_sign_for: 1.0,
            on_time_completion: 1.0,
            follow_up: 0.0,
            satisfaction: 2.0,
            solved: 0.0,
            returns: 0.0,
            redo: 0.0,
        };
        w.check().unwrap();
        let r = Rates { on_time_sign_for: Some(1.0), on_time_completion: Some(0.5), satisfaction: Some(0.75), ..Rates::default() };
        assert!((w.score(&r).unwrap() - 75.0).abs() < 1e-9, "(1 + 0.5 + 2 × 0.75) / 4");
        let no_follow_up = Rates { satisfaction: None, ..r };
        assert!((w.score(&no_follow_up).unwrap() - 75.0).abs() < 1e-9, "(1 + 0.5) / 2");
        let returns = Weights { returns: 1.0, ..Weights { on_time_sign_for: 0.0, on_time_completion: 0.0, satisfaction: 0.0, ..w } };
        assert_eq!(returns.score(&Rates { returns: Some(0.2), ..Rates::default() }), Some(80.0));
        assert_eq!(w.score(&Rates::default()), None);
        assert!(Weights { satisfaction: -1.0, ..w }.check().is_err());
        assert_eq!(rank(&[Some(80.0), Some(90.0), None, Some(80.0), Some(70.0)]), vec![Some(2), Some(1), None, Some(2), Some(4)]);
    }
}
