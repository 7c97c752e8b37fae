//! Knowledge articles as the API answers them: field for field the stored
//! records (ids as strings, instants in UTC), documented and converted here.

use chrono::{DateTime, NaiveDate, Utc};
use hotline_app::knowledge::ArticleDetails;
use hotline_app::ports::{ArticleRecord, ArticleSummary, ArticleVersionRecord};
use hotline_domain::knowledge::diff::{DiffOp, FieldDiff};
use hotline_domain::knowledge::{ArticleContent, ArticleState, ArticleStatus, Region, Visibility};
use hotline_domain::{ArticleId, CategoryId, UnitId, UserId};
use serde::Serialize;
use utoipa::ToSchema;

/// Where an article applies: `{"scope": "city"}` or `{"scope": "towns", "towns": [ids]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionDto {
    /// `city` or `towns`.
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub towns: Option<Vec<UnitId>>,
}

/// One version of an article's content.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentDto {
    pub title: String,
    /// Markdown.
    pub body: String,
    /// The short answer read out on the phone.
    pub script: Option<String>,
    /// The department or town that maintains it; none: the centre.
    #[schema(value_type = Option<String>)]
    pub owner: Option<UnitId>,
    #[schema(value_type = Option<String>)]
    pub category: Option<CategoryId>,
    pub keywords: Vec<String>,
    pub region: RegionDto,
    /// The policy it rests on.
    pub source: Option<String>,
    pub effective_from: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    /// `public` or `internal`.
    #[schema(value_type = String)]
    pub visibility: Visibility,
}

impl From<ArticleContent> for ContentDto {
    fn from(c: ArticleContent) -> Self {
        let region = match c.region {
            Region::City => RegionDto { scope: "city".into(), towns: None },
            Region::Towns(towns) => RegionDto { scope: "towns".into(), towns: Some(towns) },
        };
        Self {
            title: c.title.to_string(),
            body: c.body.to_string(),
            script: c.script.map(|s| s.to_string()),
            owner: c.owner,
            category: c.category,
            keywords: c.keywords.into(),
            region,
            source: c.source.map(|s| s.to_string()),
            effective_from: c.effective_from,
            expires_on: c.expires_on,
            visibility: c.visibility,
        }
    }
}

/// The article's place in its review workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateDto {
    /// `draft`, `pending_review`, `published`, `retired` …
    #[schema(value_type = String)]
    pub status: ArticleStatus,
    /// The newest version.
    pub version: i32,
    /// The version readers see; none when nothing is published.
    pub live_version: Option<i32>,
    /// When a scheduled version goes live.
    pub publish_at: Option<DateTime<Utc>>,
    /// Why the last review sent it back.
    pub review_note: Option<String>,
}

impl From<ArticleState> for StateDto {
    fn from(s: ArticleState) -> Self {
        Self { status: s.status, version: s.version, live_version: s.live_version, publish_at: s.publish_at, review_note: s.review_note }
    }
}

/// An article: its workflow state and newest content.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleDto {
    #[schema(value_type = String)]
    pub id: ArticleId,
    pub state: StateDto,
    /// The newest version's content.
    pub content: ContentDto,
    #[schema(value_type = Option<String>)]
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change; send it back with an edit.
    pub revision: i64,
}

impl From<ArticleRecord> for ArticleDto {
    fn from(r: ArticleRecord) -> Self {
        Self {
            id: r.id,
            state: r.state.into(),
            content: r.content.into(),
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            revision: r.revision,
        }
    }
}

/// An article with the version readers see.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleDetailsDto {
    #[serde(flatten)]
    pub article: ArticleDto,
    /// The version readers see now, when it is not the newest.
    pub live: Option<ContentDto>,
    /// Its live version has expired: the owner must renew or retire it.
    pub expired: bool,
}

impl From<ArticleDetails> for ArticleDetailsDto {
    fn from(d: ArticleDetails) -> Self {
        Self { article: d.record.into(), live: d.live.map(Into::into), expired: d.expired }
    }
}

/// One row of the editors' list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleRowDto {
    #[schema(value_type = String)]
    pub id: ArticleId,
    pub title: String,
    #[schema(value_type = Option<String>)]
    pub owner: Option<UnitId>,
    #[schema(value_type = Option<String>)]
    pub category: Option<CategoryId>,
    #[schema(value_type = String)]
    pub visibility: Visibility,
    #[schema(value_type = String)]
    pub status: ArticleStatus,
    pub version: i32,
    pub live_version: Option<i32>,
    pub publish_at: Option<DateTime<Utc>>,
    /// The live version's last day, if it has one.
    pub live_expires_on: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

impl From<ArticleSummary> for ArticleRowDto {
    fn from(a: ArticleSummary) -> Self {
        Self {
            id: a.id,
            title: a.title,
            owner: a.owner,
            category: a.category,
            visibility: a.visibility,
            status: a.status,
            version: a.version,
            live_version: a.live_version,
            publish_at: a.publish_at,
            live_expires_on: a.live_expires_on,
            updated_at: a.updated_at,
        }
    }
}

/// A page of the editors' list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticlePageDto {
    pub items: Vec<ArticleRowDto>,
    /// Pass as `cursor` for the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// One stored version of an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDto {
    #[schema(value_type = String)]
    pub article: ArticleId,
    pub version: i32,
    pub content: ContentDto,
    /// None: the operator (an import at the command line).
    #[schema(value_type = Option<String>)]
    pub edited_by: Option<UserId>,
    pub edited_at: DateTime<Utc>,
}

impl From<ArticleVersionRecord> for VersionDto {
    fn from(v: ArticleVersionRecord) -> Self {
        Self { article: v.article, version: v.version, content: v.content.into(), edited_by: v.edited_by, edited_at: v.edited_at }
    }
}

/// A line of a field's diff.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffLineDto {
    /// `equal`, `delete` or `insert`.
    #[schema(value_type = String)]
    pub op: DiffOp,
    pub text: String,
}

/// One changed field with its line-by-line diff.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDiffDto {
    pub field: String,
    pub lines: Vec<DiffLineDto>,
}

impl From<FieldDiff> for FieldDiffDto {
    fn from(f: FieldDiff) -> Self {
        Self { field: f.field.to_owned(), lines: f.lines.into_iter().map(|l| DiffLineDto { op: l.op, text: l.text }).collect() }
    }
}

/// What changed between two versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffDto {
    pub from: i32,
    pub to: i32,
    pub fields: Vec<FieldDiffDto>,
}
