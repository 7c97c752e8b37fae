//! The index of work orders, for finding similar past cases and the replies
//! they got. Only the orders' text and what scopes and filters them are
//! indexed; personal data (names, phone numbers, addresses) never is.

use crate::analyzer::Analyzer;
use crate::fields::{NONE, chinese, number, text};
use crate::handle::{Handle, err};
use crate::query::{CANDIDATES, any_of, filtered, rerank, text_query};
use crate::snippet;
use chrono::{DateTime, Utc};
use hotline_app::knowledge::index::{OrderDoc, OrderHit, OrderQuery, SearchError};
use hotline_app::ports::ChangeCursor;
use hotline_domain::{CategoryId, OrderId, State, UnitId, WorkOrderNo};
use std::path::Path;
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, Value};
use tantivy::{TantivyDocument, Term, doc};

/// 2: `created_at` indexed and fast, for the window of similar orders.
const LAYOUT: u32 = 2;

pub(crate) struct OrderIndex {
    pub(crate) handle: Handle,
    pub(crate) analyzer: Arc<Analyzer>,
    pub(crate) f: Fields,
}

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub(crate) id: Field,
    pub(crate) number: Field,
    pub(crate) subject: Field,
    pub(crate) description: Field,
    reply: Field,
    public_reply: Field,
    units: Field,
    pub(crate) category: Field,
    category_path: Field,
    pub(crate) town: Field,
    pub(crate) state: Field,
    pub(crate) created_at: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        number: b.add_text_field("number", STRING | STORED),
        subject: b.add_text_field("subject", chinese(true)),
        description: b.add_text_field("description", chinese(true)),
        reply: b.add_text_field("reply", chinese(false)),
        public_reply: b.add_text_field("public_reply", STORED),
        units: b.add_u64_field("units", INDEXED),
        category: b.add_u64_field("category", STORED),
        category_path: b.add_u64_field("category_path", INDEXED),
        town: b.add_u64_field("town", INDEXED | STORED),
        state: b.add_text_field("state", STORED),
        created_at: b.add_i64_field("created_at", INDEXED | STORED | FAST),
    };
    (b.build(), f)
}

impl OrderIndex {
    pub fn open(dir: Option<&Path>, analyzer: Arc<Analyzer>) -> Result<Self, SearchError> {
        let (schema, f) = schema();
        let handle = Handle::open(dir, schema, LAYOUT, &analyzer, 96 * 1024 * 1024)?;
        Ok(Self { handle, analyzer, f })
    }

    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    fn document(&self, d: &OrderDoc) -> TantivyDocument {
        let f = self.f;
        let o = &d.order;
        let mut doc = doc!(
            f.id => o.id.0 as u64,
            f.number => o.number.as_str(),
            f.subject => o.subject.as_str(),
            f.description => o.description.as_str(),
            f.reply => o.reply.as_str(),
            f.category => o.category.0 as u64,
            f.town => o.town.map_or(NONE, |t| t.0 as u64),
            f.state => o.state.as_str(),
            f.created_at => o.created_at.timestamp_micros(),
        );
        if let Some(reply) = &o.public_reply {
            doc.add_text(f.public_reply, reply);
        }
        for unit in &o.units {
            doc.add_u64(f.units, unit.0 as u64);
        }
        for category in &d.category_path {
            doc.add_u64(f.category_path, category.0 as u64);
        }
        doc
    }

    pub fn index(&self, docs: &[OrderDoc], cursor: ChangeCursor) -> Result<(), SearchError> {
        let deletes = docs.iter().map(|d| Term::from_field_u64(self.f.id, d.order.id.0 as u64)).collect();
        let documents = docs.iter().map(|d| self.document(d)).collect();
        self.handle.write(deletes, documents, Some(cursor))
    }

    pub fn search(&self, q: &OrderQuery) -> Result<Vec<OrderHit>, SearchError> {
        let f = self.f;
        let mut filters: Vec<Box<dyn Query>> = Vec::new();
        if let Some(units) = &q.units {
            filters.push(any_of(f.units, &units.iter().map(|u| u.0 as u64).collect::<Vec<_>>()));
        }
        if let Some(c) = q.category {
            filters.push(any_of(f.category_path, &[c.0 as u64]));
        }
        if let Some(t) = q.town {
            filters.push(any_of(f.town, &[t.0 as u64]));
        }
        let searcher = self.handle.searcher();
        let fields = [(f.subject, 2.0), (f.description, 1.0), (f.reply, 0.8)];
        let groups = self.analyzer.groups(&q.text);
        // An order number typed in finds that order.
        let by_number = WorkOrderNo::parse(q.text.trim()).ok();
        let ranked = if let Some(number) = by_number {
            let exact: Box<dyn Query> =
                Box::new(TermQuery::new(Term::from_field_text(f.number, number.as_str()), IndexRecordOption::Basic));
            let mut clauses = vec![(Occur::Must, exact)];
            clauses.extend(filters.into_iter().map(|q| (Occur::Must, q)));
            let query = BooleanQuery::new(clauses);
            let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score()).map_err(err)?;
            top.into_iter().map(|(score, address)| (score, address, 1.0)).collect()
        } else {
            if groups.is_empty() {
                return Ok(Vec::new());
            }
            let query = filtered(text_query(&groups, &fields), filters);
            let top = searcher.search(&query, &TopDocs::with_limit(CANDIDATES.max(q.limit)).order_by_score()).map_err(err)?;
            rerank(&searcher, &groups, &fields, top).map_err(err)?
        };
        let terms = snippet::terms(&groups);
        ranked
            .into_iter()
            .take(q.limit)
            .map(|(score, address, _)| {
                let doc: TantivyDocument = searcher.doc(address).map_err(err)?;
                let o = self.stored(&doc)?;
                let snippet = snippet::snippet(&self.analyzer, &o.description, &terms, snippet::CHARS);
                Ok(OrderHit {
                    id: o.id,
                    number: o.number,
                    subject: o.subject,
                    snippet,
                    public_reply: text(&doc, f.public_reply),
                    score,
                    state: o.state,
                    category: o.category,
                    town: o.town,
                    created_at: o.created_at,
                })
            })
            .collect()
    }

    /// What a found document holds about its order.
    pub(crate) fn stored(&self, doc: &TantivyDocument) -> Result<StoredOrder, SearchError> {
        let f = self.f;
        let town = number(doc, f.town);
        Ok(StoredOrder {
            id: OrderId(number(doc, f.id) as i64),
            number: WorkOrderNo::parse(&text(doc, f.number).unwrap_or_default()).map_err(|e| err(e.message))?,
            subject: text(doc, f.subject).unwrap_or_default(),
            description: text(doc, f.description).unwrap_or_default(),
            state: State::parse(&text(doc, f.state).unwrap_or_default()).map_err(|e| err(e.message))?,
            category: CategoryId(number(doc, f.category) as i64),
            town: (town != NONE).then_some(UnitId(town as i64)),
            created_at: doc
                .get_first(f.created_at)
                .and_then(|v| v.as_i64())
                .and_then(DateTime::<Utc>::from_timestamp_micros)
                .unwrap_or_default(),
        })
    }
}

pub(crate) struct StoredOrder {
    pub id: OrderId,
    pub number: WorkOrderNo,
    pub subject: String,
    pub description: String,
    pub state: State,
    pub category: CategoryId,
    pub town: Option<UnitId>,
    pub created_at: DateTime<Utc>,
}
