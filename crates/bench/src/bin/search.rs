//! `hotline-search-bench`: the Chinese search engine at a city's scale.
//!
//! Builds, on disk in a temporary directory, an article index of
//! `--articles` articles (the demo knowledge base, each article repeated
//! for every town with its text varied) and an order index of `--orders`
//! work orders (the demo request templates, varied by town and street),
//! then measures single-client query latency: staff search over articles
//! with the callers' questions of data/knowledge/relevance.toml, the
//! portal's search, title suggestions, and similar-order search for the
//! centre and for one town, and the duplicate lookup of a new report over
//! the last 30 days (and, as the worst case, over every order). Prints
//! indexing rates, index sizes and the process's peak memory.

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};
use clap::Parser;
use hotline_app::knowledge::index::{ArticleDoc, ArticleQuery, OrderDoc, OrderQuery, SearchEngine, SimilarQuery};
use hotline_app::ports::{ChangeCursor, OrderChange, SearchVocabulary, SynonymSet};
use hotline_domain::knowledge::Visibility;
use hotline_domain::knowledge::evidence::{Asked, asked_words};
use hotline_domain::{ArticleId, CategoryId, OrderId, OrderNoPrefix, State, UnitId, WorkOrderNo};
use hotline_search::TantivySearch;
use hotline_seed::demo::texts::{ROADS, TEMPLATES};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Benchmark the hotline's Chinese search")]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    articles: usize,
    #[arg(long, default_value_t = 1_000_000)]
    orders: usize,
    /// Queries per measurement.
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
}

const TOWNS: usize = 36;
const BATCH: usize = 10_000;

fn questions() -> Vec<String> {
    let text = include_str!("../../../../data/knowledge/relevance.toml");
    text.lines().filter_map(|l| l.strip_prefix("ask = \"")).map(|l| l.trim_end_matches('"').to_owned()).collect()
}

fn synonyms() -> Vec<SynonymSet> {
    hotline_reference_data::synonym_sets().into_iter().enumerate().map(|(i, words)| SynonymSet { id: i as i64, words }).collect()
}

fn peak_memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| status.lines().find(|l| l.starts_with(name)).map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned());
    let mib = |kib: Option<String>| kib.and_then(|k| k.parse::<f64>().ok()).map_or("?".into(), |k| format!("{:.0} MiB", k / 1024.0));
    format!("peak RSS {}, current RSS {}", mib(field("VmHWM:")), mib(field("VmRSS:")))
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path).map_or(0, |entries| {
        entries.flatten().map(|e| if e.path().is_dir() { dir_size(&e.path()) } else { e.metadata().map_or(0, |m| m.len()) }).sum()
    })
}

fn report(name: &str, mut latencies: Vec<Duration>, results: usize) {
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1].as_secs_f64() * 1e3;
    println!(
        "{name:<34} {:>6} queries   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms   {:.1} results/query",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        results as f64 / latencies.len() as f64
    );
}

/// What a link costs the article index: an article's newest 200 answered
/// orders (the most `knowledge::evidence` reads) cut into words and
/// counted, as every link to it does before the article is indexed again.
fn learning(engine: &TantivySearch) {
    let texts: Vec<String> = (0..200)
        .map(|i| {
            let t = &TEMPLATES[i % TEMPLATES.len()];
            format!("{}\n{}", t.subject, t.description.replace("{place}", ROADS[i % ROADS.len()]))
        })
        .collect();
    let rounds = 50;
    let started = Instant::now();
    let mut words = 0;
    for _ in 0..rounds {
        let asked: Vec<Asked> =
            texts.iter().enumerate().map(|(i, t)| Asked { caller: (i % 150).to_string(), words: engine.analyze(t) }).collect();
        words += asked_words(&asked).len();
    }
    let per = started.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
    println!("learning an article's words from 200 answered orders: {per:.1} ms ({} words kept)", words / rounds);
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let engine = TantivySearch::open(dir.path()).context("opening the indexes")?;
    engine.set_vocabulary(&SearchVocabulary { terms: vec![], synonyms: synonyms() });
    let cursor = ChangeCursor { updated_at: Utc::now(), id: 0 };
    let towns: Vec<UnitId> = (1..=TOWNS as i64).map(UnitId).collect();

    // Articles: every demo article for every town, the text varied by town and number.
    let base = hotline_reference_data::demo_article_texts()?;
    let started = Instant::now();
    let mut bytes = 0usize;
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..args.articles {
        let mut content = base[i % base.len()].clone();
        let town = towns[(i / base.len()) % TOWNS];
        let variant = i / base.len();
        let other = &base[(i * 7 + 3) % base.len()];
        content.title = hotline_domain::ArticleTitle::parse(&format!("{}（第{}版）", content.title, variant)).expect("title");
        content.body =
            hotline_domain::ArticleBody::parse(&format!("{}\n\n相关：{}\n\n编号{variant}。", content.body, other.answer())).expect("body");
        content.region = hotline_domain::knowledge::Region::Towns(vec![town]);
        bytes += content.title.as_str().len() + content.body.as_str().len();
        batch.push(ArticleDoc {
            id: ArticleId(i as i64 + 1),
            content,
            category_path: vec![CategoryId((i % 15) as i64 + 1)],
            asked: vec![],
        });
        if batch.len() == BATCH || i + 1 == args.articles {
            engine.index_articles(&batch, &[], cursor)?;
            batch.clear();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "indexed {} articles in {secs:.1} s: {:.0} articles/s, {:.1} MB/s of text; index {:.0} MiB",
        args.articles,
        args.articles as f64 / secs,
        bytes as f64 / secs / 1e6,
        dir_size(&dir.path().join("articles")) as f64 / 1048576.0
    );

    // Orders: the demo templates, varied by town, street and number.
    let prefix = OrderNoPrefix::parse("DG")?;
    let day = NaiveDate::from_ymd_opt(2026, 11, 28).expect("date");
    let started = Instant::now();
    let mut bytes = 0usize;
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..args.orders {
        let t = &TEMPLATES[i % TEMPLATES.len()];
        let road = ROADS[(i / TEMPLATES.len()) % ROADS.len()];
        let town = towns[(i / 7) % TOWNS];
        let description = format!("{}（{}号附近，第{}次来电）", t.description.replace("{place}", road), i % 500, i % 9 + 1);
        let reply = if t.answer.is_empty() { t.reply.to_owned() } else { format!("{}\n{}", t.answer, t.reply) };
        bytes += t.subject.len() + description.len() + reply.len();
        let order = OrderChange {
            id: OrderId(i as i64 + 1),
            cursor,
            number: WorkOrderNo::new(&prefix, day, i as u64 + 1),
            subject: t.subject.to_owned(),
            description,
            reply,
            public_reply: Some(t.reply.to_owned()),
            category: CategoryId((i % 517) as i64 + 1),
            town: Some(town),
            state: State::Archived,
            units: vec![town, UnitId(100 + (i % 34) as i64)],
            created_at: Utc.timestamp_opt(1_764_000_000 + i as i64 * 30, 0).single().expect("time"),
        };
        batch.push(OrderDoc { order, category_path: vec![CategoryId((i % 517) as i64 + 1)] });
        if batch.len() == BATCH || i + 1 == args.orders {
            engine.index_orders(&batch, cursor)?;
            batch.clear();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "indexed {} orders in {secs:.1} s: {:.0} orders/s, {:.1} MB/s of text; index {:.0} MiB",
        args.orders,
        args.orders as f64 / secs,
        bytes as f64 / secs / 1e6,
        dir_size(&dir.path().join("orders")) as f64 / 1048576.0
    );
    println!("memory after indexing: {}", peak_memory());
    learning(&engine);

    let questions = questions();
    let today = day;
    let article_query = |i: usize, public_only: bool| ArticleQuery {
        visibility: public_only.then_some(Visibility::Public),
        text: questions[i % questions.len()].clone(),
        department: None,
        category: None,
        town: None,
        today,
        limit: 10,
        min_coverage: if public_only { hotline_app::knowledge::search::PUBLIC_MIN_COVERAGE } else { 0.0 },
    };
    // Warm the caches as a running server would be.
    for i in 0..questions.len() {
        engine.search_articles(&article_query(i, false))?;
    }
    let timed = |name: &str, f: &dyn Fn(usize) -> anyhow::Result<usize>| -> anyhow::Result<()> {
        let mut latencies = Vec::with_capacity(args.queries);
        let mut results = 0;
        for i in 0..args.queries {
            let t = Instant::now();
            results += f(i)?;
            latencies.push(t.elapsed());
        }
        report(name, latencies, results);
        Ok(())
    };
    timed("staff search, articles", &|i| Ok(engine.search_articles(&article_query(i, false))?.len()))?;
    timed("public search, articles", &|i| Ok(engine.search_articles(&article_query(i, true))?.len()))?;
    timed("staff search, articles, one town", &|i| {
        Ok(engine.search_articles(&ArticleQuery { town: Some(towns[i % TOWNS]), ..article_query(i, false) })?.len())
    })?;
    timed("suggestions, titles", &|i| {
        let q = &questions[i % questions.len()];
        let prefix: String = q.chars().take(4).collect();
        Ok(engine.suggest(&ArticleQuery { text: prefix, limit: 8, ..article_query(i, false) })?.len())
    })?;
    let order_query = |i: usize, units: Option<Vec<UnitId>>| OrderQuery {
        text: questions[i % questions.len()].clone(),
        units,
        category: None,
        town: None,
        limit: 10,
    };
    timed("similar orders, centre", &|i| Ok(engine.search_orders(&order_query(i, None))?.len()))?;
    timed("similar orders, one town's staff", &|i| Ok(engine.search_orders(&order_query(i, Some(vec![towns[i % TOWNS]])))?.len()))?;
    // A new report about one of the templates' matters, in other words: what
    // the desk sends while the consultant types.
    let last = Utc.timestamp_opt(1_764_000_000 + args.orders as i64 * 30, 0).single().expect("time");
    let report_of = |i: usize, since| {
        let t = &TEMPLATES[(i * 13) % TEMPLATES.len()];
        let road = ROADS[(i * 7) % ROADS.len()];
        SimilarQuery {
            text: format!("{}\n又来反映：{}", t.subject, t.description.replace("{place}", road)),
            since,
            exclude: None,
            limit: 12,
        }
    };
    timed("duplicate lookup, last 30 days", &|i| {
        Ok(engine.similar_orders(&report_of(i, last - chrono::Duration::days(hotline_app::similar::WINDOW_DAYS)))?.len())
    })?;
    timed("duplicate lookup, every order", &|i| Ok(engine.similar_orders(&report_of(i, chrono::DateTime::<Utc>::MIN_UTC))?.len()))?;
    timed("order by number", &|i| {
        let number = WorkOrderNo::new(&prefix, day, (i * 397 % args.orders) as u64 + 1);
        Ok(engine.search_orders(&OrderQuery { text: number.to_string(), ..order_query(i, None) })?.len())
    })?;
    println!("memory after querying: {}", peak_memory());
    Ok(())
}
