//! Search quality on real Chinese: the demo knowledge base
//! (data/knowledge/articles.csv) against questions phrased the way callers
//! put them (data/knowledge/relevance.toml). Asserts recall@3 and prints
//! MRR; the figures are recorded in docs/search-quality.md.

use chrono::{NaiveDate, Utc};
use hotline_app::knowledge::index::{ArticleDoc, ArticleQuery, SearchEngine};
use hotline_app::ports::{ChangeCursor, SearchVocabulary, SynonymSet};
use hotline_domain::ArticleId;
use hotline_domain::knowledge::{ArticleContent, ArticleInput, Visibility};
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
    std::fs::read_to_string(data("synonyms.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(i, l)| SynonymSet { id: i as i64, words: l.split_whitespace().map(str::to_owned).collect() })
        .collect()
}

/// The engine with every demo article; returns the titles by id.
fn engine() -> (TantivySearch, Vec<String>) {
    let engine = TantivySearch::in_memory().unwrap();
    engine.set_vocabulary(&SearchVocabulary { terms: vec![], synonyms: synonyms() });
    let table = hotline_tabular::read(&data("articles.csv")).unwrap();
    let col = |name: &str| table.header.iter().position(|h| h == name).unwrap();
    let mut titles = Vec::new();
    let docs: Vec<ArticleDoc> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, (_, cells))| {
            titles.push(cells[col("title")].clone());
            let content = ArticleContent::parse(ArticleInput {
                title: cells[col("title")].clone(),
                body: cells[col("body")].clone(),
                script: Some(cells[col("script")].clone()),
                keywords: cells[col("keywords")].split_whitespace().map(str::to_owned).collect(),
                visibility: Some(Visibility::Public),
                ..Default::default()
            })
            .unwrap();
            ArticleDoc { id: ArticleId(i as i64 + 1), content, category_path: vec![] }
        })
        .collect();
    engine.index_articles(&docs, &[], ChangeCursor { updated_at: Utc::now(), id: 0 }).unwrap();
    (engine, titles)
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
        let query = ArticleQuery {
            text: case.ask.clone(),
            department: None,
            category: None,
            town: None,
            visibility: None,
            today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            limit: 10,
        };
        let found: Vec<String> = engine.search_articles(&query).unwrap().into_iter().map(|h| h.title).collect();
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
    let query = ArticleQuery {
        text: "社保卡补办".into(),
        department: None,
        category: None,
        town: None,
        visibility: None,
        today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        limit: 3,
    };
    let hits = engine.search_articles(&query).unwrap();
    assert_eq!(hits[0].title, "社会保障卡遗失如何挂失和补办");
    assert!(hits[0].snippet.contains("<em>"), "matches are highlighted: {}", hits[0].snippet);
}

#[test]
fn snippets_of_text_with_nested_words_and_full_width_signs_are_highlighted() {
    let (engine, _) = engine();
    let query = ArticleQuery {
        text: "最低生活保障申请".into(),
        department: None,
        category: None,
        town: None,
        visibility: None,
        today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        limit: 10,
    };
    let hits = engine.search_articles(&query).unwrap();
    assert_eq!(hits[0].title, "最低生活保障申请条件");
    for hit in &hits {
        assert!(hit.snippet.contains("<em>"), "{}: {}", hit.title, hit.snippet);
    }
}
