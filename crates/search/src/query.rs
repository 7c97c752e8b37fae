//! Building a query from the analyzer's groups, and ranking so that a
//! document matching most of the caller's words comes first.
//!
//! Each group becomes a disjunction (best field and term, plus a little of
//! the others) over the weighted fields; the groups are OR'd, never
//! required, so BM25 ranks everything that matches any word. The best
//! candidates are then re-scored by *coverage*, the share of groups they
//! match: a document matching both 社保卡 and 补办 beats one that repeats
//! 社保卡 ten times.

use crate::analyzer::Group;
use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Score, Searcher, TERMINATED, Term};

/// Tie-breaker of a group's disjunction: the best (field, term) counts
/// fully, the others a little.
const TIE_BREAKER: f32 = 0.15;
/// Candidates re-scored by coverage.
pub(crate) const CANDIDATES: usize = 100;

pub(crate) fn group_query(group: &Group, fields: &[(Field, f32)]) -> Box<dyn Query> {
    let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
    for alternative in group {
        for (field, boost) in fields {
            let term = TermQuery::new(Term::from_field_text(*field, &alternative.term), IndexRecordOption::WithFreqs);
            disjuncts.push(Box::new(BoostQuery::new(Box::new(term), boost * alternative.weight)));
        }
    }
    Box::new(DisjunctionMaxQuery::with_tie_breaker(disjuncts, TIE_BREAKER))
}

/// The text part of a search: any group may match.
pub(crate) fn text_query(groups: &[Group], fields: &[(Field, f32)]) -> BooleanQuery {
    BooleanQuery::new(groups.iter().map(|g| (Occur::Should, group_query(g, fields))).collect())
}

/// Combines the text query with filters that must all hold.
pub(crate) fn filtered(text: BooleanQuery, filters: Vec<Box<dyn Query>>) -> BooleanQuery {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(text))];
    clauses.extend(filters.into_iter().map(|f| (Occur::Must, f)));
    BooleanQuery::new(clauses)
}

/// Any of these values in a u64 field.
pub(crate) fn any_of(field: Field, values: &[u64]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        values
            .iter()
            .map(|v| (Occur::Should, Box::new(TermQuery::new(Term::from_field_u64(field, *v), IndexRecordOption::Basic)) as Box<dyn Query>))
            .collect(),
    ))
}

/// A candidate after re-scoring: score, document, and the share of the
/// query's groups it matches.
pub(crate) type Ranked = (Score, DocAddress, f32);

/// Re-scores candidates: score × (0.25 + 0.75 × coverage²), best first.
pub(crate) fn rerank(
    searcher: &Searcher,
    groups: &[Group],
    fields: &[(Field, f32)],
    candidates: Vec<(Score, DocAddress)>,
) -> tantivy::Result<Vec<Ranked>> {
    if groups.len() < 2 || candidates.is_empty() {
        return Ok(candidates.into_iter().map(|(score, address)| (score, address, 1.0)).collect());
    }
    let mut matched = vec![0usize; candidates.len()];
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| candidates[i].1);
    for group in groups {
        let weight = group_query(group, fields).weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut segment = u32::MAX;
        let mut scorer = None;
        for &i in &order {
            let address = candidates[i].1;
            if address.segment_ord != segment {
                segment = address.segment_ord;
                scorer = Some(weight.scorer(searcher.segment_reader(segment), 1.0)?);
            }
            let s = scorer.as_mut().expect("scorer for segment");
            if s.doc() != TERMINATED && s.doc() <= address.doc_id && s.seek(address.doc_id) == address.doc_id {
                matched[i] += 1;
            }
        }
    }
    let mut ranked: Vec<Ranked> = candidates
        .into_iter()
        .enumerate()
        .map(|(i, (score, address))| {
            let coverage = matched[i] as f32 / groups.len() as f32;
            (score * (0.25 + 0.75 * coverage * coverage), address, coverage)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(ranked)
}
