//! Hot topics at a city's scale: how long the server takes to group the
//! orders of the last two weeks into topics (issue 18), the parts as the
//! server runs them (`hotline_app::topics`): each order's words once, each
//! word's rarity in ordinary times from the order index, then the grouping
//! of each window. Figures in docs/benchmarks.md.
//!
//!   cargo run --release -p hotline-bench --bin hotline-topics-bench

// Shared with hotline-bench, which uses all of it.
#[path = "../memory.rs"]
#[allow(dead_code)]
mod memory;
// Shared with hotline-surge-bench.
#[path = "../demo_texts.rs"]
mod demo_texts;

use chrono::{Duration, TimeZone, Utc};
use clap::Parser;
use hotline_app::knowledge::index::{OrderDoc, SearchEngine};
use hotline_app::ports::{ChangeCursor, OrderChange};
use hotline_app::topics::{TopicWindow, TopicWords};
use hotline_domain::topics::{TopicOrder, TopicRule, topics_coded};
use hotline_domain::{CategoryId, OrderId, OrderNoPrefix, State, UnitId, WorkOrderNo};
use hotline_search::TantivySearch;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Benchmark the grouping of orders into hot topics")]
struct Args {
    /// Orders of the months before, in the index only (ordinary times).
    #[arg(long, default_value_t = 200_000)]
    history: usize,
    /// Orders of the last two weeks (a city of 1,000,000 orders a year: 40,000).
    #[arg(long, default_value_t = 40_000)]
    recent: usize,
    /// Reports of one flood within the last six hours, among the recent ones.
    #[arg(long, default_value_t = 1_000)]
    surge: usize,
}

const TOWNS: i64 = 36;
const BATCH: usize = 10_000;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let engine = TantivySearch::in_memory()?;
    let now = Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).single().expect("time");
    let fortnight = TopicWindow::Week.length() * 2;
    let prefix = OrderNoPrefix::parse("DG")?;
    let cursor = ChangeCursor { updated_at: now, id: 0 };

    // Orders: the history over the year before the fortnight, then the
    // fortnight's, then the surge in the last six hours; all indexed, as
    // the server's index holds them.
    let total = args.history + args.recent;
    let mut recent = Vec::with_capacity(args.recent);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..total {
        let surge = i >= total - args.surge;
        let at = if i < args.history {
            now - fortnight - Duration::seconds(((args.history - i) as i64 * 86_400 * 350) / args.history as i64)
        } else if surge {
            now - Duration::hours(6) + Duration::seconds(((i - (total - args.surge)) as i64 * 6 * 3_600) / args.surge as i64)
        } else {
            now - fortnight + Duration::seconds(((i - args.history) as i64 * fortnight.num_seconds()) / args.recent as i64)
        };
        let (subject, description) = if surge { demo_texts::flood(i) } else { demo_texts::text(i) };
        let town = if surge { UnitId(3) } else { UnitId(1 + (i as i64 * 7) % TOWNS) };
        let category = CategoryId((i % 517) as i64 + 1);
        let order = OrderChange {
            id: OrderId(i as i64 + 1),
            cursor,
            number: WorkOrderNo::new(&prefix, now.date_naive(), i as u64 + 1),
            subject: subject.clone(),
            description: description.clone(),
            reply: String::new(),
            public_reply: None,
            category,
            town: Some(town),
            state: State::Archived,
            units: vec![town],
            created_at: at,
        };
        batch.push(OrderDoc { order, category_path: vec![category] });
        if batch.len() == BATCH || i + 1 == total {
            engine.index_orders(&batch, cursor)?;
            batch.clear();
        }
        if i >= args.history {
            recent.push((OrderId(i as i64 + 1), at, town, category, format!("{subject}\n{description}")));
        }
    }
    println!("indexed {total} orders in {:.1} s", started.elapsed().as_secs_f64());

    // What a server does at its first question after a start: every order
    // of the fortnight analysed once (later refreshes analyse only the new).
    let started = Instant::now();
    let mut vocabulary = TopicWords::default();
    let words: Vec<Arc<[u32]>> = recent.iter().map(|o| vocabulary.code(engine.analyze(&o.4))).collect();
    vocabulary.count(words.iter().map(|w| &**w));
    let secs = started.elapsed().as_secs_f64();
    println!(
        "analysed the fortnight's {} orders in {:.2} s ({:.0} µs an order; {} distinct words)",
        recent.len(),
        secs,
        secs * 1e6 / recent.len().max(1) as f64,
        vocabulary.len()
    );

    for window in [TopicWindow::Hours, TopicWindow::Day, TopicWindow::Week] {
        let length = window.length();
        let started = Instant::now();
        let grouped: Vec<usize> = (0..recent.len()).filter(|i| recent[*i].1 > now - length - length).collect();
        let weighing = vocabulary.weighing(words.len(), grouped.iter().map(|i| &*words[*i]));
        let weights = weighing.weights(&engine)?;
        let weighed = started.elapsed();
        let view: Vec<TopicOrder<'_, u32>> = grouped
            .iter()
            .map(|i| {
                let (id, at, town, category, _) = &recent[*i];
                TopicOrder { id: *id, at: *at, town: Some(*town), category: *category, words: &words[*i] }
            })
            .collect();
        let found = topics_coded(&view, now, length, TopicRule::default(), &weighing.lexicon(&weights));
        let secs = started.elapsed().as_secs_f64();
        let largest = found.first().map_or(0, |t| t.orders.len());
        println!(
            "{window:?}: {} orders grouped in {:.0} ms (rarity of {} words {:.0} ms): {} topics, the largest {largest} orders ({})",
            view.len(),
            secs * 1e3,
            weighing.asked(),
            weighed.as_secs_f64() * 1e3,
            found.len(),
            found.first().map(|t| t.keywords.iter().take(4).map(|(w, _)| w.as_str()).collect::<Vec<_>>().join(" ")).unwrap_or_default()
        );
    }
    println!("memory: peak RSS {:.0} MiB, current {:.0} MiB", memory::peak_mib(), memory::resident_mib());
    Ok(())
}
