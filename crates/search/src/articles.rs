//! The index of live articles.

use crate::analyzer::Analyzer;
use crate::fields::{NONE, chinese, number, text};
use crate::handle::{Handle, err};
use crate::query::{CANDIDATES, any_of, filtered, rerank, text_query};
use crate::snippet;
use chrono::Datelike;
use hotline_app::knowledge::index::{ArticleDoc, ArticleHit, ArticleQuery, SearchError};
use hotline_app::ports::ChangeCursor;
use hotline_domain::knowledge::Visibility;
use hotline_domain::{ArticleId, CategoryId, UnitId};
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::{Query, RangeQuery};
use tantivy::schema::{FAST, Field, INDEXED, STORED, Schema};
use tantivy::{TantivyDocument, Term, doc};

/// Bumped whenever the fields below change: the index is then rebuilt.
const LAYOUT: u32 = 2;

pub(crate) struct ArticleIndex {
    handle: Handle,
    analyzer: Arc<Analyzer>,
    f: Fields,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    keywords: Field,
    script: Field,
    body: Field,
    /// The words callers used in orders it answered: found by them too.
    asked: Field,
    owner: Field,
    category: Field,
    category_path: Field,
    towns: Field,
    public: Field,
    effective: Field,
    expires: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        title: b.add_text_field("title", chinese(true)),
        keywords: b.add_text_field("keywords", chinese(false)),
        script: b.add_text_field("script", chinese(true)),
        body: b.add_text_field("body", chinese(true)),
        asked: b.add_text_field("asked", chinese(false)),
        owner: b.add_u64_field("owner", INDEXED | STORED),
        category: b.add_u64_field("category", STORED),
        category_path: b.add_u64_field("category_path", INDEXED),
        towns: b.add_u64_field("towns", INDEXED),
        public: b.add_u64_field("public", INDEXED | STORED),
        effective: b.add_i64_field("effective", INDEXED | FAST),
        expires: b.add_i64_field("expires", INDEXED | FAST),
    };
    (b.build(), f)
}

fn day_number(date: chrono::NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

fn id_value(id: i64) -> u64 {
    id as u64
}

/// The words an article is asked by as a field: each repeated by how many
/// callers used it, on a log scale (a word 40 callers used counts more than
/// one two did, not twenty times more).
fn asked_text(asked: &[(String, usize)]) -> String {
    let mut text = String::new();
    for (word, callers) in asked {
        let times = (usize::BITS - callers.leading_zeros()).clamp(1, 4);
        for _ in 0..times {
            text.push_str(word);
            text.push(' ');
        }
    }
    text
}

impl ArticleIndex {
    pub fn open(dir: Option<&Path>, analyzer: Arc<Analyzer>) -> Result<Self, SearchError> {
        let (schema, f) = schema();
        let handle = Handle::open(dir, schema, LAYOUT, &analyzer, 64 * 1024 * 1024)?;
        Ok(Self { handle, analyzer, f })
    }

    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    fn fields_weighted(&self) -> [(Field, f32); 5] {
        [(self.f.title, 3.0), (self.f.keywords, 2.5), (self.f.script, 1.5), (self.f.body, 1.0), (self.f.asked, 1.0)]
    }

    fn document(&self, d: &ArticleDoc) -> TantivyDocument {
        let f = self.f;
        let c = &d.content;
        let mut doc = doc!(
            f.id => id_value(d.id.0),
            f.title => c.title.as_str(),
            f.keywords => c.keywords.as_slice().join(" "),
            f.script => c.script.as_ref().map(|s| s.as_str()).unwrap_or(""),
            f.body => c.body.as_str(),
            f.asked => asked_text(&d.asked),
            f.owner => c.owner.map_or(NONE, |u| id_value(u.0)),
            f.category => c.category.map_or(NONE, |c| id_value(c.0)),
            f.public => u64::from(c.visibility == Visibility::Public),
            f.effective => c.effective_from.map_or(i64::MIN, day_number),
            f.expires => c.expires_on.map_or(i64::MAX, day_number),
        );
        for category in &d.category_path {
            doc.add_u64(f.category_path, id_value(category.0));
        }
        match c.region.towns() {
            [] => doc.add_u64(f.towns, NONE),
            towns => towns.iter().for_each(|t| doc.add_u64(f.towns, id_value(t.0))),
        }
        doc
    }

    pub fn index(&self, docs: &[ArticleDoc], removed: &[ArticleId], cursor: ChangeCursor) -> Result<(), SearchError> {
        let deletes =
            docs.iter().map(|d| d.id).chain(removed.iter().copied()).map(|id| Term::from_field_u64(self.f.id, id_value(id.0))).collect();
        let documents = docs.iter().map(|d| self.document(d)).collect();
        self.handle.write(deletes, documents, Some(cursor))
    }

    fn filters(&self, q: &ArticleQuery) -> Vec<Box<dyn Query>> {
        let f = self.f;
        let today = day_number(q.today);
        let mut filters: Vec<Box<dyn Query>> = vec![
            Box::new(RangeQuery::new(Bound::Unbounded, Bound::Included(Term::from_field_i64(f.effective, today)))),
            Box::new(RangeQuery::new(Bound::Included(Term::from_field_i64(f.expires, today)), Bound::Unbounded)),
        ];
        if let Some(v) = q.visibility {
            filters.push(any_of(f.public, &[u64::from(v == Visibility::Public)]));
        }
        if let Some(d) = q.department {
            filters.push(any_of(f.owner, &[id_value(d.0)]));
        }
        if let Some(c) = q.category {
            filters.push(any_of(f.category_path, &[id_value(c.0)]));
        }
        if let Some(t) = q.town {
            filters.push(any_of(f.towns, &[NONE, id_value(t.0)]));
        }
        filters
    }

    pub fn search(&self, q: &ArticleQuery) -> Result<Vec<ArticleHit>, SearchError> {
        let groups = self.analyzer.groups(&q.text);
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let fields = self.fields_weighted();
        let query = filtered(text_query(&groups, &fields), self.filters(q));
        let searcher = self.handle.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score()).map_err(err)?;
        let mut ranked = rerank(&searcher, &groups, &fields, top).map_err(err)?;
        ranked.retain(|(_, _, coverage)| *coverage >= q.min_coverage);
        ranked.truncate(q.limit);
        let terms = snippet::terms(&groups);
        let f = self.f;
        ranked
            .into_iter()
            .map(|(score, address, _)| {
                let doc: TantivyDocument = searcher.doc(address).map_err(err)?;
                let text_of = |field: Field| text(&doc, field).unwrap_or_default();
                let u64_of = |field: Field| number(&doc, field);
                let body = text_of(f.body);
                let script = text_of(f.script);
                // The body where it matches, else the script, else the body's start.
                let in_body = snippet::snippet(&self.analyzer, &body, &terms, snippet::CHARS);
                let snippet_html = if in_body.contains("<em>") || script.is_empty() {
                    in_body
                } else {
                    snippet::snippet(&self.analyzer, &script, &terms, snippet::CHARS)
                };
                let answer = if script.is_empty() {
                    body.split("\n\n").map(str::trim).find(|p| !p.is_empty()).unwrap_or("").to_owned()
                } else {
                    script
                };
                let owner = u64_of(f.owner);
                let category = u64_of(f.category);
                Ok(ArticleHit {
                    id: ArticleId(u64_of(f.id) as i64),
                    title: text_of(f.title),
                    snippet: snippet_html,
                    score,
                    owner: (owner != NONE).then_some(UnitId(owner as i64)),
                    category: (category != NONE).then_some(CategoryId(category as i64)),
                    answer,
                    visibility: if u64_of(f.public) == 1 { Visibility::Public } else { Visibility::Internal },
                })
            })
            .collect()
    }

    /// Titles matching what has been typed so far.
    pub fn suggest(&self, q: &ArticleQuery) -> Result<Vec<String>, SearchError> {
        let groups = self.analyzer.groups(&q.text);
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let fields = [(self.f.title, 1.0), (self.f.keywords, 0.5)];
        let query = filtered(text_query(&groups, &fields), self.filters(q));
        let searcher = self.handle.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score()).map_err(err)?;
        let ranked = rerank(&searcher, &groups, &fields, top).map_err(err)?;
        let mut titles: Vec<String> = Vec::new();
        for (_, address, _) in ranked {
            let doc: TantivyDocument = searcher.doc(address).map_err(err)?;
            let title = text(&doc, self.f.title).unwrap_or_default();
            if !titles.contains(&title) {
                titles.push(title);
            }
            if titles.len() == q.limit {
                break;
            }
        }
        Ok(titles)
    }
}
