//! Hot-topic grouping on real Chinese: the 330 citizens' messages of
//! `data/messages/train.csv` and the 36 second reports of their matters
//! (`data/duplicates/`) grouped in one pass as if all were one window's
//! orders, words from the search analyzer and weighed by the engine's
//! background (`SearchEngine::word_documents`). A labelled pair should land in
//! one group; every other pair in one group counts against precision
//! (though two writers about one estate may well be one topic), and no
//! group may swallow unrelated matters. Figures in docs/intelligence.md
//! (`cargo test -p hotline-search --test topics -- --nocapture`).

use chrono::{DateTime, Utc};
use hotline_app::knowledge::index::SearchEngine;
use hotline_domain::topics::{TopicOrder, TopicRule, group};
use hotline_domain::{CategoryId, OrderId};
use hotline_search::TantivySearch;
use std::collections::{BTreeSet, HashMap};

/// Key, text and time of each text.
type Texts = Vec<(String, String, DateTime<Utc>)>;

fn corpus() -> (Texts, BTreeSet<(String, String)>) {
    let messages = hotline_suggest::dataset::messages(hotline_reference_data::MESSAGES).unwrap();
    let mut docs: Texts = messages.iter().map(|m| (m.id.clone(), m.text.clone(), m.at.and_utc())).collect();
    let at: HashMap<String, DateTime<Utc>> = docs.iter().map(|(k, _, at)| (k.clone(), *at)).collect();
    let pair = |a: &str, b: &str| if a < b { (a.to_owned(), b.to_owned()) } else { (b.to_owned(), a.to_owned()) };
    let mut same = BTreeSet::new();
    for line in hotline_reference_data::DUPLICATE_REPORTS.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.splitn(4, ',').collect();
        docs.push((f[0].to_owned(), format!("{}\n{}", f[2], f[3]), at[f[1]] + chrono::Duration::days(1)));
        same.insert(pair(f[0], f[1]));
    }
    for line in hotline_reference_data::DUPLICATE_PAIRS.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.splitn(3, ',').collect();
        same.insert(pair(f[0], f[1]));
    }
    (docs, same)
}

#[test]
fn reports_of_one_matter_share_a_group_and_no_group_swallows_unrelated_matters() {
    let (docs, same) = corpus();
    let engine = TantivySearch::in_memory().unwrap();
    let words: Vec<Vec<String>> = docs.iter().map(|(_, text, _)| engine.analyze(text)).collect();
    let mut orders: Vec<TopicOrder<'_>> = docs
        .iter()
        .zip(&words)
        .enumerate()
        .map(|(i, ((_, _, at), words))| TopicOrder { id: OrderId(i as i64), at: *at, town: None, category: CategoryId(1), words })
        .collect();
    orders.sort_by_key(|o| (o.at, o.id));
    let refs: Vec<&TopicOrder<'_>> = orders.iter().collect();
    // The background is the engine's own: the shipped messages, these very
    // texts but for the 36 second reports (no order is indexed).
    let mut vocabulary: Vec<String> = words.iter().flatten().cloned().collect();
    vocabulary.sort_unstable();
    vocabulary.dedup();
    let (documents, counts) = engine.word_documents(&vocabulary).unwrap();
    assert_eq!(documents, 330);
    let rarity: HashMap<String, f32> =
        vocabulary.into_iter().zip(counts).map(|(w, n)| (w, hotline_domain::topics::rarity(documents, n))).collect();
    let groups = group(&refs, TopicRule::default().likeness, &|w: &str| rarity[w]);

    let key = |i: usize| docs[refs[i].id.0 as usize].0.clone();
    let mut grouped = BTreeSet::new();
    let mut largest = 0;
    for g in &groups {
        largest = largest.max(g.members.len());
        for (n, a) in g.members.iter().enumerate() {
            for b in &g.members[n + 1..] {
                let (a, b) = (key(*a), key(*b));
                grouped.insert(if a < b { (a, b) } else { (b, a) });
            }
        }
    }
    let hits = same.intersection(&grouped).count();
    let recall = hits as f64 / same.len() as f64;
    let precision = hits as f64 / grouped.len().max(1) as f64;
    let sizes = groups.iter().filter(|g| g.members.len() >= 3).count();
    println!(
        "{} texts, {} labelled pairs: {} groups ({} of 3 or more, largest {largest}); labelled pairs in one group {hits} (recall {:.1} %), \
         pairs grouped {} (precision {:.1} %)",
        docs.len(),
        same.len(),
        groups.len(),
        sizes,
        100.0 * recall,
        grouped.len(),
        100.0 * precision
    );
    assert!(recall >= 0.85, "recall {recall}");
    assert!(precision >= 0.8, "precision {precision}");
    assert!(largest <= 12, "a group of {largest} swallowed unrelated matters");
}
