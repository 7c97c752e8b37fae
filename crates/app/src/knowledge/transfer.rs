//! Import and export of articles as rows of a spreadsheet (`hotline kb
//! import`/`export`): the columns `title, body, department, category,
//! keywords, public`, and optionally `script, source, towns,
//! effective_from, expires_on`. Reading the .csv or .xlsx file itself is
//! the binary's job; this module turns rows into articles and back.
//!
//! Running the same import twice changes nothing: an article is known by
//! its owner and title, and a row whose content equals the stored article
//! is left alone; a changed row becomes a new version.

use super::articles::KnowledgeBase;
use crate::access::AdminDesk;
use crate::directory::OrgSnapshot;
use crate::error::AppResult;
use crate::ports::ArticleFilter;
use chrono::NaiveDate;
use hotline_domain::knowledge::{ArticleContent, ArticleInput, ArticleState, ArticleStatus, Keywords, Visibility};
use hotline_domain::{ArticleId, CategoryId, FieldError, UnitId, ValidationErrors};
use serde::Serialize;
use std::collections::HashMap;

/// The required columns, in export order.
pub const COLUMNS: [&str; 6] = ["title", "body", "department", "category", "keywords", "public"];
/// Optional columns, after the required ones.
pub const OPTIONAL_COLUMNS: [&str; 5] = ["script", "source", "towns", "effective_from", "expires_on"];

/// One row, by column name.
#[derive(Debug, Clone, Default)]
pub struct ArticleRow {
    /// Line in the file (the header is line 1), for error reports.
    pub line: usize,
    pub cells: HashMap<String, String>,
}

impl ArticleRow {
    fn cell(&self, name: &str) -> &str {
        self.cells.get(name).map(|s| s.trim()).unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: Vec<RejectedRow>,
}

/// Checks a header row: every required column present, no unknown ones.
pub fn check_header(header: &[String]) -> Result<(), String> {
    let missing: Vec<&str> = COLUMNS.iter().filter(|c| !header.iter().any(|h| h.trim() == **c)).copied().collect();
    if !missing.is_empty() {
        return Err(format!("missing column(s) {}; the header must name {}", missing.join(", "), COLUMNS.join(", ")));
    }
    let unknown: Vec<&str> = header.iter().map(|h| h.trim()).filter(|h| !COLUMNS.contains(h) && !OPTIONAL_COLUMNS.contains(h)).collect();
    if !unknown.is_empty() {
        return Err(format!("unknown column(s) {}; optional columns are {}", unknown.join(", "), OPTIONAL_COLUMNS.join(", ")));
    }
    Ok(())
}

fn parse_bool(text: &str) -> Result<bool, FieldError> {
    match text.to_lowercase().as_str() {
        "" | "false" | "0" | "no" | "否" | "内部" => Ok(false),
        "true" | "1" | "yes" | "是" | "公开" => Ok(true),
        other => Err(FieldError::new("public", format!("{other:?} is not true or false"))),
    }
}

fn parse_date(field: &str, text: &str) -> Result<Option<NaiveDate>, FieldError> {
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y/%m/%d"))
        .map(Some)
        .map_err(|_| FieldError::new(field, format!("{text:?} is not a date like 2026-11-28")))
}

fn find_unit(org: &OrgSnapshot, field: &str, text: &str) -> Result<Option<UnitId>, FieldError> {
    if text.is_empty() {
        return Ok(None);
    }
    org.units()
        .find(|u| u.name == text || u.code == text)
        .map(|u| Some(u.id))
        .ok_or_else(|| FieldError::new(field, format!("no unit named or coded {text:?}")))
}

/// A category by its path (`劳动和社会保障/城镇职工社会保险`) or by a name
/// used only once in the taxonomy.
fn find_category(org: &OrgSnapshot, text: &str) -> Result<Option<CategoryId>, FieldError> {
    if text.is_empty() {
        return Ok(None);
    }
    let wanted: Vec<&str> = text.split(['/', '>', '／']).map(str::trim).filter(|s| !s.is_empty()).collect();
    let matches: Vec<CategoryId> = org
        .categories()
        .filter(|c| {
            let path = org.category_path(c.id);
            let names: Vec<&str> = path.names.iter().map(String::as_str).collect();
            if wanted.len() == 1 { c.name == wanted[0] } else { names == wanted }
        })
        .map(|c| c.id)
        .collect();
    match matches.as_slice() {
        [one] => Ok(Some(*one)),
        [] => Err(FieldError::new("category", format!("no category {text:?}"))),
        _ => Err(FieldError::new(
            "category",
            format!("{text:?} names {} categories; give its path, e.g. level1/level2/level3", matches.len()),
        )),
    }
}

/// A row as article input, or every problem with it.
pub fn row_input(org: &OrgSnapshot, row: &ArticleRow) -> Result<ArticleInput, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let owner = errors.collect(find_unit(org, "department", row.cell("department"))).flatten();
    let category = errors.collect(find_category(org, row.cell("category"))).flatten();
    let keywords = errors.collect(Keywords::parse_list(row.cell("keywords")).map_err(|e| e.within("keywords")));
    let public = errors.collect(parse_bool(row.cell("public")));
    let effective_from = errors.collect(parse_date("effective_from", row.cell("effective_from"))).flatten();
    let expires_on = errors.collect(parse_date("expires_on", row.cell("expires_on"))).flatten();
    let mut towns = Vec::new();
    for name in row.cell("towns").split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、')).filter(|s| !s.is_empty()) {
        if let Some(Some(t)) = errors.collect(find_unit(org, "towns", name)) {
            towns.push(t);
        }
    }
    errors.into_result()?;
    let text = |name: &str| Some(row.cell(name).to_owned()).filter(|s| !s.is_empty());
    Ok(ArticleInput {
        title: row.cell("title").to_owned(),
        body: row.cell("body").to_owned(),
        script: text("script"),
        owner,
        category,
        keywords: keywords.map(Vec::from).unwrap_or_default(),
        towns,
        source: text("source"),
        effective_from,
        expires_on,
        visibility: Some(if public == Some(true) { Visibility::Public } else { Visibility::Internal }),
    })
}

/// An article's newest content as a row, with names rather than ids.
pub fn content_row(org: &OrgSnapshot, content: &ArticleContent) -> Vec<String> {
    let unit = |u: UnitId| org.unit(u).map(|u| u.name.clone()).unwrap_or_else(|| u.to_string());
    vec![
        content.title.to_string(),
        content.body.to_string(),
        content.owner.map(unit).unwrap_or_default(),
        content.category.map(|c| org.category_path(c).names.join("/")).unwrap_or_default(),
        content.keywords.as_slice().join(" "),
        (content.visibility == Visibility::Public).to_string(),
        content.script.as_ref().map(ToString::to_string).unwrap_or_default(),
        content.source.as_ref().map(ToString::to_string).unwrap_or_default(),
        content.region.towns().iter().map(|t| unit(*t)).collect::<Vec<_>>().join(" "),
        content.effective_from.map(|d| d.to_string()).unwrap_or_default(),
        content.expires_on.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl KnowledgeBase {
    /// Imports rows. With `publish`, new and changed articles go live at
    /// once (the operator vouches for the file); otherwise they wait as
    /// drafts. `progress` is called after each row with (done, total).
    pub async fn import(
        &self,
        admin: &AdminDesk,
        rows: &[ArticleRow],
        publish: bool,
        mut progress: impl FnMut(usize, usize),
    ) -> AppResult<ImportReport> {
        let mut report = ImportReport::default();
        for (done, row) in rows.iter().enumerate() {
            match self.import_row(admin, row, publish).await {
                Ok(Outcome::Created) => report.created += 1,
                Ok(Outcome::Updated) => report.updated += 1,
                Ok(Outcome::Unchanged) => report.unchanged += 1,
                Err(crate::AppError::Invalid(errors)) => report.rejected.push(RejectedRow { line: row.line, reason: errors.to_string() }),
                Err(e) => return Err(e),
            }
            progress(done + 1, rows.len());
        }
        self.search.articles_changed().await;
        Ok(report)
    }

    async fn import_row(&self, admin: &AdminDesk, row: &ArticleRow, publish: bool) -> AppResult<Outcome> {
        let input = row_input(&self.directory.snapshot(), row)?;
        let content = self.parse(input)?;
        admin.check_unit(content.owner)?;
        match self.store.article_by_title(content.owner, content.title.as_str()).await? {
            None => {
                let mut state = ArticleState::new();
                if publish {
                    state.status = ArticleStatus::Published;
                    state.live_version = Some(1);
                }
                self.insert(admin.user(), content, state).await?;
                Ok(Outcome::Created)
            }
            Some(id) => {
                let current = self.store.article(id).await?.ok_or_else(|| crate::AppError::not_found(format!("article {id}")))?;
                let live = current.state.live_version == Some(current.state.version);
                if current.content == content && (live || !publish) {
                    return Ok(Outcome::Unchanged);
                }
                let revision = current.revision;
                self.save_version(admin.user(), current, revision, content, publish).await?;
                Ok(Outcome::Updated)
            }
        }
    }

    /// Every article not retired, newest content, as rows under
    /// [`COLUMNS`] then [`OPTIONAL_COLUMNS`].
    pub async fn export(&self, _admin: &AdminDesk) -> AppResult<Vec<Vec<String>>> {
        let org = self.directory.snapshot();
        let mut rows = Vec::new();
        let mut before: Option<ArticleId> = None;
        loop {
            let page = self.store.list_articles(&ArticleFilter { before, limit: 500, ..Default::default() }).await?;
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            for summary in page.iter().filter(|s| s.status != ArticleStatus::Retired) {
                if let Some(record) = self.store.article(summary.id).await? {
                    rows.push(content_row(&org, &record.content));
                }
            }
        }
        rows.reverse();
        Ok(rows)
    }
}
