//! Duplicate detection on real Chinese: the 330 citizens' messages of
//! `data/messages/train.csv` plus 36 second reports of their matters
//! (`data/duplicates/`), all in one index. Every message and report asks
//! for the orders alike to it; a pair found at or above the threshold the
//! platform uses counts as predicted. Precision and recall are taken over
//! all pairs of the set, so every unlabelled pair found is a false
//! positive. The figures are recorded in docs/intelligence.md
//! (`cargo test -p hotline-search --test duplicates -- --nocapture`).

use chrono::{DateTime, NaiveDateTime, Utc};
use hotline_app::knowledge::index::{OrderDoc, SearchEngine, SimilarQuery};
use hotline_app::ports::{ChangeCursor, OrderChange};
use hotline_domain::duplicate::DUPLICATE_LIKENESS;
use hotline_domain::{CategoryId, OrderId, State, WorkOrderNo};
use hotline_search::TantivySearch;
use std::collections::{BTreeSet, HashMap};

struct Doc {
    key: String,
    text: String,
    at: DateTime<Utc>,
}

fn corpus() -> (Vec<Doc>, BTreeSet<(String, String)>) {
    let messages = hotline_suggest::dataset::messages(hotline_reference_data::MESSAGES).unwrap();
    let mut docs: Vec<Doc> = messages.iter().map(|m| Doc { key: m.id.clone(), text: m.text.clone(), at: m.at.and_utc() }).collect();
    let at: HashMap<&str, NaiveDateTime> = messages.iter().map(|m| (m.id.as_str(), m.at)).collect();
    let mut same = BTreeSet::new();
    let pair = |a: &str, b: &str| if a < b { (a.to_owned(), b.to_owned()) } else { (b.to_owned(), a.to_owned()) };
    for line in hotline_reference_data::DUPLICATE_REPORTS.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.splitn(4, ',').collect();
        assert_eq!(f.len(), 4, "{line}");
        // The second report comes a day after the first.
        let when = at[f[1]].and_utc() + chrono::Duration::days(1);
        docs.push(Doc { key: f[0].to_owned(), text: format!("{}\n{}", f[2], f[3]), at: when });
        same.insert(pair(f[0], f[1]));
    }
    for line in hotline_reference_data::DUPLICATE_PAIRS.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.splitn(3, ',').collect();
        assert!(at.contains_key(f[0]) && at.contains_key(f[1]), "{line}");
        same.insert(pair(f[0], f[1]));
    }
    (docs, same)
}

fn index(docs: &[Doc]) -> TantivySearch {
    let engine = TantivySearch::in_memory().unwrap();
    let order_docs: Vec<OrderDoc> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let id = i as i64 + 1;
            let (subject, description) = d.text.split_once('\n').unwrap_or((&d.text, ""));
            OrderDoc {
                order: OrderChange {
                    id: OrderId(id),
                    cursor: ChangeCursor { updated_at: d.at, id },
                    number: WorkOrderNo::parse(&format!("GD{}{:06}", d.at.format("%Y%m%d"), id)).unwrap(),
                    subject: subject.to_owned(),
                    description: description.to_owned(),
                    reply: String::new(),
                    public_reply: None,
                    category: CategoryId(1),
                    town: None,
                    state: State::PendingDispatch,
                    units: vec![],
                    created_at: d.at,
                },
                category_path: vec![],
            }
        })
        .collect();
    engine.index_orders(&order_docs, ChangeCursor { updated_at: Utc::now(), id: docs.len() as i64 }).unwrap();
    engine
}

/// Every pair found at or above `threshold`, with its likeness.
fn found(engine: &TantivySearch, docs: &[Doc]) -> HashMap<(String, String), f32> {
    let mut pairs = HashMap::new();
    for (i, d) in docs.iter().enumerate() {
        let query = SimilarQuery { text: d.text.clone(), since: DateTime::<Utc>::MIN_UTC, exclude: Some(OrderId(i as i64 + 1)), limit: 10 };
        for hit in engine.similar_orders(&query).unwrap() {
            let other = &docs[hit.id.0 as usize - 1].key;
            let key = if &d.key < other { (d.key.clone(), other.clone()) } else { (other.clone(), d.key.clone()) };
            let best = pairs.entry(key).or_insert(0.0f32);
            *best = best.max(hit.likeness);
        }
    }
    pairs
}

fn precision_recall(found: &HashMap<(String, String), f32>, same: &BTreeSet<(String, String)>, threshold: f32) -> (f64, f64, usize) {
    let predicted: Vec<&(String, String)> = found.iter().filter(|(_, l)| **l >= threshold).map(|(k, _)| k).collect();
    let right = predicted.iter().filter(|k| same.contains(**k)).count();
    let precision = if predicted.is_empty() { 1.0 } else { right as f64 / predicted.len() as f64 };
    (precision, right as f64 / same.len() as f64, predicted.len())
}

#[test]
fn duplicates_are_found_with_high_precision_and_recall_among_real_messages() {
    let (docs, same) = corpus();
    assert_eq!(same.len(), 39, "36 second reports and 3 real pairs");
    let engine = index(&docs);
    let found = found(&engine, &docs);
    println!("threshold  precision  recall  predicted");
    for t in [0.10f32, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5] {
        let (p, r, n) = precision_recall(&found, &same, t);
        println!("{t:9.2}  {:8.1}%  {:5.1}%  {n:9}", p * 100.0, r * 100.0);
    }
    let (precision, recall, _) = precision_recall(&found, &same, DUPLICATE_LIKENESS);
    println!("at the platform's threshold {DUPLICATE_LIKENESS}: precision {:.1}%, recall {:.1}%", precision * 100.0, recall * 100.0);
    let mut missed: Vec<_> = same.iter().filter(|k| found.get(*k).is_none_or(|l| *l < DUPLICATE_LIKENESS)).collect();
    missed.sort();
    println!("missed: {missed:?}");
    let mut wrong: Vec<_> = found.iter().filter(|(k, l)| **l >= DUPLICATE_LIKENESS && !same.contains(*k)).collect();
    wrong.sort_by(|a, b| b.1.total_cmp(a.1));
    println!("wrong: {wrong:?}");
    assert!(precision >= 0.9, "precision {precision}");
    assert!(recall >= 0.8, "recall {recall}");
}
