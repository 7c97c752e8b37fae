//! Writing, reviewing and reading articles.

use super::search::SearchService;
use crate::access::{ArticleEditor, ArticleReviewer, Desk};
use crate::audit::Auditor;
use crate::clock::Clock;
use crate::directory::{Directory, OrgSnapshot};
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::{ArticleFilter, ArticleRecord, ArticleSummary, ArticleVersionRecord, KnowledgeStore};
use chrono::{DateTime, Utc};
use hotline_domain::knowledge::{
    ArticleAction, ArticleContent, ArticleError, ArticleInput, ArticleRole, ArticleState, ArticleStatus, FieldDiff, Visibility, diff,
};
use hotline_domain::{ArticleId, FieldError, UserId, ValidationErrors, WorkOrderNo};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

/// An article with its live version, as a reader or editor sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleDetails {
    #[serde(flatten)]
    pub record: ArticleRecord,
    /// The version readers see now, when it is not the newest.
    pub live: Option<ArticleContent>,
    /// Days after its expiry that a live version is still listed: the owner
    /// must renew or retire it.
    pub expired: bool,
}

/// A list request from the editors' screens.
#[derive(Debug, Clone, Default)]
pub struct ArticleListRequest {
    pub status: Option<ArticleStatus>,
    /// Only articles whose live version has expired (the owner's to-do).
    pub expired: bool,
    pub before: Option<ArticleId>,
    pub limit: u32,
}

pub struct KnowledgeBase {
    pub(crate) store: Arc<dyn KnowledgeStore>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) auditor: Arc<Auditor>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) search: Arc<SearchService>,
}

fn article_error(e: ArticleError) -> AppError {
    match e {
        ArticleError::NotAllowed { .. } => AppError::Conflict { message: e.to_string(), current_version: None },
        ArticleError::Forbidden(m) => AppError::Forbidden(m),
    }
}

impl KnowledgeBase {
    /// Checks the ids an article names against the organisation.
    fn check_references(org: &OrgSnapshot, input: &ArticleInput) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if let Some(owner) = input.owner
            && org.unit(owner).is_none()
        {
            errors.push(FieldError::new("owner", format!("no unit {owner}")));
        }
        if let Some(category) = input.category
            && org.category(category).is_none()
        {
            errors.push(FieldError::new("category", format!("no category {category}")));
        }
        for town in &input.towns {
            if !org.unit(*town).is_some_and(|u| u.kind.is_territorial()) {
                errors.push(FieldError::new("towns", format!("{town} is not a town, subdistrict or park")));
            }
        }
        errors.into_result()
    }

    /// Checks the content and the ids it names; every problem at once.
    pub(crate) fn parse(&self, input: ArticleInput) -> AppResult<ArticleContent> {
        let org = self.directory.snapshot();
        let references = Self::check_references(&org, &input);
        let parsed = ArticleContent::parse(input);
        match (references, parsed) {
            (Ok(()), Ok(content)) => Ok(content),
            (Err(mut a), Err(b)) => {
                a.0.extend(b.0);
                Err(a.into())
            }
            (Err(e), _) | (_, Err(e)) => Err(e.into()),
        }
    }

    /// Writes a new article as a draft.
    pub async fn create(&self, editor: &ArticleEditor, input: ArticleInput) -> AppResult<ArticleRecord> {
        let content = self.parse(input)?;
        editor.check_owner(content.owner)?;
        let record = self.insert(Some(editor.user()), content, ArticleState::new()).await?;
        self.search.articles_changed().await;
        Ok(record)
    }

    pub(crate) async fn insert(&self, by: Option<UserId>, content: ArticleContent, state: ArticleState) -> AppResult<ArticleRecord> {
        let now = self.clock.now();
        let record =
            ArticleRecord { id: ArticleId(self.ids.next()), state, content, created_by: by, created_at: now, updated_at: now, revision: 1 };
        let audit = self.auditor.record(
            by,
            "article.create",
            format!("article:{}", record.id),
            json!({ "title": record.content.title, "status": record.state.status }),
        );
        self.store.insert_article(&record, &audit).await?;
        Ok(record)
    }

    /// Writes a new version; the article goes back to draft.
    pub async fn edit(
        &self,
        editor: &ArticleEditor,
        id: ArticleId,
        expected_revision: i64,
        input: ArticleInput,
    ) -> AppResult<ArticleRecord> {
        let current = self.load(id).await?;
        editor.check_owner(current.content.owner)?;
        let content = self.parse(input)?;
        editor.check_owner(content.owner)?;
        // Saving what is already there writes no version: the history stays
        // readable and an article in review or scheduled is not pulled back.
        if content == current.content {
            check_revision(&current, expected_revision)?;
            return Ok(current);
        }
        let record = self.save_version(Some(editor.user()), current, expected_revision, content, false).await?;
        self.search.articles_changed().await;
        Ok(record)
    }

    /// Saves `content` as the next version; `publish_now` skips review (the
    /// operator's import).
    pub(crate) async fn save_version(
        &self,
        by: Option<UserId>,
        current: ArticleRecord,
        expected_revision: i64,
        content: ArticleContent,
        publish_now: bool,
    ) -> AppResult<ArticleRecord> {
        check_revision(&current, expected_revision)?;
        let now = self.clock.now();
        let mut state = current.state.edited();
        if publish_now {
            state.status = ArticleStatus::Published;
            state.live_version = Some(state.version);
        }
        let changes = diff(&current.content, &content).into_iter().map(|f| f.field).collect::<Vec<_>>();
        let record = ArticleRecord { state, content, updated_at: now, revision: current.revision + 1, ..current };
        let version = ArticleVersionRecord {
            article: record.id,
            version: record.state.version,
            content: record.content.clone(),
            edited_by: by,
            edited_at: now,
        };
        let audit = self.auditor.record(
            by,
            "article.edit",
            format!("article:{}", record.id),
            json!({ "version": record.state.version, "changed": changes }),
        );
        self.store.save_article(expected_revision, &record, Some(&version), &audit).await?;
        Ok(record)
    }

    /// Submits for review, or withdraws from the live site (editors).
    pub async fn act_as_editor(
        &self,
        editor: &ArticleEditor,
        id: ArticleId,
        expected_revision: i64,
        action: ArticleAction,
    ) -> AppResult<ArticleRecord> {
        let current = self.load(id).await?;
        editor.check_owner(current.content.owner)?;
        self.transition(Some(editor.user()), current, expected_revision, action, ArticleRole::Editor).await
    }

    /// Approves, schedules, rejects or retires (the centre's reviewer).
    pub async fn review(
        &self,
        reviewer: &ArticleReviewer,
        id: ArticleId,
        expected_revision: i64,
        action: ArticleAction,
    ) -> AppResult<ArticleRecord> {
        let current = self.load(id).await?;
        self.transition(Some(reviewer.user()), current, expected_revision, action, ArticleRole::Reviewer).await
    }

    async fn transition(
        &self,
        by: Option<UserId>,
        current: ArticleRecord,
        expected_revision: i64,
        action: ArticleAction,
        role: ArticleRole,
    ) -> AppResult<ArticleRecord> {
        check_revision(&current, expected_revision)?;
        let now = self.clock.now();
        let state = current.state.apply(&action, role, now).map_err(article_error)?;
        let audit = self.auditor.record(
            by,
            &format!("article.{}", action.name()),
            format!("article:{}", current.id),
            json!({ "version": state.version, "status": state.status, "publish_at": state.publish_at }),
        );
        let record = ArticleRecord { state, updated_at: now, revision: current.revision + 1, ..current };
        self.store.save_article(expected_revision, &record, None, &audit).await?;
        self.search.articles_changed().await;
        Ok(record)
    }

    /// Publishes the scheduled articles whose time has come; returns how many.
    pub async fn publish_due(&self) -> AppResult<usize> {
        let now = self.clock.now();
        let mut published = 0;
        for id in self.store.scheduled_due(now).await? {
            let current = self.load(id).await?;
            let revision = current.revision;
            match self.transition(None, current, revision, ArticleAction::PublishDue, ArticleRole::System).await {
                Ok(_) => published += 1,
                // Someone edited or retired it meanwhile: their change stands.
                Err(AppError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(published)
    }

    async fn load(&self, id: ArticleId) -> AppResult<ArticleRecord> {
        self.store.article(id).await?.ok_or_else(|| AppError::not_found(format!("article {id} not found")))
    }

    /// An article for staff. Its editors (the owner unit's staff, the
    /// centre's reviewers) see the newest version with the live one beside
    /// it; everyone else sees the live version only.
    pub async fn get(&self, desk: &Desk, id: ArticleId) -> AppResult<ArticleDetails> {
        let record = self.load(id).await?;
        let may_edit = desk.article_editor().is_ok_and(|e| e.check_owner(record.content.owner).is_ok());
        let live = self.live_content(&record).await?;
        if live.is_none() && !may_edit {
            return Err(AppError::not_found(format!("article {id} not found")));
        }
        self.search.record_view(crate::ports::Audience::Staff, id);
        let today = self.today();
        let expired = live.as_ref().is_some_and(|c| c.expires_on.is_some_and(|d| d < today));
        if !may_edit {
            // Readers see what is published, never an unreviewed draft.
            let live = live.expect("checked above");
            let version = record.state.live_version.unwrap_or(record.state.version);
            let state = ArticleState { status: ArticleStatus::Published, version, publish_at: None, review_note: None, ..record.state };
            return Ok(ArticleDetails { record: ArticleRecord { content: live, state, ..record }, live: None, expired });
        }
        let live = if record.state.live_version == Some(record.state.version) { None } else { live };
        Ok(ArticleDetails { record, live, expired })
    }

    /// A published, public article in force, for the portal.
    pub async fn get_public(&self, id: ArticleId) -> AppResult<ArticleContent> {
        let missing = || AppError::not_found(format!("article {id} not found"));
        let record = self.store.article(id).await?.ok_or_else(missing)?;
        let live = self.live_content(&record).await?.ok_or_else(missing)?;
        if live.visibility != Visibility::Public || !live.in_force(self.today()) {
            return Err(missing());
        }
        self.search.record_view(crate::ports::Audience::Public, id);
        Ok(live)
    }

    pub(crate) async fn live_content(&self, record: &ArticleRecord) -> AppResult<Option<ArticleContent>> {
        match record.state.live_version {
            None => Ok(None),
            Some(v) if v == record.state.version => Ok(Some(record.content.clone())),
            Some(v) => Ok(self.store.article_versions(record.id).await?.into_iter().find(|r| r.version == v).map(|r| r.content)),
        }
    }

    pub async fn versions(&self, desk: &Desk, id: ArticleId) -> AppResult<Vec<ArticleVersionRecord>> {
        self.get(desk, id).await?;
        Ok(self.store.article_versions(id).await?)
    }

    /// What changed from version `from` to version `to`.
    pub async fn diff(&self, desk: &Desk, id: ArticleId, from: i32, to: i32) -> AppResult<Vec<FieldDiff>> {
        let versions = self.versions(desk, id).await?;
        let find = |v: i32, field: &str| {
            versions
                .iter()
                .find(|r| r.version == v)
                .ok_or_else(|| AppError::invalid(field, format!("article {id} has no version {v} (it has 1 to {})", versions.len())))
        };
        let (a, b) = (find(from, "from")?, find(to, "to")?);
        Ok(diff(&a.content, &b.content))
    }

    /// The editor's list: their unit's articles (all for the centre).
    pub async fn list(&self, editor: &ArticleEditor, request: ArticleListRequest) -> AppResult<Vec<ArticleSummary>> {
        let filter = ArticleFilter {
            owners: editor.owners().map(<[_]>::to_vec),
            status: request.status,
            expired_before: request.expired.then(|| self.today()),
            before: request.before,
            limit: request.limit.clamp(1, 200),
        };
        Ok(self.store.list_articles(&filter).await?)
    }

    /// Records that an article answered a work order (for the hot-topics
    /// ranking and for the next consultant).
    pub async fn link(&self, desk: &Desk, orders: &crate::orders::WorkOrders, number: &WorkOrderNo, id: ArticleId) -> AppResult<()> {
        let order = orders.writable(desk, number).await?;
        self.load(id).await?;
        self.store.link_article(order.id, id, desk.user(), self.clock.now()).await?;
        Ok(())
    }

    pub(crate) fn today(&self) -> chrono::NaiveDate {
        self.search.today()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

fn check_revision(current: &ArticleRecord, expected: i64) -> AppResult<()> {
    if current.revision == expected {
        Ok(())
    } else {
        Err(AppError::Conflict {
            message: format!("the article is at revision {}, not {expected}; reload it and try again", current.revision),
            current_version: Some(current.revision),
        })
    }
}
