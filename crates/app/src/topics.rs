//! Hot topics from the orders (热点诉求, issue 18): what many citizens
//! report in the last hours, day or week, grouped by their words
//! (`hotline_domain::topics`), for the supervision screen, the big screen
//! and, in public wording, the portal.
//!
//! The orders' words are kept in memory (each distinct word once), each
//! order analysed once; a refresh reads only the orders registered since
//! the last one (with an overlap for late commits) and, every few
//! minutes, the whole fortnight again so merged and invalid orders drop
//! out. Topics are computed at most once per refresh and window, off the
//! async threads.

use crate::access::TopicReader;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::emergency::Emergency;
use crate::error::{AppError, AppResult};
use crate::knowledge::index::SearchEngine;
use crate::ports::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use hotline_domain::topic_surge::TopicReport;
use hotline_domain::topics::{Topic, TopicOrder, TopicRule, Trend};
use hotline_domain::{CategoryId, OrderId, UnitId, WorkOrderNo};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

pub mod words;
pub use words::TopicWords;

/// An order as the topics need it (merged and invalid ones are never read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSource {
    pub id: OrderId,
    pub number: WorkOrderNo,
    pub created_at: DateTime<Utc>,
    pub town: Option<UnitId>,
    pub category: CategoryId,
    pub subject: String,
    pub description: String,
}

#[async_trait]
pub trait TopicStore: Send + Sync {
    /// Orders registered after `after` (time, then id), merged and invalid
    /// ones left out, oldest first, at most `limit`.
    async fn topic_orders(&self, after: (DateTime<Utc>, OrderId), limit: u32) -> StoreResult<Vec<TopicSource>>;
}

/// The windows topics are counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopicWindow {
    /// The last six hours.
    Hours,
    /// The last 24 hours.
    Day,
    /// The last seven days.
    Week,
}

impl TopicWindow {
    pub fn length(self) -> Duration {
        match self {
            Self::Hours => Duration::hours(6),
            Self::Day => Duration::days(1),
            Self::Week => Duration::days(7),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hours" => Some(Self::Hours),
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            _ => None,
        }
    }
}

/// Section `[topics]` (documented in `docs/configuration.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopicsConfig {
    /// Seconds topics are served before they are computed again.
    pub refresh_seconds: u32,
    /// Orders in the window that make a topic.
    pub min_orders: u32,
    /// How alike (0–1, the weighted cosine of words) an order must be to a
    /// topic's orders to join it.
    pub likeness: f32,
    /// The most orders kept analysed in memory, the newest: a fortnight
    /// of a city's orders would otherwise grow the server without bound
    /// (about 1.4 KB an order).
    pub max_orders: u32,
}

impl Default for TopicsConfig {
    fn default() -> Self {
        let rule = TopicRule::default();
        Self { refresh_seconds: 60, min_orders: rule.min_orders as u32, likeness: rule.likeness, max_orders: 100_000 }
    }
}

impl TopicsConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.refresh_seconds == 0 || self.refresh_seconds > 3600 {
            return Err("refresh_seconds must be between 1 and 3600".into());
        }
        if self.min_orders < 2 {
            return Err("min_orders must be at least 2".into());
        }
        if !(self.likeness > 0.0 && self.likeness < 1.0) {
            return Err("likeness must be between 0 and 1 (exclusive)".into());
        }
        if !(1_000..=5_000_000).contains(&self.max_orders) {
            return Err("max_orders must be between 1000 and 5000000".into());
        }
        Ok(())
    }

    fn rule(&self) -> TopicRule {
        TopicRule { likeness: self.likeness, min_orders: self.min_orders as usize }
    }
}

/// A count of orders under a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counted<K> {
    pub key: K,
    pub name: String,
    pub orders: usize,
}

/// One of a topic's orders, as listed to the centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicMember {
    pub number: WorkOrderNo,
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

/// A topic as the centre sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotTopic {
    /// Its first order: names the topic while it lasts.
    pub id: OrderId,
    pub orders: usize,
    /// Its orders in the window before, as long.
    pub before: usize,
    pub trend: Trend,
    /// The words most of its orders use, with how many do.
    pub keywords: Vec<(String, usize)>,
    pub towns: Vec<Counted<UnitId>>,
    pub categories: Vec<Counted<CategoryId>>,
    pub series: Vec<u32>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// Its newest orders.
    pub members: Vec<TopicMember>,
}

/// A topic in public wording: no order, no text a caller wrote, only words
/// many callers used, the kind of matter and the towns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicTopic {
    /// The kind of matter (its leading category's name).
    pub title: String,
    pub keywords: Vec<String>,
    pub towns: Vec<String>,
    pub orders: usize,
    pub trend: Trend,
    pub series: Vec<u32>,
}

/// Members listed per topic.
const MEMBERS_SHOWN: usize = 20;
/// The lease of the node that passes the hot topics to the surge watch.
pub const SURGE_PASS_LEASE: &str = "hot-topic-surge-pass";
/// Towns and categories named per topic.
const NAMED: usize = 5;
/// Callers who must have used a word before the portal shows it.
const PUBLIC_WORD_USES: usize = 3;
/// Orders read per page of a refresh.
const PAGE: u32 = 2_000;
/// A refresh reads again this far behind the newest order it knows: an
/// order committed late (another node, a long transaction) is not missed.
const OVERLAP_SECONDS: i64 = 120;
/// The whole fortnight is read again this often.
const FULL_READ_MINUTES: i64 = 10;

/// A keyword the portal may show: two characters or more, and nothing that
/// numbers a house, a building or a sum (digits, Chinese numerals, 号),
/// which could point at one caller.
fn public_word(word: &str) -> bool {
    word.chars().count() >= 2 && !word.chars().any(|c| c.is_numeric() || "零〇一二两三四五六七八九十百千万亿号".contains(c))
}

/// The kind of matter: the category's name, with its parent's when it is
/// only 其他 (other).
fn public_title(org: &crate::directory::OrgSnapshot, category: CategoryId) -> String {
    let path = org.category_path(category).names;
    match path.as_slice() {
        [.., parent, leaf] if leaf == hotline_domain::category::OTHER => format!("{parent} · {leaf}"),
        [.., leaf] => leaf.clone(),
        [] => String::new(),
    }
}

/// An order handed to the grouping: id, time, town, category, word codes.
type Grouped = (OrderId, DateTime<Utc>, Option<UnitId>, CategoryId, Arc<[u32]>);

struct Known {
    number: WorkOrderNo,
    subject: String,
    at: DateTime<Utc>,
    town: Option<UnitId>,
    category: CategoryId,
    /// Codes in the memory's [`TopicWords`].
    words: Arc<[u32]>,
}

#[derive(Default)]
struct Memory {
    /// A tree, not a hash table: the newest orders come and the oldest go
    /// at every refresh, and a hash table that full, with the slots of
    /// those gone still marked, doubled its room once (30 MiB for 100,000
    /// orders) and kept it; a tree gives back what it lets go.
    orders: BTreeMap<OrderId, Known>,
    vocabulary: TopicWords,
    /// The newest order read.
    newest: Option<(DateTime<Utc>, OrderId)>,
    read_fully_at: Option<DateTime<Utc>>,
    computed: HashMap<TopicWindow, (DateTime<Utc>, Arc<Vec<Topic>>)>,
}

pub struct HotTopics {
    pub store: Arc<dyn TopicStore>,
    pub engine: Arc<dyn SearchEngine>,
    pub directory: Arc<Directory>,
    pub clock: Arc<dyn Clock>,
    pub config: TopicsConfig,
    memory: tokio::sync::Mutex<Memory>,
}

impl HotTopics {
    pub fn new(
        store: Arc<dyn TopicStore>,
        engine: Arc<dyn SearchEngine>,
        directory: Arc<Directory>,
        clock: Arc<dyn Clock>,
        config: TopicsConfig,
    ) -> Self {
        Self { store, engine, directory, clock, config, memory: Default::default() }
    }

    /// The topics of a window for the centre's staff, largest first.
    pub async fn for_centre(&self, _: &TopicReader, window: TopicWindow, limit: usize) -> AppResult<Vec<HotTopic>> {
        let topics = self.topics(window).await?;
        let memory = self.memory.lock().await;
        let org = self.directory.snapshot();
        Ok(topics
            .iter()
            .take(limit)
            .map(|t| HotTopic {
                id: t.first,
                orders: t.orders.len(),
                before: t.before,
                trend: t.trend,
                keywords: t.keywords.clone(),
                towns: t.towns.iter().take(NAMED).map(|(u, n)| Counted { key: *u, name: org.unit_name(*u), orders: *n }).collect(),
                categories: t
                    .categories
                    .iter()
                    .take(NAMED)
                    .map(|(c, n)| Counted { key: *c, name: org.category_path(*c).display(), orders: *n })
                    .collect(),
                series: t.series.clone(),
                first_at: t.first_at,
                last_at: t.last_at,
                members: t
                    .orders
                    .iter()
                    .take(MEMBERS_SHOWN)
                    .filter_map(|id| memory.orders.get(id))
                    .map(|k| TopicMember { number: k.number.clone(), subject: k.subject.clone(), created_at: k.at })
                    .collect(),
            })
            .collect())
    }

    /// The topics of a window in public wording, for the portal.
    pub async fn for_public(&self, window: TopicWindow, limit: usize) -> AppResult<Vec<PublicTopic>> {
        let topics = self.topics(window).await?;
        let org = self.directory.snapshot();
        Ok(topics
            .iter()
            .take(limit)
            .map(|t| PublicTopic {
                title: t.categories.first().map(|(c, _)| public_title(&org, *c)).unwrap_or_default(),
                keywords: t.keywords.iter().filter(|(w, n)| *n >= PUBLIC_WORD_USES && public_word(w)).map(|(w, _)| w.clone()).collect(),
                towns: t.towns.iter().take(NAMED).map(|(u, _)| org.unit_name(*u)).collect(),
                orders: t.orders.len(),
                trend: t.trend,
                series: t.series.clone(),
            })
            .collect())
    }

    /// The orders of each topic of the last hours, each with when and where
    /// it came from: what the surge watch reads (`Emergency::screen_topics`).
    pub async fn recent_reports(&self) -> AppResult<Vec<Vec<TopicReport>>> {
        let topics = self.topics(TopicWindow::Hours).await?;
        let memory = self.memory.lock().await;
        Ok(topics
            .iter()
            .map(|t| {
                t.orders.iter().filter_map(|id| memory.orders.get(id).map(|k| TopicReport { order: *id, at: k.at, town: k.town })).collect()
            })
            .collect())
    }

    /// Hands the last hours' topics to the surge watch every `every` until
    /// the task is aborted (`Emergency::screen_topics`).
    pub fn spawn_surge_watch(
        self: Arc<Self>,
        emergency: Arc<Emergency>,
        every: std::time::Duration,
        leases: Arc<crate::leases::Leases>,
    ) -> tokio::task::JoinHandle<()> {
        // Three rounds: a holder that stopped is replaced within them.
        let ttl = Duration::from_std(every * 3).unwrap_or(Duration::minutes(3));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // One node's pass for all: two passes meeting would both warn.
                if !leases.hold(SURGE_PASS_LEASE, ttl).await {
                    continue;
                }
                let screened = match self.recent_reports().await {
                    Ok(reports) => emergency.screen_topics(&reports).await.map(drop),
                    Err(e) => Err(e),
                };
                if let Err(e) = screened {
                    tracing::warn!(error = %e, "screening the hot topics for surges failed; trying again at the next refresh");
                }
            }
        })
    }

    /// The window's topics, computed again when older than the refresh.
    async fn topics(&self, window: TopicWindow) -> AppResult<Arc<Vec<Topic>>> {
        let now = self.clock.now();
        let fresh = Duration::seconds(i64::from(self.config.refresh_seconds));
        let mut memory = self.memory.lock().await;
        if let Some((at, topics)) = memory.computed.get(&window)
            && now - *at < fresh
        {
            return Ok(topics.clone());
        }
        self.read(&mut memory, now).await?;
        let length = window.length();
        let orders: Vec<Grouped> = memory
            .orders
            .iter()
            .filter(|(_, k)| k.at > now - length - length)
            .map(|(id, k)| (*id, k.at, k.town, k.category, k.words.clone()))
            .collect();
        let rule = self.config.rule();
        let weighing = memory.vocabulary.weighing(memory.orders.len(), orders.iter().map(|o| &*o.4));
        let engine = self.engine.clone();
        let topics = tokio::task::spawn_blocking(move || {
            let weights = weighing.weights(engine.as_ref())?;
            let view: Vec<TopicOrder<'_, u32>> = orders
                .iter()
                .map(|(id, at, town, category, words)| TopicOrder { id: *id, at: *at, town: *town, category: *category, words })
                .collect();
            Ok::<_, AppError>(hotline_domain::topics::topics_coded(&view, now, length, rule, &weighing.lexicon(&weights)))
        })
        .await
        .map_err(|e| AppError::Unavailable(format!("computing hot topics: {e}")))??;
        let topics = Arc::new(topics);
        memory.computed.insert(window, (now, topics.clone()));
        Ok(topics)
    }

    /// Brings the orders of the last two weeks in memory up to date.
    async fn read(&self, memory: &mut Memory, now: DateTime<Utc>) -> AppResult<()> {
        let horizon = now - TopicWindow::Week.length() - TopicWindow::Week.length();
        let full = memory.read_fully_at.is_none_or(|at| now - at >= Duration::minutes(FULL_READ_MINUTES));
        let max = self.config.max_orders as usize;
        // Held to the cap, the memory reads again only from its oldest
        // order: those before it were let go.
        let oldest_held = (memory.orders.len() >= max).then(|| memory.orders.values().map(|k| k.at).min()).flatten();
        let mut after = match memory.newest {
            Some((at, _)) if !full => (at - Duration::seconds(OVERLAP_SECONDS), OrderId(i64::MIN)),
            _ => (oldest_held.map_or(horizon, |at| (at - Duration::microseconds(1)).max(horizon)), OrderId(i64::MIN)),
        };
        // Nothing in memory changes before every page is read: a failed
        // read leaves it as it was.
        let mut fresh: BTreeMap<OrderId, Known> = BTreeMap::new();
        let mut read: HashSet<OrderId> = HashSet::new();
        loop {
            let page = self.store.topic_orders(after, PAGE).await?;
            // Each order is analysed once, off the async threads.
            let texts: Vec<(OrderId, String)> = page
                .iter()
                .filter(|o| !memory.orders.contains_key(&o.id) && !fresh.contains_key(&o.id))
                .map(|o| (o.id, format!("{}\n{}", o.subject, o.description)))
                .collect();
            let engine = self.engine.clone();
            let mut analysed: HashMap<OrderId, Vec<String>> =
                tokio::task::spawn_blocking(move || texts.into_iter().map(|(id, text)| (id, engine.analyze(&text))).collect())
                    .await
                    .map_err(|e| AppError::Unavailable(format!("analysing orders for hot topics: {e}")))?;
            for o in &page {
                read.insert(o.id);
                if let Some(words) = analysed.remove(&o.id) {
                    fresh.insert(
                        o.id,
                        Known {
                            number: o.number.clone(),
                            subject: o.subject.clone(),
                            at: o.created_at,
                            town: o.town,
                            category: o.category,
                            words: memory.vocabulary.code(words),
                        },
                    );
                }
            }
            // A first read of a busy fortnight is held to the cap as it goes.
            keep_newest(&mut fresh, max);
            match page.last() {
                Some(last) if page.len() == PAGE as usize => after = (last.created_at, last.id),
                _ => break,
            }
        }
        if full {
            // What was not read again was merged, declared invalid or is too old.
            memory.orders.retain(|id, _| read.contains(id));
            memory.read_fully_at = Some(now);
        }
        // Room is made before the two are joined, so the memory never
        // holds more than its cap, not even for a moment.
        make_room(&mut memory.orders, &mut fresh, max);
        memory.orders.extend(fresh);
        memory.orders.retain(|_, k| k.at > horizon);
        // After every read: the weighing takes each word's held orders from
        // this count, and the words no order holds are let go.
        memory.vocabulary.count(memory.orders.values().map(|k| &*k.words));
        memory.newest = memory.orders.iter().map(|(id, k)| (k.at, *id)).max();
        Ok(())
    }
}

/// Lets the oldest orders go until at most `max` are left.
fn keep_newest(orders: &mut BTreeMap<OrderId, Known>, max: usize) {
    make_room(orders, &mut BTreeMap::new(), max);
}

/// Lets the oldest orders of `held` and `fresh` (which share no order) go
/// until at most `max` are left in the two together.
fn make_room(held: &mut BTreeMap<OrderId, Known>, fresh: &mut BTreeMap<OrderId, Known>, max: usize) {
    if held.len() + fresh.len() <= max {
        return;
    }
    let mut ages: Vec<(DateTime<Utc>, OrderId)> = held.iter().chain(fresh.iter()).map(|(id, k)| (k.at, *id)).collect();
    let cut = ages.len() - max;
    ages.select_nth_unstable(cut - 1);
    for (_, id) in &ages[..cut] {
        if held.remove(id).is_none() {
            fresh.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_shows_words_many_use_but_nothing_that_numbers_a_place_or_a_sum() {
        for shown in ["水浸", "下水道", "住房公积金", "东纵路"] {
            assert!(public_word(shown), "{shown}");
        }
        for hidden in ["九", "二号楼", "88号", "十五块", "3栋", "路"] {
            assert!(!public_word(hidden), "{hidden}");
        }
    }

    #[test]
    fn windows_parse_from_their_names_only() {
        assert_eq!(TopicWindow::parse("hours"), Some(TopicWindow::Hours));
        assert_eq!(TopicWindow::parse("week").map(TopicWindow::length), Some(Duration::days(7)));
        assert_eq!(TopicWindow::parse("month"), None);
        assert!(TopicsConfig::default().check().is_ok());
        assert!(TopicsConfig { likeness: 1.0, ..TopicsConfig::default() }.check().unwrap_err().contains("likeness"));
        assert!(TopicsConfig { min_orders: 1, ..TopicsConfig::default() }.check().unwrap_err().contains("min_orders"));
        assert!(TopicsConfig { max_orders: 999, ..TopicsConfig::default() }.check().unwrap_err().contains("max_orders"));
    }

    /// An order held since `minutes` after a fixed morning; only its time counts.
    fn known(minutes: i64) -> Known {
        let t0 = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 5, 8, 0, 0).unwrap();
        Known {
            number: WorkOrderNo::parse("DG20261205000001").unwrap(),
            subject: String::new(),
            at: t0 + Duration::minutes(minutes),
            town: None,
            category: CategoryId(1),
            words: Arc::from(Vec::<u32>::new()),
        }
    }

    #[test]
    fn the_memory_keeps_the_newest_orders_up_to_its_cap() {
        // Ids out of time order, as orders imported late have them.
        let mut orders: BTreeMap<OrderId, Known> =
            [(5, 40), (1, 10), (9, 30), (3, 20), (7, 50)].map(|(id, m)| (OrderId(id), known(m))).into();
        keep_newest(&mut orders, 3);
        let mut kept: Vec<i64> = orders.keys().map(|id| id.0).collect();
        kept.sort_unstable();
        assert_eq!(kept, vec![5, 7, 9], "the three newest by time");
        keep_newest(&mut orders, 5);
        assert_eq!(orders.len(), 3, "under the cap nothing goes");
    }

    #[test]
    fn fresh_orders_make_room_before_they_join_so_the_memory_never_holds_more_than_its_cap() {
        let max = 1_000;
        let mut held: BTreeMap<OrderId, Known> = (0..max as i64).map(|i| (OrderId(i), known(i))).collect();
        // A refresh brings 800 newer orders, and one older than all held.
        let mut fresh: BTreeMap<OrderId, Known> = (0..800).map(|i| (OrderId(10_000 + i), known(2_000 + i))).collect();
        fresh.insert(OrderId(-1), known(-5));
        make_room(&mut held, &mut fresh, max);
        assert_eq!(held.len() + fresh.len(), max);
        assert!(!fresh.contains_key(&OrderId(-1)), "the oldest of both goes, even a fresh one");
        assert!(held.keys().all(|id| id.0 >= 800), "the 800 oldest held orders go");
        held.extend(fresh);
        assert_eq!(held.len(), max, "the newest of both are kept");
    }
}
