//! `hotline-suggest-bench`: training the suggestion models on many orders
//! and answering suggestions, as the server does (`hotline_app::suggestions`).
//! The orders' texts are built from the clauses of the 330 real citizens'
//! messages shipped in `data/messages/train.csv`, each category drawing
//! from its own share of them, so words repeat and overlap as in a real
//! centre's orders; categories and units are as many as a city has.

use chrono::{DateTime, Utc};
use clap::Parser;
use hotline_app::ports::TrainingOrder;
use hotline_domain::{CategoryId, OrderId, UnitId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Benchmark training and answering the suggestion models")]
struct Args {
    /// Orders to train on.
    #[arg(long, default_value_t = 100_000)]
    orders: usize,
    /// Leaf categories the orders fall in.
    #[arg(long, default_value_t = 600)]
    categories: usize,
    /// Lead units they are dispatched to.
    #[arg(long, default_value_t = 120)]
    units: usize,
    /// Suggestions to time.
    #[arg(long, default_value_t = 10_000)]
    suggestions: usize,
}

fn clauses() -> anyhow::Result<Vec<String>> {
    let messages = hotline_suggest::dataset::messages(hotline_reference_data::MESSAGES)?;
    Ok(messages
        .iter()
        .flat_map(|m| {
            m.text.split(['，', '。', '！', '？', '；', '\n']).map(str::trim).filter(|c| c.chars().count() >= 4).map(str::to_owned)
        })
        .collect())
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1].as_secs_f64() * 1e3;
    println!("{name:<30} {:>8} samples   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms", samples.len(), pct(0.5), pct(0.99), pct(1.0));
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let clauses = clauses()?;
    let mut rng = StdRng::seed_from_u64(18);
    // Each category draws most of its clauses from its own slice of the
    // pool and some from anywhere, and has a usual unit.
    let slice = (clauses.len() / args.categories.max(1)).max(3);
    let text = |rng: &mut StdRng, category: usize| -> (String, String) {
        let own = |rng: &mut StdRng| &clauses[(category * slice + rng.random_range(0..slice)) % clauses.len()];
        let any = |rng: &mut StdRng| &clauses[rng.random_range(0..clauses.len())];
        let subject = own(rng).chars().take(30).collect();
        let description = [own(rng), own(rng), any(rng)].map(String::as_str).join("，");
        (subject, description)
    };
    let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).expect("a time");
    let generated = Instant::now();
    let orders: Vec<TrainingOrder> = (0..args.orders)
        .map(|i| {
            // Zipf-like: a few categories take most orders, as in a centre.
            let category = ((rng.random::<f64>().powi(3)) * args.categories as f64) as usize;
            let (subject, description) = text(&mut rng, category);
            let unit = if rng.random_bool(0.9) { category % args.units } else { rng.random_range(0..args.units) };
            TrainingOrder {
                id: OrderId(i as i64),
                created_at: start + chrono::Duration::seconds(i as i64 * 30),
                subject,
                description,
                category: CategoryId(category as i64),
                lead_unit: Some(UnitId(unit as i64)),
                town: None,
            }
        })
        .collect();
    println!(
        "{} orders over {} categories and {} units generated in {:.1} s",
        args.orders,
        args.categories,
        args.units,
        generated.elapsed().as_secs_f64()
    );
    let trained_at = Instant::now();
    let trained = hotline_app::suggestions::train(&orders, Utc::now()).ok_or_else(|| anyhow::anyhow!("too few orders"))?;
    println!("trained both models in {:.1} s (model {})", trained_at.elapsed().as_secs_f64(), trained.version());

    let mut right = 0;
    let mut samples = Vec::with_capacity(args.suggestions);
    for _ in 0..args.suggestions {
        let category = ((rng.random::<f64>().powi(3)) * args.categories as f64) as usize;
        let (subject, description) = text(&mut rng, category);
        let started = Instant::now();
        let (categories, units) = trained.rank(&subject, &description, None, 5);
        samples.push(started.elapsed());
        right += usize::from(categories.first().is_some_and(|c| c.0 == CategoryId(category as i64)));
        std::hint::black_box(units);
    }
    report("suggestion (5 categories, 5 units)", samples);
    println!(
        "first category right on {:.1} % of the generated requests (a check that it learned, not a quality figure)",
        right as f64 * 100.0 / args.suggestions as f64
    );
    Ok(())
}
