//! Hot topics (热点诉求): what many citizens report now, found in the words
//! of the orders themselves rather than in the categories a consultant
//! chose (a flooded street arrives as drainage, traffic and housing).
//!
//! Orders are grouped in one pass, oldest first: each joins the group it
//! is most alike to, or starts one. Likeness is the same weighted cosine as
//! for duplicates (`crate::duplicate`), taken between an order's words and
//! the group's words (each weighed by its rarity, and by the share of the
//! group's orders using it), so a group
//! stays about what most of its orders say and does not drift through a
//! chain of each-a-little-alike orders. A group is looked for only among
//! those sharing one of the order's rarer words, so the pass costs about
//! the same per order whatever the number of orders.
//!
//! A word's rarity is how rare it is in ordinary times, outside the orders
//! grouped (the caller's background: the city's earlier orders): within
//! the window, the words of a surge are common precisely because hundreds
//! report it, and weighing them by their frequency there would take the
//! surge apart.
//!
//! A topic is a group with enough orders in the window asked for; the
//! window before it, of the same length, tells its trend.

use crate::ids::{CategoryId, OrderId, UnitId};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// What makes a topic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopicRule {
    /// How alike (0 to 1) an order must be to a group to join it.
    pub likeness: f32,
    /// Orders in the window that make a group a topic.
    pub min_orders: usize,
}

impl Default for TopicRule {
    fn default() -> Self {
        Self { likeness: crate::duplicate::DUPLICATE_LIKENESS, min_orders: 3 }
    }
}

/// An order as the grouping sees it.
#[derive(Debug, Clone)]
pub struct TopicOrder<'a, W = String> {
    pub id: OrderId,
    pub at: DateTime<Utc>,
    pub town: Option<UnitId>,
    pub category: CategoryId,
    /// Its distinct words (the search analyzer's, stop words left out), as
    /// strings or as handles shared by every order using the word.
    pub words: &'a [W],
}

/// Where a topic is going, from its orders in the window before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Nothing of it in the window before.
    New,
    /// At least half as many again as before.
    Rising,
    Steady,
    /// At most two thirds of before.
    Falling,
}

impl Trend {
    pub fn of(now: usize, before: usize) -> Self {
        if before == 0 {
            Self::New
        } else if 2 * now >= 3 * before && now > before + 1 {
            Self::Rising
        } else if 3 * now <= 2 * before {
            Self::Falling
        } else {
            Self::Steady
        }
    }
}

/// A topic of one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topic {
    /// Its first order (of both windows): names it while it lasts.
    pub first: OrderId,
    /// Its orders in the window, newest first.
    pub orders: Vec<OrderId>,
    /// Its orders in the window before.
    pub before: usize,
    pub trend: Trend,
    /// The words most of its orders use, most telling first, each with how
    /// many of its orders (of both windows) use it.
    pub keywords: Vec<(String, usize)>,
    /// Its towns in the window, most orders first (orders without a town
    /// are not counted).
    pub towns: Vec<(UnitId, usize)>,
    /// Its categories in the window, most orders first.
    pub categories: Vec<(CategoryId, usize)>,
    /// Orders per twelfth of the window, oldest first.
    pub series: Vec<u32>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// Parts of a window in the series.
pub const SERIES_BUCKETS: usize = 12;
/// Keywords named per topic at most.
const KEYWORDS: usize = 6;
/// An order's rarest words that look for its group.
const LOOKUP_WORDS: usize = 8;
/// A word in more groups than this finds no group by itself (it is common).
const BUSY_WORD: usize = 256;

/// Words the caller has coded as numbers: each code's text and weight (its
/// rarity in ordinary times), both indexed by code. Every code an order
/// holds must be below their length.
pub struct Lexicon<'a, T> {
    pub texts: &'a [T],
    pub weights: &'a [f32],
}

/// The topics of the window of `length` ending at `now`, largest first,
/// from `orders` of that window and the one before (others are ignored),
/// their words as strings weighed by `rarity`.
pub fn topics<W: AsRef<str>>(
    orders: &[TopicOrder<'_, W>],
    now: DateTime<Utc>,
    length: Duration,
    rule: TopicRule,
    rarity: &dyn Fn(&str) -> f32,
) -> Vec<Topic> {
    let orders: Vec<&TopicOrder<'_, W>> = orders.iter().collect();
    in_codes(&orders, rarity, |coded, lexicon| topics_coded(coded, now, length, rule, lexicon))
}

/// [`topics`] of orders whose words the caller keeps coded (the server's
/// memory of the fortnight): nothing is hashed or copied per word.
pub fn topics_coded<T: AsRef<str>>(
    orders: &[TopicOrder<'_, u32>],
    now: DateTime<Utc>,
    length: Duration,
    rule: TopicRule,
    lexicon: &Lexicon<'_, T>,
) -> Vec<Topic> {
    let start = now - length;
    let mut orders: Vec<&TopicOrder<'_, u32>> = orders.iter().filter(|o| o.at > start - length && o.at <= now).collect();
    orders.sort_by_key(|o| (o.at, o.id));
    let groups = group_coded(&orders, rule.likeness, lexicon);
    let mut topics: Vec<Topic> = groups
        .into_iter()
        .filter_map(|g| {
            let members: Vec<&TopicOrder<'_, u32>> = g.members.iter().map(|i| orders[*i]).collect();
            let current: Vec<&TopicOrder<'_, u32>> = members.iter().copied().filter(|o| o.at > start).collect();
            if current.len() < rule.min_orders {
                return None;
            }
            let before = members.len() - current.len();
            let bucket = |at: DateTime<Utc>| {
                let part = (at - start).num_milliseconds() as f64 / length.num_milliseconds().max(1) as f64;
                ((part * SERIES_BUCKETS as f64) as usize).min(SERIES_BUCKETS - 1)
            };
            let mut series = vec![0u32; SERIES_BUCKETS];
            current.iter().for_each(|o| series[bucket(o.at)] += 1);
            Some(Topic {
                first: members[0].id,
                orders: current.iter().rev().map(|o| o.id).collect(),
                before,
                trend: Trend::of(current.len(), before),
                keywords: g.keywords,
                towns: ranked(current.iter().filter_map(|o| o.town)),
                categories: ranked(current.iter().map(|o| o.category)),
                series,
                first_at: current[0].at,
                last_at: current[current.len() - 1].at,
            })
        })
        .collect();
    topics.sort_by(|a, b| b.orders.len().cmp(&a.orders.len()).then(b.last_at.cmp(&a.last_at)));
    topics
}

fn ranked<T: std::hash::Hash + Eq + Ord + Copy>(items: impl Iterator<Item = T>) -> Vec<(T, usize)> {
    let mut counts: HashMap<T, usize> = HashMap::new();
    items.for_each(|t| *counts.entry(t).or_default() += 1);
    let mut counts: Vec<(T, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
}

/// A group found by [`group`]: its orders (indices, oldest first) and its keywords.
pub struct Group {
    pub members: Vec<usize>,
    pub keywords: Vec<(String, usize)>,
}

struct Forming {
    members: Vec<usize>,
    /// (word, members using it), by word: a group of one order holds about
    /// twenty, and a refresh forms tens of thousands of groups, so a sorted
    /// list costs a fraction of a hash table's memory for the same look-ups.
    uses: Vec<(u32, u32)>,
    /// Σ rarity × uses, over its words.
    mass: f32,
}

impl Forming {
    fn uses(&self, word: u32) -> Option<u32> {
        self.uses.binary_search_by_key(&word, |u| u.0).ok().map(|i| self.uses[i].1)
    }

    /// The weighted cosine of an order's words and the group's, the group's
    /// words weighed by rarity × the share of members using them.
    fn likeness(&self, words: &[u32], weight: &[f32], own: f32) -> f32 {
        let size = self.members.len() as f32;
        let shared: f32 = words.iter().filter_map(|w| self.uses(*w).map(|n| weight[*w as usize] * n as f32 / size)).sum();
        let theirs = self.mass / size;
        if own > 0.0 && theirs > 0.0 { shared / (own * theirs).sqrt() } else { 0.0 }
    }

    /// Counts one more member using `word`; true if it is the first.
    fn count(&mut self, word: u32) -> bool {
        match self.uses.binary_search_by_key(&word, |u| u.0) {
            Ok(i) => {
                self.uses[i].1 += 1;
                false
            }
            Err(i) => {
                self.uses.insert(i, (word, 1));
                true
            }
        }
    }
}

/// BM25's idf of a word used by `count` of `documents` documents:
/// ln(1 + (N − n + ½) / (n + ½)).
pub fn rarity(documents: u64, count: u64) -> f32 {
    let (n, d) = (count.min(documents) as f32, documents as f32);
    (1.0 + (d - n + 0.5) / (n + 0.5)).ln()
}

/// Groups `orders` (oldest first) in one pass, every word weighed by
/// `rarity`. A word of one order only can join nothing, but still counts in
/// that order's weight.
pub fn group<W: AsRef<str>>(orders: &[&TopicOrder<'_, W>], likeness: f32, rarity: &dyn Fn(&str) -> f32) -> Vec<Group> {
    in_codes(orders, rarity, |coded, lexicon| group_coded(&coded.iter().collect::<Vec<_>>(), likeness, lexicon))
}

/// Hands `then` the orders with their words coded (each distinct word once,
/// in the order met) and the words' texts and weights.
fn in_codes<W: AsRef<str>, R>(
    orders: &[&TopicOrder<'_, W>],
    rarity: &dyn Fn(&str) -> f32,
    then: impl FnOnce(&[TopicOrder<'_, u32>], &Lexicon<'_, &str>) -> R,
) -> R {
    let mut codes: HashMap<&str, u32> = HashMap::new();
    let mut texts: Vec<&str> = Vec::new();
    let words: Vec<Vec<u32>> = orders
        .iter()
        .map(|o| {
            o.words
                .iter()
                .map(|w| {
                    *codes.entry(w.as_ref()).or_insert_with(|| {
                        texts.push(w.as_ref());
                        (texts.len() - 1) as u32
                    })
                })
                .collect()
        })
        .collect();
    let weights: Vec<f32> = texts.iter().map(|t| rarity(t)).collect();
    let coded: Vec<TopicOrder<'_, u32>> = orders.iter().zip(&words).map(|(o, words)| o.with_words(words)).collect();
    then(&coded, &Lexicon { texts: &texts, weights: &weights })
}

impl<'a, W> TopicOrder<'a, W> {
    /// The same order with its words coded.
    fn with_words<'b>(&self, words: &'b [u32]) -> TopicOrder<'b, u32> {
        TopicOrder { id: self.id, at: self.at, town: self.town, category: self.category, words }
    }
}

/// [`group`] of orders whose words the caller keeps coded.
pub fn group_coded<T: AsRef<str>>(orders: &[&TopicOrder<'_, u32>], likeness: f32, lexicon: &Lexicon<'_, T>) -> Vec<Group> {
    let weight = lexicon.weights;
    let mut documents = vec![0u32; lexicon.texts.len()];
    orders.iter().flat_map(|o| o.words).for_each(|w| documents[*w as usize] += 1);

    let mut groups: Vec<Forming> = Vec::new();
    // Word → groups whose members use it.
    let mut postings: Vec<Vec<u32>> = vec![Vec::new(); lexicon.texts.len()];
    for (i, o) in orders.iter().enumerate() {
        let words = o.words;
        let own: f32 = words.iter().map(|w| weight[*w as usize]).sum();
        let mut lookup: Vec<u32> = words.iter().copied().filter(|w| documents[*w as usize] > 1).collect();
        lookup.sort_by(|a, b| weight[*b as usize].total_cmp(&weight[*a as usize]));
        lookup.truncate(LOOKUP_WORDS);
        let mut best: Option<(u32, f32)> = None;
        let mut seen: Vec<u32> = Vec::new();
        for w in &lookup {
            let candidates = &postings[*w as usize];
            if candidates.len() > BUSY_WORD {
                continue;
            }
            for g in candidates {
                if seen.contains(g) {
                    continue;
                }
                seen.push(*g);
                let value = groups[*g as usize].likeness(words, weight, own);
                if value >= likeness && best.is_none_or(|(_, b)| value > b) {
                    best = Some((*g, value));
                }
            }
        }
        let g = match best {
            Some((g, _)) => g,
            None => {
                groups.push(Forming { members: Vec::new(), uses: Vec::with_capacity(words.len()), mass: 0.0 });
                (groups.len() - 1) as u32
            }
        };
        let forming = &mut groups[g as usize];
        forming.members.push(i);
        for w in words {
            if forming.count(*w) {
                postings[*w as usize].push(g);
            }
            forming.mass += weight[*w as usize];
        }
    }

    let text = |w: u32| lexicon.texts[w as usize].as_ref();
    groups
        .into_iter()
        .map(|g| {
            // Telling words: used by at least two members and a third of them.
            let floor = 2.max(g.members.len().div_ceil(3)) as u32;
            let mut keywords: Vec<(u32, u32)> = g.uses.iter().filter(|(_, n)| *n >= floor).copied().collect();
            keywords.sort_by(|a, b| {
                (weight[b.0 as usize] * b.1 as f32).total_cmp(&(weight[a.0 as usize] * a.1 as f32)).then(text(a.0).cmp(text(b.0)))
            });
            keywords.truncate(KEYWORDS);
            Group { keywords: keywords.into_iter().map(|(w, n)| (text(w).to_owned(), n as usize)).collect(), members: g.members }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minute)
    }

    /// Ordinary times: 1,000 orders, in which 社保卡, 晚上, 补办 and 办理 are common.
    fn background(word: &str) -> f32 {
        rarity(1_000, if matches!(word, "社保卡" | "晚上" | "补办" | "办理") { 60 } else { 2 })
    }

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    /// Id, minute, town, category, words.
    type Row = (i64, i64, Option<i64>, i64, Vec<String>);

    struct Orders(Vec<Row>);

    impl Orders {
        fn view(&self) -> Vec<TopicOrder<'_>> {
            self.0
                .iter()
                .map(|(id, minute, town, category, words)| TopicOrder {
                    id: OrderId(*id),
                    at: at(*minute),
                    town: town.map(UnitId),
                    category: CategoryId(*category),
                    words,
                })
                .collect()
        }
    }

    /// A flood in one town reported four ways within the hour, amid
    /// everyday matters each said once or twice.
    fn flood() -> Orders {
        let flood = [
            "东纵路 暴雨 水浸 街道 无法 通行",
            "暴雨 东纵路 水浸 车辆 熄火",
            "东纵路 积水 水浸 商铺 进水 暴雨",
            "暴雨 后 东纵路 水浸 排水 堵塞",
        ];
        let everyday = [
            "社保卡 丢失 补办 材料",
            "噪音 扰民 装修 晚上",
            "公积金 提取 手续",
            "小区 停车 收费 过高",
            "社保卡 补办 需要 多久",
            "路灯 不亮 晚上 黑",
        ];
        let mut orders = Vec::new();
        for (i, t) in flood.iter().enumerate() {
            orders.push((100 + i as i64, 602 + 10 * i as i64, Some(3), 10 + i as i64, words(t)));
        }
        for (i, t) in everyday.iter().enumerate() {
            orders.push((200 + i as i64, 605 + 7 * i as i64, Some(4), 50 + i as i64, words(t)));
        }
        Orders(orders)
    }

    #[test]
    fn a_matter_reported_many_ways_is_one_topic_and_everyday_matters_are_not() {
        let orders = flood();
        let found = topics(&orders.view(), at(660), Duration::hours(1), TopicRule::default(), &background);
        assert_eq!(found.len(), 1, "{found:?}");
        let t = &found[0];
        assert_eq!(t.orders, vec![OrderId(103), OrderId(102), OrderId(101), OrderId(100)]);
        assert_eq!(t.first, OrderId(100));
        assert_eq!(t.trend, Trend::New);
        assert_eq!(t.towns, vec![(UnitId(3), 4)]);
        assert_eq!(t.categories.len(), 4, "four categories, one topic");
        let keywords: Vec<&str> = t.keywords.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(&keywords[..3], &["东纵路", "暴雨", "水浸"], "{keywords:?}");
        assert!(!keywords.contains(&"车辆"), "a word of one order is not a keyword");
        assert_eq!(t.series.iter().sum::<u32>(), 4);
        assert_eq!(t.series.len(), SERIES_BUCKETS);
    }

    #[test]
    fn words_the_caller_coded_group_as_the_same_words_as_strings() {
        let orders = flood();
        let strings = topics(&orders.view(), at(660), Duration::hours(1), TopicRule::default(), &background);
        // The caller's codes need not be dense: every other code is one it
        // let go, with no text and no weight.
        let mut texts: Vec<String> = Vec::new();
        let coded: Vec<Vec<u32>> = orders
            .0
            .iter()
            .map(|row| {
                row.4
                    .iter()
                    .map(|w| match texts.iter().position(|t| t == w) {
                        Some(i) => i as u32,
                        None => {
                            texts.extend([w.clone(), String::new()]);
                            (texts.len() - 2) as u32
                        }
                    })
                    .collect()
            })
            .collect();
        let weights: Vec<f32> = texts.iter().map(|t| if t.is_empty() { 0.0 } else { background(t) }).collect();
        let view: Vec<TopicOrder<'_, u32>> = orders.view().iter().zip(&coded).map(|(o, words)| o.with_words(words)).collect();
        let found = topics_coded(&view, at(660), Duration::hours(1), TopicRule::default(), &Lexicon { texts: &texts, weights: &weights });
        assert_eq!(found.len(), 1);
        assert_eq!(found, strings);
    }

    #[test]
    fn fewer_orders_than_the_rule_asks_are_no_topic() {
        let orders = flood();
        let rule = TopicRule { min_orders: 5, ..TopicRule::default() };
        assert!(topics(&orders.view(), at(660), Duration::hours(1), rule, &background).is_empty());
        // Two orders about a social security card are not three.
        assert!(topics(&orders.view(), at(660), Duration::hours(1), TopicRule::default(), &background).iter().all(|t| t.orders.len() == 4));
    }

    #[test]
    fn the_window_before_gives_the_trend_and_orders_outside_both_are_ignored() {
        let mut orders = flood();
        // Two of the same an hour earlier; one more two hours earlier, outside both windows.
        orders.0.push((90, 550, Some(3), 10, words("东纵路 暴雨 水浸")));
        orders.0.push((91, 560, Some(3), 10, words("东纵路 水浸 暴雨 又来")));
        orders.0.push((80, 400, Some(3), 10, words("东纵路 暴雨 水浸")));
        let found = topics(&orders.view(), at(660), Duration::hours(1), TopicRule::default(), &background);
        assert_eq!(found[0].before, 2);
        assert_eq!(found[0].first, OrderId(90));
        assert_eq!(found[0].orders.len(), 4);
        assert_eq!(found[0].trend, Trend::Rising);
        // An hour later the flood's hour is the window before: nothing now.
        assert!(topics(&orders.view(), at(720), Duration::hours(1), TopicRule::default(), &background).is_empty());
    }

    #[test]
    fn a_surge_stays_one_topic_however_many_report_it() {
        // Sixty reports of one flood, each in words of its own around the
        // same few, amid twenty everyday matters.
        let core = ["东纵路", "水浸", "暴雨", "下水道", "积水"];
        let mut orders = Vec::new();
        for i in 0..60i64 {
            let mut w: Vec<String> =
                core.iter().enumerate().filter(|(k, _)| !(i as usize + k).is_multiple_of(5)).map(|(_, w)| w.to_string()).collect();
            w.extend([format!("细节{i}"), format!("说法{}", i % 7)]);
            orders.push((1_000 + i, 601 + i / 2, Some(3), 10, w));
        }
        for i in 0..20i64 {
            orders.push((2_000 + i, 601 + i, Some(4), 50, vec![format!("事项{i}"), "办理".to_owned(), format!("地点{i}")]));
        }
        let orders = Orders(orders);
        let found = topics(&orders.view(), at(660), Duration::hours(1), TopicRule::default(), &background);
        assert_eq!(found.len(), 1, "{:?}", found.iter().map(|t| t.orders.len()).collect::<Vec<_>>());
        assert_eq!(found[0].orders.len(), 60);
    }

    #[test]
    fn trends() {
        assert_eq!(Trend::of(3, 0), Trend::New);
        assert_eq!(Trend::of(6, 4), Trend::Rising);
        assert_eq!(Trend::of(3, 2), Trend::Steady, "one more is not a rise");
        assert_eq!(Trend::of(5, 4), Trend::Steady);
        assert_eq!(Trend::of(4, 6), Trend::Falling);
    }

    #[test]
    fn a_chain_of_each_a_little_alike_orders_does_not_become_one_group() {
        // Each shares two words with the next, none with the one after.
        let chain = ["甲 乙 丙 丁", "丙 丁 戊 己", "戊 己 庚 辛", "庚 辛 壬 癸", "壬 癸 子 丑"];
        let orders = Orders(chain.iter().enumerate().map(|(i, t)| (i as i64, i as i64, None, 1, words(t))).collect());
        let view = orders.view();
        let refs: Vec<&TopicOrder<'_>> = view.iter().collect();
        let groups = group(&refs, TopicRule::default().likeness, &background);
        assert!(groups.iter().all(|g| !(g.members.contains(&0) && g.members.contains(&4))), "the ends are apart");
        assert!(groups.iter().all(|g| g.members.len() <= 3), "{:?}", groups.iter().map(|g| &g.members).collect::<Vec<_>>());
    }
}
