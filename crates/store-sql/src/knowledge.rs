//! Articles, their versions, the search vocabulary and statistics.

use crate::codec::{Get, date_text, from_json, json, micros, opt_micros, parse_date, word};
use crate::sql::{Val, dynamic, insert_audit, push_in};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::{
    ArticleChange, ArticleDemand, ArticleFilter, ArticleRecord, ArticleSummary, ArticleVersionRecord, AskedOrder, AuditRecord,
    ChangeCursor, KnowledgeEvent, KnowledgeStore, OrderChange, QueryDemand, SearchVocabulary, StoreError, StoreResult, SynonymSet,
};
use hotline_domain::knowledge::{ArticleContent, ArticleState, ArticleStatus, Visibility};
use hotline_domain::{ArticleId, CategoryId, HandlingResult, OrderId, State, UnitId, UserId, WorkOrderNo};
use sqlx::any::AnyRow;
use std::collections::HashMap;

fn cursor_micros(cursor: ChangeCursor) -> (i64, i64) {
    if cursor == ChangeCursor::START { (i64::MIN, i64::MIN) } else { (micros(cursor.updated_at), cursor.id) }
}

/// The live version's last day, stored on the article to list expired ones.
fn live_expiry(article: &ArticleRecord, live: Option<&ArticleContent>) -> Option<String> {
    match article.state.live_version {
        Some(v) if v == article.state.version => date_text(article.content.expires_on),
        Some(_) => date_text(live.and_then(|c| c.expires_on)),
        None => None,
    }
}

fn article_row(a: &ArticleRecord, live_expires_on: Option<String>) -> Vec<Val> {
    vec![
        a.id.0.into(),
        a.content.owner.map(|u| u.0).into(),
        a.content.title.as_str().into(),
        a.content.category.map(|c| c.0).into(),
        a.content.visibility.as_str().into(),
        a.state.status.as_str().into(),
        i64::from(a.state.version).into(),
        a.state.live_version.map(i64::from).into(),
        live_expires_on.into(),
        opt_micros(a.state.publish_at).into(),
        a.state.review_note.clone().into(),
        a.created_by.map(|u| u.0).into(),
        micros(a.created_at).into(),
        micros(a.updated_at).into(),
        a.revision.into(),
        // changed_at: an edit is a change the index follows.
        micros(a.updated_at).into(),
    ]
}

const ARTICLE_COLUMNS: &str = "id, owner_unit_id, title, category_id, visibility, status, version, live_version, live_expires_on, \
                               publish_at, review_note, created_by, created_at, updated_at, revision, changed_at";

fn parse_state(row: &AnyRow) -> StoreResult<ArticleState> {
    Ok(ArticleState {
        status: word("status", &row.text("status")?, ArticleStatus::parse)?,
        version: row.int("version")? as i32,
        live_version: row.opt_int("live_version")?.map(|v| v as i32),
        publish_at: row.opt_at("publish_at")?,
        review_note: row.opt_text("review_note")?,
    })
}

fn parse_summary(row: &AnyRow) -> StoreResult<ArticleSummary> {
    let state = parse_state(row)?;
    Ok(ArticleSummary {
        id: ArticleId(row.int("id")?),
        title: row.text("title")?,
        owner: row.opt_int("owner_unit_id")?.map(UnitId),
        category: row.opt_int("category_id")?.map(CategoryId),
        visibility: word("visibility", &row.text("visibility")?, Visibility::parse)?,
        status: state.status,
        version: state.version,
        live_version: state.live_version,
        publish_at: state.publish_at,
        live_expires_on: parse_date("live_expires_on", row.opt_text("live_expires_on")?)?,
        updated_at: row.at("updated_at")?,
    })
}

fn version_row(v: &ArticleVersionRecord) -> Vec<Val> {
    vec![
        v.article.0.into(),
        i64::from(v.version).into(),
        json(&v.content).into(),
        v.edited_by.map(|u| u.0).into(),
        micros(v.edited_at).into(),
    ]
}

fn parse_version(row: &AnyRow) -> StoreResult<ArticleVersionRecord> {
    Ok(ArticleVersionRecord {
        article: ArticleId(row.int("article_id")?),
        version: row.int("version")? as i32,
        content: from_json("content", &row.text("content")?)?,
        edited_by: row.opt_int("edited_by")?.map(UserId),
        edited_at: row.at("edited_at")?,
    })
}

impl SqlStore {
    /// Rows of a keyset query `… WHERE (updated_at, id) > ($1, $2) … LIMIT $3`.
    async fn changed_after(&self, sql: &'static str, after: ChangeCursor, limit: u32) -> StoreResult<Vec<AnyRow>> {
        let (at, id) = cursor_micros(after);
        sqlx::query(sql).bind(at).bind(id).bind(i64::from(limit)).fetch_all(&self.read).await.or_backend()
    }

    async fn version_content(&self, id: ArticleId, version: i32) -> StoreResult<Option<ArticleContent>> {
        let row = sqlx::query("SELECT content FROM kb_article_versions WHERE article_id = $1 AND version = $2")
            .bind(id.0)
            .bind(i64::from(version))
            .fetch_optional(&self.read)
            .await
            .or_backend()?;
        row.map(|r| from_json("content", &r.text("content")?)).transpose()
    }
}

#[async_trait]
impl KnowledgeStore for SqlStore {
    async fn insert_article(&self, article: &ArticleRecord, audit: &AuditRecord) -> StoreResult<()> {
        let version = ArticleVersionRecord {
            article: article.id,
            version: article.state.version,
            content: article.content.clone(),
            edited_by: article.created_by,
            edited_at: article.created_at,
        };
        let mut tx = self.write.begin().await.or_backend()?;
        dynamic(
            &format!("INSERT INTO kb_articles ({ARTICLE_COLUMNS}) VALUES ({})", placeholders(16)),
            article_row(article, live_expiry(article, None)),
        )
        .execute(&mut *tx)
        .await
        .or_backend()?;
        dynamic(
            &format!("INSERT INTO kb_article_versions (article_id, version, content, edited_by, edited_at) VALUES ({})", placeholders(5)),
            version_row(&version),
        )
        .execute(&mut *tx)
        .await
        .or_backend()?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn save_article(
        &self,
        expected_revision: i64,
        article: &ArticleRecord,
        new_version: Option<&ArticleVersionRecord>,
        audit: &AuditRecord,
    ) -> StoreResult<()> {
        let live = match article.state.live_version {
            Some(v) if v != article.state.version => self.version_content(article.id, v).await?,
            _ => None,
        };
        let mut tx = self.write.begin().await.or_backend()?;
        let mut values = article_row(article, live_expiry(article, live.as_ref()));
        values.remove(0);
        values.push(article.id.0.into());
        values.push(expected_revision.into());
        let sets: Vec<String> = ARTICLE_COLUMNS.split(", ").skip(1).enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
        let sql = format!("UPDATE kb_articles SET {} WHERE id = $16 AND revision = $17", sets.join(", "));
        let updated = dynamic(&sql, values).execute(&mut *tx).await.or_backend()?.rows_affected();
        if updated == 0 {
            let current: Option<i64> = sqlx::query_scalar("SELECT revision FROM kb_articles WHERE id = $1")
                .bind(article.id.0)
                .fetch_optional(&mut *tx)
                .await
                .or_backend()?;
            return Err(match current {
                Some(current) => StoreError::VersionConflict { current },
                None => StoreError::NotFound(format!("article {}", article.id)),
            });
        }
        if let Some(version) = new_version {
            dynamic(
                &format!(
                    "INSERT INTO kb_article_versions (article_id, version, content, edited_by, edited_at) VALUES ({})",
                    placeholders(5)
                ),
                version_row(version),
            )
            .execute(&mut *tx)
            .await
            .or_backend()?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn article(&self, id: ArticleId) -> StoreResult<Option<ArticleRecord>> {
        let row = sqlx::query(
            "SELECT a.*, v.content FROM kb_articles a JOIN kb_article_versions v ON v.article_id = a.id AND v.version = a.version WHERE a.id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.read)
        .await
        .or_backend()?;
        row.map(|row| {
            Ok(ArticleRecord {
                id,
                state: parse_state(&row)?,
                content: from_json("content", &row.text("content")?)?,
                created_by: row.opt_int("created_by")?.map(UserId),
                created_at: row.at("created_at")?,
                updated_at: row.at("updated_at")?,
                revision: row.int("revision")?,
            })
        })
        .transpose()
    }

    async fn article_by_title(&self, owner: Option<UnitId>, title: &str) -> StoreResult<Option<ArticleId>> {
        let query = match owner {
            Some(u) => sqlx::query_scalar("SELECT id FROM kb_articles WHERE owner_unit_id = $1 AND title = $2 ORDER BY id LIMIT 1")
                .bind(u.0)
                .bind(title),
            None => {
                sqlx::query_scalar("SELECT id FROM kb_articles WHERE owner_unit_id IS NULL AND title = $1 ORDER BY id LIMIT 1").bind(title)
            }
        };
        Ok(query.fetch_optional(&self.read).await.or_backend()?.map(ArticleId))
    }

    async fn article_versions(&self, id: ArticleId) -> StoreResult<Vec<ArticleVersionRecord>> {
        sqlx::query("SELECT * FROM kb_article_versions WHERE article_id = $1 ORDER BY version")
            .bind(id.0)
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(parse_version)
            .collect()
    }

    async fn list_articles(&self, filter: &ArticleFilter) -> StoreResult<Vec<ArticleSummary>> {
        let mut sql = format!("SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE 1 = 1");
        let mut values: Vec<Val> = Vec::new();
        let param = |values: &mut Vec<Val>, v: Val| {
            values.push(v);
            format!("${}", values.len())
        };
        if let Some(owners) = &filter.owners {
            if owners.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(" AND owner_unit_id ");
            push_in(&mut sql, &mut values, owners.iter().map(|u| u.0));
        }
        if let Some(status) = filter.status {
            sql.push_str(&format!(" AND status = {}", param(&mut values, status.as_str().into())));
        }
        if let Some(day) = filter.expired_before {
            sql.push_str(&format!(
                " AND live_version IS NOT NULL AND live_expires_on < {}",
                param(&mut values, date_text(Some(day)).into())
            ));
        }
        if let Some(before) = filter.before {
            sql.push_str(&format!(" AND id < {}", param(&mut values, before.0.into())));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", param(&mut values, i64::from(filter.limit).into())));
        dynamic(&sql, values).fetch_all(&self.read).await.or_backend()?.iter().map(parse_summary).collect()
    }

    async fn scheduled_due(&self, now: DateTime<Utc>) -> StoreResult<Vec<ArticleId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM kb_articles WHERE status = 'scheduled' AND publish_at <= $1 ORDER BY publish_at")
                .bind(micros(now))
                .fetch_all(&self.read)
                .await
                .or_backend()?;
        Ok(ids.into_iter().map(ArticleId).collect())
    }

    async fn articles_changed(&self, after: ChangeCursor, limit: u32) -> StoreResult<Vec<ArticleChange>> {
        let rows = self
            .changed_after(
                "SELECT a.id, a.changed_at, v.content FROM kb_articles a \
                 LEFT JOIN kb_article_versions v ON v.article_id = a.id AND v.version = a.live_version \
                 WHERE (a.changed_at, a.id) > ($1, $2) ORDER BY a.changed_at, a.id LIMIT $3",
                after,
                limit,
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id = row.int("id")?;
                Ok(ArticleChange {
                    id: ArticleId(id),
                    cursor: ChangeCursor { updated_at: row.at("changed_at")?, id },
                    live: row.opt_text("content")?.map(|c| from_json("content", &c)).transpose()?,
                })
            })
            .collect()
    }

    async fn orders_changed(&self, after: ChangeCursor, limit: u32) -> StoreResult<Vec<OrderChange>> {
        let rows = self
            .changed_after(
                "SELECT id, number, subject, description, direct_answer, result, category_id, town_id, state, created_at, updated_at \
                 FROM work_orders WHERE (updated_at, id) > ($1, $2) ORDER BY updated_at, id LIMIT $3",
                after,
                limit,
            )
            .await?;
        let mut units: HashMap<i64, Vec<UnitId>> = HashMap::new();
        if !rows.is_empty() {
            // The same rows again as a subquery, not thousands of bound ids
            // (SQLite parses n named parameters in O(n²)).
            let (at, id) = cursor_micros(after);
            let last = rows.last().map(|r| r.int("id")).transpose()?.unwrap_or(i64::MAX);
            let last_at = rows.last().map(|r| r.int("updated_at")).transpose()?.unwrap_or(i64::MAX);
            let unit_rows = sqlx::query(
                "SELECT DISTINCT u.order_id, u.unit_id FROM order_units u JOIN work_orders o ON o.id = u.order_id \
                 WHERE (o.updated_at, o.id) > ($1, $2) AND (o.updated_at, o.id) <= ($3, $4)",
            )
            .bind(at)
            .bind(id)
            .bind(last_at)
            .bind(last)
            .fetch_all(&self.read)
            .await
            .or_backend()?;
            for row in unit_rows {
                units.entry(row.int("order_id")?).or_default().push(UnitId(row.int("unit_id")?));
            }
        }
        rows.iter()
            .map(|row| {
                let id = row.int("id")?;
                let result: Option<HandlingResult> = row.opt_text("result")?.map(|r| from_json("result", &r)).transpose()?;
                let mut reply: Vec<String> = row.opt_text("direct_answer")?.into_iter().collect();
                if let Some(r) = &result {
                    reply.push(r.result.to_string());
                    reply.push(r.public_reply.to_string());
                }
                Ok(OrderChange {
                    id: OrderId(id),
                    cursor: ChangeCursor { updated_at: row.at("updated_at")?, id },
                    number: word("number", &row.text("number")?, WorkOrderNo::parse)?,
                    subject: row.text("subject")?,
                    description: row.text("description")?,
                    reply: reply.join("\n"),
                    public_reply: result.map(|r| r.public_reply.to_string()),
                    category: CategoryId(row.int("category_id")?),
                    town: row.opt_int("town_id")?.map(UnitId),
                    state: word("state", &row.text("state")?, State::parse)?,
                    units: units.remove(&id).unwrap_or_default(),
                    created_at: row.at("created_at")?,
                })
            })
            .collect()
    }

    async fn search_vocabulary(&self) -> StoreResult<SearchVocabulary> {
        let terms: Vec<String> = sqlx::query_scalar("SELECT term FROM kb_terms ORDER BY term").fetch_all(&self.read).await.or_backend()?;
        let synonyms = sqlx::query("SELECT id, words FROM kb_synonyms ORDER BY id")
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| Ok(SynonymSet { id: row.int("id")?, words: from_json("words", &row.text("words")?)? }))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(SearchVocabulary { terms, synonyms })
    }

    async fn insert_search_term(&self, term: &str, audit: &AuditRecord) -> StoreResult<()> {
        self.audited_insert("kb_terms (term)", 1, vec![vec![term.into()]], audit).await
    }

    async fn delete_search_term(&self, term: &str, audit: &AuditRecord) -> StoreResult<bool> {
        Ok(self.audited_update("DELETE FROM kb_terms WHERE term = $1", vec![term.into()], audit).await? > 0)
    }

    async fn insert_synonyms(&self, set: &SynonymSet, audit: &AuditRecord) -> StoreResult<()> {
        self.audited_insert("kb_synonyms (id, words)", 2, vec![vec![set.id.into(), json(&set.words).into()]], audit).await
    }

    async fn delete_synonyms(&self, id: i64, audit: &AuditRecord) -> StoreResult<bool> {
        Ok(self.audited_update("DELETE FROM kb_synonyms WHERE id = $1", vec![id.into()], audit).await? > 0)
    }

    async fn record_knowledge_events(&self, events: &[KnowledgeEvent]) -> StoreResult<()> {
        let rows = events
            .iter()
            .map(|e| {
                vec![
                    micros(e.at).into(),
                    e.audience.as_str().into(),
                    e.query.as_str().into(),
                    e.topic.as_str().into(),
                    e.article.map(|a| a.0).into(),
                    i64::from(e.results).into(),
                ]
            })
            .collect();
        let mut tx = self.write.begin().await.or_backend()?;
        crate::sql::insert_rows(&mut tx, self.backend, "kb_events (at, audience, query, topic, article_id, results)", 6, rows, "").await?;
        tx.commit().await.or_backend()
    }

    async fn link_article(&self, order: OrderId, article: ArticleId, by: UserId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let linked = sqlx::query(
            "INSERT INTO kb_order_links (order_id, article_id, linked_by, linked_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (order_id, article_id) DO NOTHING",
        )
        .bind(order.0)
        .bind(article.0)
        .bind(by.0)
        .bind(micros(at))
        .execute(&mut *tx)
        .await
        .or_backend()?
        .rows_affected();
        if linked > 0 {
            // The index reads the article again with this order's words;
            // never backwards, so the cursor the index holds stays valid.
            sqlx::query("UPDATE kb_articles SET changed_at = CASE WHEN changed_at < $1 THEN $1 ELSE changed_at + 1 END WHERE id = $2")
                .bind(micros(at))
                .bind(article.0)
                .execute(&mut *tx)
                .await
                .or_backend()?;
        }
        tx.commit().await.or_backend()
    }

    async fn article_evidence(&self, articles: &[ArticleId], per_article: u32) -> StoreResult<Vec<AskedOrder>> {
        let mut asked = Vec::new();
        // Bounded lists of bound ids (SQLite parses n parameters in O(n²)).
        for chunk in articles.chunks(500) {
            let sql = format!(
                "SELECT article_id, order_id, caller_phone, subject, description FROM ( \
                     SELECT l.article_id, l.order_id, o.caller_phone, o.subject, o.description, \
                            ROW_NUMBER() OVER (PARTITION BY l.article_id ORDER BY l.linked_at DESC, l.order_id DESC) AS n \
                     FROM kb_order_links l JOIN work_orders o ON o.id = l.order_id WHERE l.article_id IN ({}) \
                 ) t WHERE n <= ${} ORDER BY article_id, n",
                placeholders(chunk.len()),
                chunk.len() + 1
            );
            let mut values: Vec<Val> = chunk.iter().map(|a| a.0.into()).collect();
            values.push(i64::from(per_article).into());
            for row in dynamic(&sql, values).fetch_all(&self.read).await.or_backend()? {
                asked.push(AskedOrder {
                    article: ArticleId(row.int("article_id")?),
                    order: OrderId(row.int("order_id")?),
                    caller_phone: row.opt_text("caller_phone")?,
                    subject: row.text("subject")?,
                    description: row.text("description")?,
                });
            }
        }
        Ok(asked)
    }

    async fn most_linked_articles(&self, limit: u32) -> StoreResult<Vec<ArticleId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT article_id FROM kb_order_links GROUP BY article_id ORDER BY COUNT(*) DESC, article_id LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await
                .or_backend()?;
        Ok(ids.into_iter().map(ArticleId).collect())
    }

    async fn dismiss_synonym(&self, word: &str, partner: &str, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        sqlx::query(
            "INSERT INTO kb_synonym_dismissals (word, partner, dismissed_by, dismissed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (word, partner) DO NOTHING",
        )
        .bind(word)
        .bind(partner)
        .bind(audit.actor.map_or(0, |u| u.0))
        .bind(micros(audit.at))
        .execute(&mut *tx)
        .await
        .or_backend()?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn synonym_dismissals(&self) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT word, partner FROM kb_synonym_dismissals").fetch_all(&self.read).await.or_backend()?;
        rows.iter().map(|row| Ok((row.text("word")?, row.text("partner")?))).collect()
    }

    async fn linked_articles(&self, order: OrderId) -> StoreResult<Vec<ArticleId>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT article_id FROM kb_order_links WHERE order_id = $1 ORDER BY linked_at")
            .bind(order.0)
            .fetch_all(&self.read)
            .await
            .or_backend()?;
        Ok(ids.into_iter().map(ArticleId).collect())
    }

    async fn article_demand(&self, since: DateTime<Utc>, limit: u32) -> StoreResult<Vec<ArticleDemand>> {
        let rows = sqlx::query(
            "SELECT article_id, CAST(SUM(searches) AS BIGINT) AS searches, CAST(SUM(orders) AS BIGINT) AS orders FROM ( \
                 SELECT article_id, COUNT(*) AS searches, 0 AS orders FROM kb_events \
                 WHERE at >= $1 AND article_id IS NOT NULL GROUP BY article_id \
                 UNION ALL \
                 SELECT article_id, 0 AS searches, COUNT(*) AS orders FROM kb_order_links WHERE linked_at >= $1 GROUP BY article_id \
             ) d GROUP BY article_id ORDER BY SUM(searches) + 5 * SUM(orders) DESC, article_id LIMIT $2",
        )
        .bind(micros(since))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .or_backend()?;
        rows.iter()
            .map(|row| {
                Ok(ArticleDemand { article: ArticleId(row.int("article_id")?), searches: row.int("searches")?, orders: row.int("orders")? })
            })
            .collect()
    }

    async fn query_demand(&self, since: DateTime<Utc>, limit: u32) -> StoreResult<Vec<QueryDemand>> {
        let rows = sqlx::query(
            "SELECT topic, MIN(query) AS query, COUNT(*) AS searches FROM kb_events \
             WHERE at >= $1 AND topic <> '' GROUP BY topic ORDER BY COUNT(*) DESC, topic LIMIT $2",
        )
        .bind(micros(since))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .or_backend()?;
        rows.iter()
            .map(|row| Ok(QueryDemand { topic: row.text("topic")?, query: row.text("query")?, searches: row.int("searches")? }))
            .collect()
    }
}

fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
