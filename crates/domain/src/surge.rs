//! The surge watch (突发预警): many orders about one matter in one town within
//! a short window warn the town early, even when each is minor. Two kinds:
//! K orders of one category, and K orders whose texts are alike whatever
//! their category (a flooded street reported as drainage, traffic and
//! housing).
//!
//! The watch is incremental. Each order is sketched once when it is
//! observed: its character bigrams (for the exact similarity) and a MinHash
//! signature cut into bands (locality-sensitive hashing). Finding the orders
//! alike to a new one looks only at those sharing a band with it, then
//! checks each exactly, so a registration costs the same whether its town
//! had 10 or 10,000 orders in the window. The bands are chosen from the
//! similarity threshold so that two texts exactly at the threshold share a
//! band with a probability of at least 99.5 % (far more above it); a pair
//! missed by chance is found by the next alike order.

use crate::ids::{CategoryId, OrderId, UnitId};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What makes a surge: `orders` related orders within `window`; texts at
/// least `similarity` alike (Jaccard of character bigrams) are related.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurgeRule {
    pub orders: usize,
    pub window: Duration,
    pub similarity: f64,
}

/// A text's character bigrams (letters and digits, lower-cased), two chars
/// packed in one integer, sorted and distinct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bigrams(Box<[u64]>);

impl Bigrams {
    pub fn of(text: &str) -> Self {
        let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
        let mut grams: Vec<u64> = chars.windows(2).map(|w| (u64::from(w[0]) << 21) | u64::from(w[1])).collect();
        grams.sort_unstable();
        grams.dedup();
        Self(grams.into_boxed_slice())
    }

    /// The Jaccard index of the two sets, 0 to 1.
    pub fn similarity(&self, other: &Self) -> f64 {
        let (a, b) = (&self.0, &other.0);
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let (mut i, mut j, mut shared) = (0, 0, 0usize);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        shared as f64 / (a.len() + b.len() - shared) as f64
    }

    /// Whether the sizes alone rule out reaching `threshold`:
    /// J(a, b) ≤ min(|a|, |b|) / max(|a|, |b|).
    fn too_different(&self, other: &Self, threshold: f64) -> bool {
        let (small, large) = if self.0.len() < other.0.len() { (self.0.len(), other.0.len()) } else { (other.0.len(), self.0.len()) };
        large == 0 || (small as f64) < threshold * large as f64 - 1e-9
    }
}

/// How alike two texts are, 0 to 1: the Jaccard index of their character
/// bigrams, letters and digits only. Chinese needs no segmentation for this:
/// "小区门口污水横流" and "小区门口有污水" share most bigrams.
pub fn similarity(a: &str, b: &str) -> f64 {
    Bigrams::of(a).similarity(&Bigrams::of(b))
}

/// Hash functions in a signature at most.
const MAX_HASHES: usize = 90;
/// Wanted chance that two texts exactly at the threshold share a band.
const RECALL_AT_THRESHOLD: f64 = 0.995;

fn mix(mut x: u64) -> u64 {
    // splitmix64's finaliser: every input bit moves every output bit.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// MinHash banding: `bands` bands of `rows` hash minima each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banding {
    rows: usize,
    bands: usize,
}

impl Banding {
    /// The most selective banding (most rows per band) that still finds a
    /// pair exactly at `threshold` with the wanted probability.
    pub fn for_threshold(threshold: f64) -> Self {
        let t = threshold.clamp(0.01, 1.0);
        (1..=8)
            .rev()
            .map(|rows| Self { rows, bands: MAX_HASHES / rows })
            .find(|b| b.recall(t) >= RECALL_AT_THRESHOLD)
            .unwrap_or(Self { rows: 1, bands: MAX_HASHES })
    }

    /// The chance that two texts this alike share at least one band.
    pub fn recall(&self, similarity: f64) -> f64 {
        1.0 - (1.0 - similarity.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// One key per band; equal keys in a band mean equal minima there.
    fn keys(&self, grams: &Bigrams) -> Vec<u64> {
        if grams.0.is_empty() {
            return Vec::new();
        }
        let minima: Vec<u64> = (0..self.rows * self.bands)
            .map(|i| {
                let seed = mix(i as u64 + 1);
                grams.0.iter().map(|g| mix(g ^ seed)).min().unwrap_or(u64::MAX)
            })
            .collect();
        minima.chunks(self.rows).enumerate().map(|(band, rows)| rows.iter().fold(mix(band as u64), |h, m| mix(h ^ m))).collect()
    }
}

/// What a screened order adds to its town's picture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurgeCheck {
    /// `orders` or more orders of the order's category in the window and
    /// no warning about the category yet.
    pub category: bool,
    /// The orders alike to this one (itself included, oldest first) when
    /// they are `orders` or more and none of them named a warning yet; the
    /// first names the new warning.
    pub alike: Option<Vec<OrderId>>,
}

struct Entry {
    at: DateTime<Utc>,
    category: CategoryId,
    grams: Bigrams,
}

/// Orders kept per town at most, the newest: as many as the check read
/// from the database before it was kept in memory, and a bound on memory
/// when a town registers more within the window.
pub const MAX_PER_TOWN: usize = 2_000;

#[derive(Default)]
struct Town {
    entries: HashMap<OrderId, Entry>,
    by_time: BTreeSet<(DateTime<Utc>, OrderId)>,
    per_category: HashMap<CategoryId, usize>,
    /// Band key → orders; ids of dropped orders are removed lazily.
    buckets: HashMap<u64, Vec<OrderId>>,
    bucket_ids: usize,
    /// Subjects of the town's surge warnings (a category id or the first
    /// order of an alike cluster) and when each was raised last.
    warned: HashMap<i64, DateTime<Utc>>,
}

impl Town {
    fn expire(&mut self, since: DateTime<Utc>) {
        while let Some(&(at, id)) = self.by_time.first() {
            if at >= since {
                break;
            }
            self.remove(id);
        }
        self.warned.retain(|_, at| *at >= since);
        if self.bucket_ids > 64 * (self.entries.len() + 16) {
            let live = &self.entries;
            self.buckets.retain(|_, ids| {
                ids.retain(|id| live.contains_key(id));
                !ids.is_empty()
            });
            self.bucket_ids = self.buckets.values().map(Vec::len).sum();
        }
    }

    fn remove(&mut self, id: OrderId) {
        if let Some(e) = self.entries.remove(&id) {
            self.by_time.remove(&(e.at, id));
            // A warning named after an order gone from the window no longer
            // holds a cluster together.
            self.warned.remove(&id.0);
            if let Some(n) = self.per_category.get_mut(&e.category) {
                *n -= 1;
                if *n == 0 {
                    self.per_category.remove(&e.category);
                }
            }
        }
    }

    fn insert(&mut self, id: OrderId, at: DateTime<Utc>, category: CategoryId, grams: Bigrams, banding: &Banding) {
        if self.entries.contains_key(&id) {
            return;
        }
        for key in banding.keys(&grams) {
            self.buckets.entry(key).or_default().push(id);
            self.bucket_ids += 1;
        }
        *self.per_category.entry(category).or_default() += 1;
        self.by_time.insert((at, id));
        self.entries.insert(id, Entry { at, category, grams });
        while self.entries.len() > MAX_PER_TOWN {
            match self.by_time.first() {
                Some(&(_, oldest)) => self.remove(oldest),
                None => break,
            }
        }
    }
}

/// The recent orders of every town the node has screened.
pub struct SurgeWatch {
    rule: SurgeRule,
    banding: Banding,
    towns: HashMap<UnitId, Town>,
}

impl SurgeWatch {
    pub fn new(rule: SurgeRule) -> Self {
        Self { banding: Banding::for_threshold(rule.similarity), rule, towns: HashMap::new() }
    }

    pub fn rule(&self) -> SurgeRule {
        self.rule
    }

    /// Whether the town's recent orders were loaded (see [`Self::load`]).
    pub fn knows(&self, town: UnitId) -> bool {
        self.towns.contains_key(&town)
    }

    /// Takes in what the database knows of a town the watch has not seen
    /// yet (after a start): its recent orders and surge warnings.
    pub fn load<'a>(
        &mut self,
        town: UnitId,
        orders: impl IntoIterator<Item = (OrderId, DateTime<Utc>, CategoryId, &'a str)>,
        warnings: &[(i64, DateTime<Utc>)],
    ) {
        let banding = self.banding.clone();
        let t = self.towns.entry(town).or_default();
        for (id, at, category, text) in orders {
            t.insert(id, at, category, Bigrams::of(text), &banding);
        }
        self.warned(town, warnings);
    }

    /// Adds an order (once, however often it is observed) and tells what it
    /// makes of the town's last window at `now`.
    pub fn observe(
        &mut self,
        town: UnitId,
        id: OrderId,
        at: DateTime<Utc>,
        category: CategoryId,
        text: &str,
        now: DateTime<Utc>,
    ) -> SurgeCheck {
        let since = now - self.rule.window;
        let (banding, rule) = (self.banding.clone(), self.rule);
        let t = self.towns.entry(town).or_default();
        t.expire(since);
        let grams = Bigrams::of(text);
        let keys = banding.keys(&grams);
        if at >= since {
            t.insert(id, at, category, grams.clone(), &banding);
        }
        let t = &*t;
        let category_surge = t.per_category.get(&category).copied().unwrap_or(0) >= rule.orders && !t.warned.contains_key(&category.0);

        // The orders alike to this one, found among those sharing a band.
        // If one of them (or this one) named a warning, the cluster was
        // warned about: stop there.
        let mut alike = if t.warned.contains_key(&id.0) { None } else { Some(Vec::new()) };
        if let Some(cluster) = alike.as_mut() {
            if t.entries.contains_key(&id) {
                cluster.push(id);
            }
            let mut seen = HashSet::new();
            'bands: for key in &keys {
                for other in t.buckets.get(key).into_iter().flatten() {
                    if *other == id || !seen.insert(*other) {
                        continue;
                    }
                    if let Some(e) = t.entries.get(other)
                        && !e.grams.too_different(&grams, rule.similarity)
                        && e.grams.similarity(&grams) >= rule.similarity
                    {
                        if t.warned.contains_key(&other.0) {
                            alike = None;
                            break 'bands;
                        }
                        cluster.push(*other);
                    }
                }
            }
        }
        let alike = alike.filter(|c| c.len() >= rule.orders).map(|mut c| {
            c.sort();
            c
        });
        SurgeCheck { category: category_surge, alike }
    }

    /// Records surge warnings raised for the town (here or, read from the
    /// database, on another node).
    pub fn warned(&mut self, town: UnitId, warnings: &[(i64, DateTime<Utc>)]) {
        let t = self.towns.entry(town).or_default();
        for (subject, at) in warnings {
            let latest = t.warned.entry(*subject).or_insert(*at);
            *latest = (*latest).max(*at);
        }
    }

    /// Takes back a warning noted in [`Self::warned`] that was not raised after all.
    pub fn unwarn(&mut self, town: UnitId, subject: i64, at: DateTime<Utc>) {
        if let Some(t) = self.towns.get_mut(&town)
            && t.warned.get(&subject) == Some(&at)
        {
            t.warned.remove(&subject);
        }
    }

    /// Drops an order declared invalid or merged: it no longer counts.
    pub fn forget(&mut self, town: UnitId, id: OrderId) {
        if let Some(t) = self.towns.get_mut(&town) {
            t.remove(id);
        }
    }

    /// Orders held, over all towns (for tests and memory figures).
    pub fn len(&self) -> usize {
        self.towns.values().map(|t| t.entries.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minute)
    }

    fn watch(orders: usize) -> SurgeWatch {
        SurgeWatch::new(SurgeRule { orders, window: Duration::minutes(60), similarity: 0.6 })
    }

    const TOWN: UnitId = UnitId(3);

    #[test]
    fn similar_texts_share_most_bigrams() {
        let a = "东纵路88号小区门口污水横流，臭味很大";
        assert!(similarity(a, "东纵路88号小区门口污水横流，臭气熏天") > 0.6);
        assert!(similarity(a, "社保卡怎么补办") < 0.1);
        assert_eq!(similarity(a, a), 1.0);
        assert_eq!(similarity("", a), 0.0);
        assert_eq!(similarity("Ab", "aB"), 1.0, "case folded");
    }

    #[test]
    fn the_banding_finds_pairs_at_the_threshold_and_is_selective_below() {
        for t in [0.3, 0.5, 0.6, 0.8, 1.0] {
            let b = Banding::for_threshold(t);
            assert!(b.recall(t) >= RECALL_AT_THRESHOLD, "{t}: {b:?}");
            assert!(b.rows * b.bands <= MAX_HASHES);
        }
        let b = Banding::for_threshold(0.6);
        assert_eq!((b.rows, b.bands), (3, 30));
        assert!(b.recall(0.15) < 0.1, "unrelated texts rarely become candidates");
    }

    #[test]
    fn alike_orders_make_one_cluster_named_by_the_first() {
        let mut w = watch(3);
        let texts = ["东纵路88号小区门口污水横流，臭味很大", "东纵路88号小区门口污水横流臭气熏天", "东纵路88号小区门口污水横流，无法通行"];
        let unrelated = "社保卡丢失了怎么补办，需要带什么材料";
        assert_eq!(w.observe(TOWN, OrderId(1), at(0), CategoryId(1), texts[0], at(0)), SurgeCheck::default());
        assert_eq!(w.observe(TOWN, OrderId(2), at(1), CategoryId(2), unrelated, at(1)), SurgeCheck::default());
        assert_eq!(w.observe(TOWN, OrderId(3), at(2), CategoryId(3), texts[1], at(2)), SurgeCheck::default());
        let third = w.observe(TOWN, OrderId(4), at(3), CategoryId(4), texts[2], at(3));
        assert_eq!(third.alike, Some(vec![OrderId(1), OrderId(3), OrderId(4)]));
        assert!(!third.category);
        // Observing again changes nothing; another town is another picture.
        assert_eq!(w.observe(TOWN, OrderId(4), at(3), CategoryId(4), texts[2], at(3)).alike.map(|c| c.len()), Some(3));
        assert_eq!(w.observe(UnitId(4), OrderId(5), at(3), CategoryId(4), texts[2], at(3)), SurgeCheck::default());
        // Once the first named a warning, later alike orders do not warn again.
        w.warned(TOWN, &[(1, at(3))]);
        w.unwarn(TOWN, 1, at(3));
        assert!(w.observe(TOWN, OrderId(6), at(4), CategoryId(5), texts[0], at(4)).alike.is_some(), "a warning taken back");
        w.warned(TOWN, &[(1, at(3))]);
        assert_eq!(w.observe(TOWN, OrderId(8), at(4), CategoryId(5), texts[0], at(4)).alike, None);
        // An hour after the first, the cluster has fallen out of the window.
        assert_eq!(w.observe(TOWN, OrderId(7), at(70), CategoryId(5), texts[0], at(70)), SurgeCheck::default());
        assert_eq!(w.len(), 2, "expired orders are dropped: 7 here and 5 in the other town");
    }

    #[test]
    fn a_category_surges_once_per_window_and_forgotten_orders_do_not_count() {
        let mut w = watch(3);
        let text = |i: usize| ["路灯不亮", "井盖丢失了", "垃圾没人清运"][i % 3];
        for i in 0..2 {
            assert!(!w.observe(TOWN, OrderId(i as i64), at(i as i64), CategoryId(9), text(i), at(i as i64)).category);
        }
        w.forget(TOWN, OrderId(1));
        assert!(!w.observe(TOWN, OrderId(2), at(2), CategoryId(9), text(2), at(2)).category, "the forgotten order no longer counts");
        assert!(w.observe(TOWN, OrderId(3), at(3), CategoryId(9), text(3), at(3)).category);
        w.warned(TOWN, &[(9, at(3))]);
        assert!(!w.observe(TOWN, OrderId(4), at(4), CategoryId(9), text(4), at(4)).category);
        assert!(!w.observe(TOWN, OrderId(5), at(70), CategoryId(9), text(5), at(70)).category, "the old ones expired");
    }

    #[test]
    fn a_town_keeps_its_newest_orders_only() {
        let mut w = watch(3);
        for i in 0..(MAX_PER_TOWN as i64 + 10) {
            w.observe(TOWN, OrderId(i), at(0) + Duration::seconds(i), CategoryId(1), &format!("第{i}号"), at(0) + Duration::seconds(i));
        }
        assert_eq!(w.len(), MAX_PER_TOWN);
        assert!(!w.towns[&TOWN].entries.contains_key(&OrderId(9)) && w.towns[&TOWN].entries.contains_key(&OrderId(10)));
    }

    #[test]
    fn a_town_loaded_from_storage_counts_its_recent_orders() {
        let mut w = watch(3);
        assert!(!w.knows(TOWN));
        let text = "暴雨导致东城大道水浸街，车辆无法通行";
        w.load(TOWN, [(OrderId(1), at(0), CategoryId(1), text), (OrderId(2), at(1), CategoryId(2), text)], &[]);
        assert!(w.knows(TOWN));
        let check = w.observe(TOWN, OrderId(3), at(2), CategoryId(3), "暴雨导致东城大道水浸街，车辆无法通行了", at(2));
        assert_eq!(check.alike, Some(vec![OrderId(1), OrderId(2), OrderId(3)]));
    }

    #[test]
    fn the_cost_of_a_check_does_not_grow_with_unrelated_orders() {
        // 4,000 distinct texts in one town, then one new order: only the
        // orders sharing a band are compared (a handful, not 4,000).
        let mut w = watch(5);
        for i in 0..4_000i64 {
            let text = format!("第{i}号楼{}单元{}问题反映编号{}", i % 97, i % 13, i * 7919);
            w.observe(TOWN, OrderId(i), at(i / 1_000), CategoryId(i % 50), &text, at(i / 1_000));
        }
        let t = &w.towns[&TOWN];
        let grams = Bigrams::of("东纵路88号小区门口污水横流，臭味很大");
        let candidates: HashSet<OrderId> =
            w.banding.keys(&grams).iter().flat_map(|k| t.buckets.get(k).into_iter().flatten().copied()).collect();
        assert!(candidates.len() < 100, "{} candidates", candidates.len());
    }
}
