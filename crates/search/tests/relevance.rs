//! Search quality on real Chinese: the demo knowledge base
//! (data/knowledge/articles.csv) against questions phrased the way callers
//! put them (data/knowledge/relevance.toml). Asserts recall@3 and prints
//! MRR; the figures are recorded in docs/search-quality.md.

use chrono::{NaiveDate, Utc};
use hotline_app::knowledge::index::{ArticleDoc, ArticleQuery, SearchEngine};
use hotline_app::ports::{ChangeCursor, SearchVocabulary, SynonymSet};
use hotline_domain::ArticleId;
use hotline_search::TantivySearch;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Set {
    q: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    ask: String,
    want: Vec<String>,
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/knowledge").join(name)
}

fn synonyms() -> Vec<SynonymSet> {
    hotline_reference_data::synonym_sets().into_iter().enumerate().map(|(i, words)| SynonymSet { id: i as i64, words }).collect()
}

/// The engine with every demo article; returns the titles by id.
fn engine() -> (TantivySearch, Vec<String>) {
    let engine = TantivySearch::in_memory().unwrap();
    engine.set_vocabulary(&SearchVocabulary { terms: vec![], synonyms: synonyms() });
    let contents = hotline_reference_data::demo_article_texts().unwrap();
    let titles = contents.iter().map(|c| c.title.to_string()).collect();
    let docs: Vec<ArticleDoc> = contents
        .into_iter()
        .enumerate()
        .map(|(i, content)| ArticleDoc { id: ArticleId(i as i64 + 1), content, category_path: vec![], asked: vec![] })
        .collect();
    engine.index_articles(&docs, &[], ChangeCursor { updated_at: Utc::now(), id: 0 }).unwrap();
    (engine, titles)
}

/// A staff query over every article, on the day the figures were taken.
fn query(text: &str, limit: usize) -> ArticleQuery {
    ArticleQuery {
        text: text.to_owned(),
        department: None,
        category: None,
        town: None,
        visibility: None,
        today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        limit,
        min_coverage: 0.0,
    }
}

#[test]
fn callers_questions_find_their_answers_in_the_top_three() {
    let set: Set = toml::from_str(&std::fs::read_to_string(data("relevance.toml")).unwrap()).unwrap();
    assert!(set.q.len() >= 50, "the set needs at least 50 questions, has {}", set.q.len());
    let (engine, titles) = engine();
    for case in &set.q {
        for want in &case.want {
            assert!(titles.contains(want), "relevance.toml names an article that does not exist: {want}");
        }
    }
    let mut in_top3 = 0;
    let mut reciprocal = 0.0;
    let mut misses = Vec::new();
    for case in &set.q {
        let found: Vec<String> = engine.search_articles(&query(&case.ask, 10)).unwrap().into_iter().map(|h| h.title).collect();
        let rank = found.iter().position(|t| case.want.contains(t));
        if let Some(r) = rank {
            reciprocal += 1.0 / (r as f64 + 1.0);
            if r < 3 {
                in_top3 += 1;
            }
        }
        if rank.is_none_or(|r| r >= 3) {
            misses.push(format!("{} → {:?}", case.ask, found.iter().take(3).collect::<Vec<_>>()));
        }
    }
    let n = set.q.len() as f64;
    let recall = in_top3 as f64 / n;
    let mrr = reciprocal / n;
    println!("questions: {}  recall@3: {recall:.3}  MRR: {mrr:.3}", set.q.len());
    for m in &misses {
        println!("  miss: {m}");
    }
    assert!(recall >= 0.9, "recall@3 {recall:.3} is below 0.9; misses:\n{}", misses.join("\n"));
}

#[test]
fn a_multi_word_query_is_not_a_phrase_query() {
    let (engine, _) = engine();
    let hits = engine.search_articles(&query("社保卡补办", 3)).unwrap();
    assert_eq!(hits[0].title, "社会保障卡遗失如何挂失和补办");
    assert!(hits[0].snippet.contains("<em>"), "matches are highlighted: {}", hits[0].snippet);
}

#[test]
fn snippets_of_text_with_nested_words_and_full_width_signs_are_highlighted() {
    let (engine, _) = engine();
    let hits = engine.search_articles(&query("最低生活保障申请", 10)).unwrap();
    assert_eq!(hits[0].title, "最低生活保障申请条件");
    for hit in &hits {
        assert!(hit.snippet.contains("<em>"), "{}: {}", hit.title, hit.snippet);
    }
}
