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
use std::collections::hash_map::Entry as Slot;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

/// What makes a surge: `orders` related orders within `window`; texts at
/// least `similarity` alike (Jaccard of character bigrams) are related.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurgeRule {
    pub orders: usize,
    pub window: Duration,
    pub similarity: f64,
}

/// A text's character bigrams (letters and digits, lower-cased), each
/// hashed to 32 bits, sorted and distinct. Half the memory of the two
/// chars packed whole. Two different bigrams of two texts of 200
/// characters share a hash in fewer than one comparison of 50,000
/// (40,000 pairs at 2⁻³²), which moves their similarity by one bigram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bigrams(Box<[u32]>);

impl Bigrams {
    pub fn of(text: &str) -> Self {
        let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
        let mut grams: Vec<u32> = chars.windows(2).map(|w| mix((u64::from(w[0]) << 21) | u64::from(w[1])) as u32).collect();
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

/// Hashes the watch's keys (band keys, order ids) with one [`mix`] of the
/// key and a seed drawn per table: SipHash, the standard tables' default,
/// took more instructions than the look-ups it served (`docs/benchmarks.md`).
/// The seed keeps texts written to collide in one table from being known
/// in advance.
#[derive(Clone)]
struct Seeded(u64);

impl Default for Seeded {
    fn default() -> Self {
        Self(std::collections::hash_map::RandomState::new().build_hasher().finish())
    }
}

impl BuildHasher for Seeded {
    type Hasher = Mixer;

    fn build_hasher(&self) -> Mixer {
        Mixer(self.0)
    }
}

struct Mixer(u64);

impl Hasher for Mixer {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = mix(self.0 ^ n);
    }
}

type Map<K, V> = HashMap<K, V, Seeded>;

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
                grams.0.iter().map(|g| mix(u64::from(*g) ^ seed)).min().unwrap_or(u64::MAX)
            })
            .collect();
        minima.chunks(self.rows).enumerate().map(|(band, rows)| rows.iter().fold(mix(band as u64), |h, m| mix(h ^ m))).collect()
    }
}

/// A surge warning as the watch keeps it: what it is about, its alert and
/// the orders it stands for. It lasts while alike orders keep coming: a
/// flood reported for three hours is one warning whose count grows, not a
/// new one every window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurgeWarning {
    /// Who it warns: a town, or (none) the centre for a topic spanning towns.
    pub unit: Option<UnitId>,
    /// A category id, or the first order of an alike cluster.
    pub subject: i64,
    pub alert: i64,
    pub raised_at: DateTime<Utc>,
    /// The orders counted in it, with when each was.
    pub orders: Vec<(OrderId, DateTime<Utc>)>,
}

impl SurgeWarning {
    /// When an order last joined it (its raising, if none did since).
    pub fn last_joined(&self) -> DateTime<Utc> {
        self.orders.iter().map(|(_, at)| *at).fold(self.raised_at, DateTime::max)
    }
}

/// What a screened order adds to its town's picture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurgeCheck {
    /// The category's orders in the window (this one included, oldest
    /// first) when they are `orders` or more and no warning about the
    /// category lasts.
    pub category: Option<Vec<OrderId>>,
    /// The orders alike to this one (itself included, oldest first) when
    /// they are `orders` or more and none of them is counted in a warning;
    /// the first names the new warning.
    pub alike: Option<Vec<OrderId>>,
    /// The alerts of the lasting warnings this order belongs to: its
    /// category's, and the one that counts an order alike to it.
    pub joins: Vec<i64>,
}
struct Entry {
    at: DateTime<Utc>,
    category: CategoryId,
    grams: Bigrams,
    /// Its band keys, so that letting it go takes it out of its buckets at
    /// once: cleaned up lazily, buckets held up to three times the live
    /// orders' keys, each in a list of its own, and their tables never
    /// shrank.
    keys: Box<[u64]>,
}

/// The orders sharing a band key; a key of one order alone is held
/// without a list.
#[derive(Debug)]
enum Bucket {
    One(OrderId),
    Many(Vec<OrderId>),
}

impl Bucket {
    fn ids(&self) -> &[OrderId] {
        match self {
            Self::One(id) => std::slice::from_ref(id),
            Self::Many(ids) => ids,
        }
    }

    fn add(&mut self, id: OrderId) {
        match self {
            Self::One(held) => {
                let held = *held;
                *self = Self::Many(vec![held, id]);
            }
            Self::Many(ids) => ids.push(id),
        }
    }

    /// Takes `id` out; false when no order is left.
    fn take_out(&mut self, id: OrderId) -> bool {
        match self {
            Self::One(held) => *held != id,
            Self::Many(ids) => {
                ids.retain(|held| *held != id);
                match *ids.as_slice() {
                    [] => false,
                    [only] => {
                        *self = Self::One(only);
                        true
                    }
                    _ => true,
                }
            }
        }
    }
}

/// Orders kept per town at most, the newest: as many as the check read
/// from the database before it was kept in memory, and a bound on memory
/// when a town registers more within the window.
pub const MAX_PER_TOWN: usize = 2_000;

/// Orders kept over all towns at most, the newest: an hour of a large
/// city's busiest day holds a few thousand. Each costs about 3 KB (its
/// bigrams, band keys and buckets, with the shipped messages' texts), so
/// without this bound the watch grew with the number of towns: 36 towns
/// at their cap held about a quarter of a gigabyte.
pub const MAX_HELD: usize = 20_000;

/// A lasting warning: its alert and when an order last joined it.
#[derive(Debug, Clone, Copy)]
struct Warned {
    alert: i64,
    last: DateTime<Utc>,
}

#[derive(Default)]
struct Town {
    entries: Map<OrderId, Entry>,
    by_time: BTreeSet<(DateTime<Utc>, OrderId)>,
    per_category: Map<CategoryId, usize>,
    /// Band key → the held orders with that key.
    buckets: Map<u64, Bucket>,
    /// The town's warnings by subject (a category id or the first order of
    /// an alike cluster), kept while orders join them within the window.
    warned: Map<i64, Warned>,
    /// The alike warning each order in the window is counted in.
    member_of: Map<OrderId, i64>,
}

impl Town {
    fn expire(&mut self, since: DateTime<Utc>) {
        while let Some(&(at, id)) = self.by_time.first() {
            if at >= since {
                break;
            }
            self.remove(id);
        }
        self.warned.retain(|_, w| w.last >= since);
    }

    fn remove(&mut self, id: OrderId) {
        if let Some(e) = self.entries.remove(&id) {
            for key in &e.keys {
                if let Slot::Occupied(mut bucket) = self.buckets.entry(*key)
                    && !bucket.get_mut().take_out(id)
                {
                    bucket.remove();
                }
            }
            self.by_time.remove(&(e.at, id));
            self.member_of.remove(&id);
            if let Some(n) = self.per_category.get_mut(&e.category) {
                *n -= 1;
                if *n == 0 {
                    self.per_category.remove(&e.category);
                }
            }
        }
    }

    /// Takes in an order with its bigrams and their band keys (the caller
    /// has them: a signature is the costliest part of a check).
    fn insert(&mut self, id: OrderId, at: DateTime<Utc>, category: CategoryId, grams: Bigrams, keys: &[u64]) {
        if self.entries.contains_key(&id) {
            return;
        }
        for &key in keys {
            self.buckets.entry(key).and_modify(|bucket| bucket.add(id)).or_insert(Bucket::One(id));
        }
        *self.per_category.entry(category).or_default() += 1;
        self.by_time.insert((at, id));
        self.entries.insert(id, Entry { at, category, grams, keys: keys.into() });
        while self.entries.len() > MAX_PER_TOWN {
            match self.by_time.first() {
                Some(&(_, oldest)) => self.remove(oldest),
                None => break,
            }
        }
    }

    /// The lasting alike warning counting `id`, if any.
    fn warning_of(&self, id: OrderId) -> Option<(i64, Warned)> {
        let subject = self.member_of.get(&id).copied().or(self.warned.contains_key(&id.0).then_some(id.0))?;
        self.warned.get(&subject).map(|w| (subject, *w))
    }

    /// Notes that an order joined a lasting warning now: it lasts a window
    /// longer, and with `member` the order is counted in it, so the orders
    /// alike to it join it too.
    fn touch(&mut self, subject: i64, member: Option<OrderId>, at: DateTime<Utc>) {
        if let Some(w) = self.warned.get_mut(&subject) {
            w.last = w.last.max(at);
            if let Some(id) = member {
                self.member_of.insert(id, subject);
            }
        }
    }
}

/// The recent orders of every town the node has screened.
pub struct SurgeWatch {
    rule: SurgeRule,
    banding: Banding,
    towns: Map<UnitId, Town>,
}

impl SurgeWatch {
    pub fn new(rule: SurgeRule) -> Self {
        Self { banding: Banding::for_threshold(rule.similarity), rule, towns: Map::default() }
    }

    pub fn rule(&self) -> SurgeRule {
        self.rule
    }

    /// Whether the town's recent orders were loaded (see [`Self::load`]).
    pub fn knows(&self, town: UnitId) -> bool {
        self.towns.contains_key(&town)
    }

    /// Takes in what the database knows of a town the watch has not seen
    /// yet (after a start): its recent orders and lasting surge warnings.
    pub fn load<'a>(
        &mut self,
        town: UnitId,
        orders: impl IntoIterator<Item = (OrderId, DateTime<Utc>, CategoryId, &'a str)>,
        warnings: &[SurgeWarning],
    ) {
        let banding = self.banding.clone();
        let t = self.towns.entry(town).or_default();
        for (id, at, category, text) in orders {
            let grams = Bigrams::of(text);
            let keys = banding.keys(&grams);
            t.insert(id, at, category, grams, &keys);
        }
        self.warned(town, warnings);
        self.keep_held_to_cap();
    }

    /// Lets the oldest orders of all towns go until [`MAX_HELD`] are left.
    fn keep_held_to_cap(&mut self) {
        let mut held = self.len();
        while held > MAX_HELD {
            let oldest = self.towns.iter().filter_map(|(unit, t)| t.by_time.first().map(|&(at, id)| (at, id, *unit))).min();
            let Some((_, id, town)) = oldest else { break };
            if let Some(t) = self.towns.get_mut(&town) {
                t.remove(id);
            }
            held -= 1;
        }
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
            t.insert(id, at, category, grams.clone(), &keys);
        }
        let mut joins = Vec::new();
        let mut category_orders = None;
        if let Some(w) = t.warned.get(&category.0).copied() {
            joins.push(w.alert);
            t.touch(category.0, None, at);
        } else if t.per_category.get(&category).copied().unwrap_or(0) >= rule.orders {
            let mut of: Vec<(DateTime<Utc>, OrderId)> =
                t.entries.iter().filter(|(_, e)| e.category == category).map(|(id, e)| (e.at, *id)).collect();
            of.sort();
            category_orders = Some(of.into_iter().map(|(_, id)| id).collect());
        }

        // The orders alike to this one, found among those sharing a band.
        // If one of them (or this one) is counted in a lasting warning, this
        // one joins it instead of making another.
        let mut warning = t.warning_of(id);
        let mut cluster = Vec::new();
        if warning.is_none() {
            if t.entries.contains_key(&id) {
                cluster.push(id);
            }
            let mut seen = HashSet::with_hasher(Seeded::default());
            'bands: for key in &keys {
                for other in t.buckets.get(key).map_or(&[][..], Bucket::ids) {
                    if *other == id || !seen.insert(*other) {
                        continue;
                    }
                    if let Some(e) = t.entries.get(other)
                        && !e.grams.too_different(&grams, rule.similarity)
                        && e.grams.similarity(&grams) >= rule.similarity
                    {
                        if let Some(found) = t.warning_of(*other) {
                            warning = Some(found);
                            break 'bands;
                        }
                        cluster.push(*other);
                    }
                }
            }
        }
        let alike = match warning {
            Some((subject, w)) => {
                joins.push(w.alert);
                t.touch(subject, Some(id), at);
                None
            }
            None if cluster.len() >= rule.orders => {
                cluster.sort();
                Some(cluster)
            }
            None => None,
        };
        joins.dedup();
        self.keep_held_to_cap();
        SurgeCheck { category: category_orders, alike, joins }
    }

    /// Records surge warnings raised for the town (here or, read from the
    /// database, on another node), with the orders each counts.
    pub fn warned(&mut self, town: UnitId, warnings: &[SurgeWarning]) {
        let t = self.towns.entry(town).or_default();
        for w in warnings {
            let last = w.last_joined();
            let kept = t.warned.entry(w.subject).or_insert(Warned { alert: w.alert, last });
            kept.last = kept.last.max(last);
            // An alike cluster's warning is named after one of its orders; a
            // category's orders join it by their category instead.
            if w.orders.iter().any(|(o, _)| o.0 == w.subject) {
                for (order, _) in w.orders.iter().filter(|(o, _)| t.entries.contains_key(o)) {
                    t.member_of.entry(*order).or_insert(w.subject);
                }
            }
        }
    }

    /// Whether any of `orders` is counted in a warning of the town lasting
    /// at `now`, or `subject` names one. A warning read back from the
    /// database whose reports stopped a window ago does not count: the
    /// matter warns anew.
    pub fn covers(&mut self, town: UnitId, subject: i64, orders: &[OrderId], now: DateTime<Utc>) -> bool {
        let since = now - self.rule.window;
        self.towns.get_mut(&town).is_some_and(|t| {
            t.expire(since);
            t.warned.contains_key(&subject) || orders.iter().any(|o| t.warning_of(*o).is_some())
        })
    }

    /// Takes back a warning noted in [`Self::warned`] that was not raised after all.
    pub fn unwarn(&mut self, town: UnitId, alert: i64) {
        if let Some(t) = self.towns.get_mut(&town) {
            let gone: Vec<i64> = t.warned.iter().filter(|(_, w)| w.alert == alert).map(|(s, _)| *s).collect();
            for subject in gone {
                t.warned.remove(&subject);
                t.member_of.retain(|_, s| *s != subject);
            }
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

    fn warning(subject: i64, alert: i64, raised: i64, orders: &[i64]) -> SurgeWarning {
        SurgeWarning {
            unit: Some(TOWN),
            subject,
            alert,
            raised_at: at(raised),
            orders: orders.iter().map(|o| (OrderId(*o), at(raised))).collect(),
        }
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
        assert_eq!((third.category, third.joins), (None, vec![]));
        // Observing again changes nothing; another town is another picture.
        assert_eq!(w.observe(TOWN, OrderId(4), at(3), CategoryId(4), texts[2], at(3)).alike.map(|c| c.len()), Some(3));
        assert_eq!(w.observe(UnitId(4), OrderId(5), at(3), CategoryId(4), texts[2], at(3)), SurgeCheck::default());
        // A warning taken back (its batch failed) does not stop the next.
        w.warned(TOWN, &[warning(1, 900, 3, &[1, 3, 4])]);
        assert!(w.covers(TOWN, 1, &[], at(3)) && w.covers(TOWN, 0, &[OrderId(3)], at(3)));
        w.unwarn(TOWN, 900);
        assert!(!w.covers(TOWN, 1, &[OrderId(3)], at(3)));
        assert!(w.observe(TOWN, OrderId(6), at(4), CategoryId(5), texts[0], at(4)).alike.is_some(), "a warning taken back");
        w.warned(TOWN, &[warning(1, 901, 4, &[1, 3, 4, 6])]);
        // Once raised, later alike orders join it rather than warn again.
        let later = w.observe(TOWN, OrderId(8), at(4), CategoryId(5), texts[0], at(4));
        assert_eq!((later.alike, later.joins), (None, vec![901]));
        // An hour after the first, the cluster has fallen out of the window.
        assert_eq!(w.observe(TOWN, OrderId(7), at(70), CategoryId(5), texts[0], at(70)), SurgeCheck::default());
        assert_eq!(w.len(), 2, "expired orders are dropped: 7 here and 5 in the other town");
    }

    #[test]
    fn a_warning_read_back_after_its_reports_stopped_does_not_stop_the_matter_warning_anew() {
        let mut w = watch(3);
        // Read back from the database: raised at minute 0, last joined at 20.
        let mut old = warning(42, 800, 0, &[1, 2, 3]);
        old.orders.push((OrderId(4), at(20)));
        w.warned(TOWN, &[old.clone()]);
        assert!(w.covers(TOWN, 42, &[], at(79)), "joined 59 minutes ago: it lasts");
        w.warned(TOWN, &[old]);
        assert!(!w.covers(TOWN, 42, &[], at(81)), "quiet for a window: the category warns anew");
    }

    #[test]
    fn a_warning_lasts_while_alike_orders_keep_coming_and_counts_those_alike_to_its_newest() {
        let mut w = watch(3);
        // Each report is alike to the one before, not to the first: the
        // warning follows the reports as they drift.
        let texts = [
            "东纵路88号小区门口污水横流",
            "东纵路88号小区门口污水横流臭",
            "东纵路88号小区门口污水横流臭味",
            "88号小区门口污水横流臭味很大",
            "小区门口污水横流臭味很大难闻",
        ];
        for (i, text) in texts.iter().enumerate().take(2) {
            w.observe(TOWN, OrderId(i as i64 + 1), at(i as i64 * 25), CategoryId(i as i64 + 10), text, at(i as i64 * 25));
        }
        let third = w.observe(TOWN, OrderId(3), at(50), CategoryId(12), texts[2], at(50));
        assert_eq!(third.alike, Some(vec![OrderId(1), OrderId(2), OrderId(3)]));
        w.warned(TOWN, &[warning(1, 700, 50, &[1, 2, 3])]);
        // 75 minutes after the first (gone from the window), the fourth is
        // alike to the second and third and joins their warning.
        let fourth = w.observe(TOWN, OrderId(4), at(75), CategoryId(13), texts[3], at(75));
        assert_eq!((fourth.alike, fourth.joins), (None, vec![700]));
        // 110 minutes: the window holds only the third and the fourth, and
        // the warning lasts because the fourth joined it 35 minutes ago.
        let fifth = w.observe(TOWN, OrderId(5), at(110), CategoryId(14), texts[4], at(110));
        assert!(similarity(texts[4], texts[3]) >= 0.6 && similarity(texts[4], texts[2]) < 0.6);
        assert_eq!((fifth.alike, fifth.joins), (None, vec![700]));
    }

    #[test]
    fn a_category_surges_once_then_its_later_orders_join_and_forgotten_orders_do_not_count() {
        let mut w = watch(3);
        let text = |i: usize| ["路灯不亮", "井盖丢失了", "垃圾没人清运"][i % 3];
        for i in 0..2 {
            assert_eq!(w.observe(TOWN, OrderId(i as i64), at(i as i64), CategoryId(9), text(i), at(i as i64)).category, None);
        }
        w.forget(TOWN, OrderId(1));
        assert_eq!(
            w.observe(TOWN, OrderId(2), at(2), CategoryId(9), text(2), at(2)).category,
            None,
            "the forgotten order no longer counts"
        );
        let surge = w.observe(TOWN, OrderId(3), at(3), CategoryId(9), text(3), at(3));
        assert_eq!(surge.category, Some(vec![OrderId(0), OrderId(2), OrderId(3)]), "the orders that made it, oldest first");
        w.warned(TOWN, &[warning(9, 500, 3, &[0, 2, 3])]);
        let later = w.observe(TOWN, OrderId(4), at(4), CategoryId(9), text(4), at(4));
        assert_eq!((later.category, later.joins), (None, vec![500]));
        assert_eq!(
            w.observe(TOWN, OrderId(5), at(62), CategoryId(9), text(5), at(62)).joins,
            vec![500],
            "the warning lasts: an order joined it at 4"
        );
        let quiet = w.observe(TOWN, OrderId(6), at(200), CategoryId(9), text(6), at(200));
        assert_eq!(quiet, SurgeCheck::default(), "the old ones expired and so did the warning");
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

    /// Band keys in the town's buckets, keys of its held orders, and
    /// whether every id in a bucket is a held order.
    fn bucket_accounts(w: &SurgeWatch) -> (usize, usize, bool) {
        let t = &w.towns[&TOWN];
        let in_buckets = t.buckets.values().map(|b| b.ids().len()).sum();
        let of_orders = t.entries.values().map(|e| e.keys.len()).sum();
        let live = t.buckets.values().all(|b| b.ids().iter().all(|id| t.entries.contains_key(id)));
        (in_buckets, of_orders, live)
    }

    #[test]
    fn orders_let_go_leave_their_buckets_at_once() {
        let mut w = watch(5);
        let n = MAX_PER_TOWN as i64 + 500;
        for i in 0..n {
            // Every fourth text repeats the one before, so some keys are shared.
            let k = if i % 4 == 3 { i - 1 } else { i };
            let text = format!("第{k}号楼{}单元{}问题反映编号{}", k % 97, k % 13, k * 7919);
            let when = at(0) + Duration::seconds(i);
            w.observe(TOWN, OrderId(i), when, CategoryId(i % 50), &text, when);
        }
        assert_eq!(w.len(), MAX_PER_TOWN);
        assert!(w.towns[&TOWN].buckets.values().any(|b| matches!(b, Bucket::Many(_))), "some keys are shared");
        let (in_buckets, of_orders, live) = bucket_accounts(&w);
        assert_eq!(in_buckets, of_orders, "the 500 let go at the cap left no key behind");
        assert!(live);
        // A window later, the town holds the one new order and its keys only.
        w.observe(TOWN, OrderId(n), at(200), CategoryId(1), "东纵路88号小区门口污水横流", at(200));
        assert_eq!(w.len(), 1);
        let (in_buckets, of_orders, live) = bucket_accounts(&w);
        assert_eq!((in_buckets, w.towns[&TOWN].buckets.len()), (of_orders, of_orders));
        assert!(live && of_orders > 0);
    }

    #[test]
    fn the_watch_keeps_the_newest_orders_of_all_towns_to_its_cap() {
        let mut w = watch(3);
        let towns = 20;
        for i in 0..(MAX_HELD as i64 + 100) {
            let when = at(0) + Duration::milliseconds(i);
            w.observe(UnitId(i % towns), OrderId(i), when, CategoryId(1), &format!("第{i}号"), when);
        }
        assert_eq!(w.len(), MAX_HELD);
        let held = |i: i64| w.towns[&UnitId(i % towns)].entries.contains_key(&OrderId(i));
        assert!((0..100).all(|i| !held(i)), "the oldest hundred were let go");
        assert!((100..MAX_HELD as i64 + 100).all(held), "every newer order is held, whatever its town");
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
            w.banding.keys(&grams).iter().flat_map(|k| t.buckets.get(k).map_or(&[][..], Bucket::ids).iter().copied()).collect();
        assert!(candidates.len() < 100, "{} candidates", candidates.len());
    }
}
