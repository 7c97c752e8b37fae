//! The surge watch at a city's scale (issue 22): every town's orders of the
//! last window, each sketched once (`hotline_domain::surge`), as a node
//! keeps them. It registers `--orders` demo requests over `--towns` towns
//! within one window and reports, every tenth of the way, the orders held,
//! the memory they take and the time a check takes. Then the other half of
//! an order's screening: the shipped linkage rules, widened as the server
//! widens them, matched against the shipped citizens' messages. Figures in
//! docs/benchmarks.md.
//!
//!   cargo run --release -p hotline-bench --bin hotline-surge-bench

// Shared with hotline-bench, which uses all of it.
#[path = "../memory.rs"]
#[allow(dead_code)]
mod memory;
// Shared with hotline-topics-bench, which also reports floods.
#[path = "../demo_texts.rs"]
#[allow(dead_code)]
mod demo_texts;

use chrono::{TimeZone, Utc};
use clap::Parser;
use hotline_app::emergency::EmergencyConfig;
use hotline_domain::danger::DangerLexicon;
use hotline_domain::emergency::{EmergencyRule, LinkageRules};
use hotline_domain::surge::{MAX_HELD, MAX_PER_TOWN, SurgeWatch};
use hotline_domain::{CategoryId, OrderId, UnitId};
use std::time::Instant;

/// As the server's binary: what the server's allocator keeps is measured.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Benchmark the surge watch's memory and checks")]
struct Args {
    /// Towns the orders come from (Dongguan has 36).
    #[arg(long, default_value_t = 36)]
    towns: usize,
    /// Orders registered within one window, spread evenly over the towns.
    #[arg(long, default_value_t = 200_000)]
    orders: usize,
}

fn main() {
    let args = Args::parse();
    let rule = EmergencyConfig::default().surge_rule();
    let mut watch = SurgeWatch::new(rule);
    let start = Utc.with_ymd_and_hms(2026, 7, 1, 8, 0, 0).single().expect("a valid time");
    let before = memory::anonymous_mib();
    println!(
        "# surge watch: {} towns, {} orders within {} minutes (at most {MAX_PER_TOWN} a town, {MAX_HELD} in all)",
        args.towns,
        args.orders,
        rule.window.num_minutes()
    );
    println!("registered      held   anonymous MiB   bytes a held order   µs a check");
    let step = (args.orders / 10).max(1);
    let mut clock = Instant::now();
    for i in 0..args.orders {
        let at = start + rule.window * i as i32 / args.orders as i32;
        let (subject, description) = demo_texts::text(i);
        let town = UnitId((i % args.towns.max(1)) as i64);
        watch.observe(town, OrderId(i as i64 + 1), at, CategoryId((i % 50) as i64), &format!("{subject}\n{description}"), at);
        if (i + 1) % step == 0 {
            let mib = memory::anonymous_mib() - before;
            println!(
                "{:>10}  {:>8}   {mib:>13.1}   {:>18.0}   {:>10.1}",
                i + 1,
                watch.len(),
                mib * 1_048_576.0 / watch.len().max(1) as f64,
                clock.elapsed().as_secs_f64() * 1e6 / step as f64
            );
            clock = Instant::now();
        }
    }
    linkage();
}

/// The time to match one text against every linkage rule: the shipped
/// rules widened by the shipped synonym sets and danger lexicon (as the
/// server widens them), the shipped citizens' messages as the texts.
fn linkage() {
    let organisation = hotline_reference_data::organisation().expect("the shipped organisation reads");
    let (sets, lexicon) = (hotline_reference_data::synonym_sets(), DangerLexicon::shipped());
    let rules: Vec<EmergencyRule> = organisation
        .emergency_rule
        .iter()
        .zip(1..)
        .map(|(line, id)| {
            let spec = line.spec(vec![UnitId(1)]).parse().expect("the shipped rules are valid");
            EmergencyRule { id, spec }.widened(&sets, &lexicon)
        })
        .collect();
    let keywords: usize = rules.iter().map(|r| r.spec.keywords.len()).sum();
    let rules = LinkageRules::new(rules);
    let table = hotline_tabular::parse_csv(hotline_reference_data::MESSAGES).expect("the shipped messages read");
    let column = |name: &str| table.header.iter().position(|h| h == name).expect("a column of the shipped messages");
    let (subject, detail) = (column("subject"), column("detail"));
    let texts: Vec<String> = table.rows.iter().map(|(_, row)| format!("{}\n{}", row[subject], row[detail])).collect();
    let matched: usize = texts.iter().map(|t| rules.matching(&[], t).len()).sum();
    let rounds = 300;
    let started = Instant::now();
    for _ in 0..rounds {
        for text in &texts {
            std::hint::black_box(rules.matching(&[], std::hint::black_box(text)));
        }
    }
    let each = started.elapsed().as_secs_f64() * 1e6 / (rounds * texts.len()) as f64;
    println!(
        "linkage rules: {} rules with {keywords} keywords; {} messages, {matched} matches; {each:.2} µs a message",
        rules.rules().len(),
        texts.len()
    );
}
