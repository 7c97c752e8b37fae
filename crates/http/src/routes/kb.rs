//! The knowledge base: search for staff and the public, articles and their
//! review, hot questions, the search vocabulary.

use super::{Handled, Json, boolean, id, instant, limit};
use crate::dto::articles::{ArticleDetailsDto, ArticleDto, ArticlePageDto, DiffDto, VersionDto};
use crate::dto::kb::{
    ArticleActionDto, ArticleBodyDto, ArticleHitDto, ArticleListQuery, DiffQuery, DismissalBody, HotDto, HotQuery, LinkBody, OrderHitDto,
    ProposalQuery, ProposalsDto, PublicArticleDto, PublicHotDto, QueryDemandDto, SearchQuery, SearchResults, Suggestions, SynonymBody,
    SynonymSetDto, TermBody, TermDto, VocabularyDto,
};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AsAdmin, AsArticleEditor};
use crate::extract::{Caller, JsonBody, order_number};
use crate::extract::{Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use hotline_app::App;
use hotline_app::knowledge::{ArticleListRequest, ArticleResult, SearchRequest};
use hotline_domain::knowledge::{ArticleAction, ArticleInput, ArticleStatus, Visibility};
use hotline_domain::{ArticleId, CategoryId, FieldError, Reason, UnitId, ValidationErrors};

const DEFAULT_LIMIT: usize = 10;

fn opt_id(field: &str, raw: Option<&str>) -> Result<Option<i64>, FieldError> {
    raw.map(str::trim).filter(|s| !s.is_empty()).map(|s| id(field, s)).transpose()
}

fn date(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>, FieldError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| FieldError::new(field, format!("{s:?} is not a date like 2026-11-28")))
        })
        .transpose()
}

fn search_request(app: &App, q: &SearchQuery) -> Result<SearchRequest, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let text = q.q.as_deref().unwrap_or("").trim().to_owned();
    if text.is_empty() {
        errors.push(FieldError::new("q", "is required: the words to search for"));
    } else if text.chars().count() > 200 {
        errors.push(FieldError::new("q", "is longer than 200 characters"));
    }
    let department = errors.collect(opt_id("department", q.department.as_deref())).flatten().map(UnitId);
    let category = errors.collect(opt_id("category", q.category.as_deref())).flatten().map(CategoryId);
    let town = match q.town.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => errors.collect(app.orders.town(code).map_err(|_| FieldError::new("town", format!("no town with the code {code:?}")))),
    };
    let visibility = match q.visibility.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => errors.collect(Visibility::parse(v).map_err(|e| e.within("visibility"))),
    };
    let limit = errors.collect(limit(q.limit.as_deref(), DEFAULT_LIMIT, 50));
    errors.into_result()?;
    Ok(SearchRequest { text, department, category, town, visibility, limit: limit.unwrap_or(DEFAULT_LIMIT) })
}

fn hit_dto(r: ArticleResult) -> ArticleHitDto {
    ArticleHitDto {
        id: r.hit.id.to_string(),
        title: r.hit.title,
        snippet: r.hit.snippet,
        score: r.hit.score,
        department: r.department,
        department_id: r.hit.owner.map(|u| u.to_string()),
        category: r.category_path,
        category_id: r.hit.category.map(|c| c.to_string()),
        answer: r.hit.answer,
        visibility: r.hit.visibility.as_str().to_owned(),
    }
}

/// Staff search over live articles (internal and public) in force today.
#[utoipa::path(get, path = "/api/v1/kb/search", tag = "knowledge", params(SearchQuery), security(("bearer" = [])),
    responses((status = 200, body = SearchResults<ArticleHitDto>), (status = 422, body = ErrorBody)))]
pub async fn search(State(app): State<App>, Caller(desk): Caller, Query(q): Query<SearchQuery>) -> Handled<SearchResults<ArticleHitDto>> {
    let request = search_request(&app, &q)?;
    let results = app.search.search_articles(&desk, &request)?;
    Ok(Json(SearchResults { results: results.into_iter().map(hit_dto).collect() }))
}

/// Titles for what is being typed.
#[utoipa::path(get, path = "/api/v1/kb/suggest", tag = "knowledge", params(SearchQuery), security(("bearer" = [])),
    responses((status = 200, body = Suggestions)))]
pub async fn suggest(State(app): State<App>, Caller(_desk): Caller, Query(q): Query<SearchQuery>) -> Handled<Suggestions> {
    let request = search_request(&app, &SearchQuery { limit: q.limit.clone().or(Some("8".into())), ..q })?;
    Ok(Json(Suggestions { suggestions: app.search.suggest(&request, false)? }))
}

/// The portal's search: public, published articles in force. Rate-limited per client.
#[utoipa::path(get, path = "/api/v1/public/kb/search", tag = "portal", params(SearchQuery),
    responses((status = 200, body = SearchResults<ArticleHitDto>), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn public_search(State(app): State<App>, Query(q): Query<SearchQuery>) -> Handled<SearchResults<ArticleHitDto>> {
    let request = search_request(&app, &q)?;
    let results = app.search.search_public(&request)?;
    Ok(Json(SearchResults { results: results.into_iter().map(hit_dto).collect() }))
}

#[utoipa::path(get, path = "/api/v1/public/kb/suggest", tag = "portal", params(SearchQuery),
    responses((status = 200, body = Suggestions), (status = 429, body = ErrorBody)))]
pub async fn public_suggest(State(app): State<App>, Query(q): Query<SearchQuery>) -> Handled<Suggestions> {
    let request = search_request(&app, &SearchQuery { limit: q.limit.clone().or(Some("8".into())), ..q })?;
    Ok(Json(Suggestions { suggestions: app.search.suggest(&request, true)? }))
}

/// A public article for the portal.
#[utoipa::path(get, path = "/api/v1/public/kb/articles/{id}", tag = "portal", params(("id" = String, Path)),
    responses((status = 200, body = PublicArticleDto), (status = 404, body = ErrorBody)))]
pub async fn public_article(State(app): State<App>, Path(raw): Path<String>) -> Handled<PublicArticleDto> {
    let article = app.knowledge.get_public(ArticleId(id("id", &raw)?)).await?;
    let org = app.directory.snapshot();
    Ok(Json(PublicArticleDto {
        id: raw,
        title: article.title.to_string(),
        body: article.body.to_string(),
        answer: article.answer().to_string(),
        department: article.owner.map(|u| org.unit_name(u)),
        category: article.category.map(|c| org.category_path(c).display()),
        source: article.source.as_ref().map(|s| s.to_string()),
        effective_from: article.effective_from,
        expires_on: article.expires_on,
    }))
}

/// The hot-topics feed: the most asked questions with their published answers.
#[utoipa::path(get, path = "/api/v1/public/kb/hot", tag = "portal", params(HotQuery), responses((status = 200, body = PublicHotDto)))]
pub async fn public_hot(State(app): State<App>, Query(q): Query<HotQuery>) -> Handled<PublicHotDto> {
    let (days, limit) = hot_params(&q)?;
    let topics = app.knowledge.hot_topics(true, days, limit).await?;
    Ok(Json(PublicHotDto { days, topics: crate::dto::all(topics) }))
}

fn hot_params(q: &HotQuery) -> Result<(u32, usize), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let days = errors.collect(limit(q.days.as_deref(), 7, 366).map_err(|e| FieldError::new("days", e.message)));
    let limit = errors.collect(limit(q.limit.as_deref(), 10, 100));
    errors.into_result()?;
    Ok((days.unwrap_or(7) as u32, limit.unwrap_or(10)))
}

/// Hot topics (internal articles included) and the most frequent searches.
#[utoipa::path(get, path = "/api/v1/kb/hot", tag = "knowledge", params(HotQuery), security(("bearer" = [])), responses((status = 200, body = HotDto)))]
pub async fn hot(State(app): State<App>, Caller(_desk): Caller, Query(q): Query<HotQuery>) -> Handled<HotDto> {
    let (days, limit) = hot_params(&q)?;
    let topics = app.knowledge.hot_topics(false, days, limit).await?;
    let queries = app.knowledge.hot_queries(days, limit).await?;
    let queries = queries.into_iter().map(|q| QueryDemandDto { topic: q.topic, query: q.query, searches: q.searches }).collect();
    Ok(Json(HotDto { days, topics: crate::dto::all(topics), queries }))
}

/// Similar past work orders and the replies they got; unit staff find only their unit's.
#[utoipa::path(get, path = "/api/v1/work-orders/search", tag = "work orders", params(SearchQuery), security(("bearer" = [])),
    responses((status = 200, body = SearchResults<OrderHitDto>), (status = 422, body = ErrorBody)))]
pub async fn search_orders(
    State(app): State<App>,
    Caller(desk): Caller,
    Query(q): Query<SearchQuery>,
) -> Handled<SearchResults<OrderHitDto>> {
    let request = search_request(&app, &q)?;
    let org = app.directory.snapshot();
    let tz = super::tz(&app);
    let results = app
        .search
        .search_orders(&desk, &request)?
        .into_iter()
        .map(|h| OrderHitDto {
            id: h.id.to_string(),
            number: h.number.to_string(),
            subject: h.subject,
            snippet: h.snippet,
            public_reply: h.public_reply,
            score: h.score,
            state: h.state.as_str().to_owned(),
            category_id: h.category.to_string(),
            category: org.category_path(h.category).display(),
            town: h.town.map(|t| org.unit_name(t)),
            created_at: h.created_at.with_timezone(&tz).to_rfc3339(),
        })
        .collect();
    Ok(Json(SearchResults { results }))
}

fn article_input(body: ArticleBodyDto, default_owner: Option<UnitId>) -> Result<ArticleInput, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let owner = errors.collect(opt_id("owner_id", body.owner_id.as_deref())).flatten().map(UnitId).or(default_owner);
    let category = errors.collect(opt_id("category_id", body.category_id.as_deref())).flatten().map(CategoryId);
    let towns: Vec<UnitId> = body.town_ids.iter().filter_map(|t| errors.collect(id("town_ids", t)).map(UnitId)).collect();
    let effective_from = errors.collect(date("effective_from", body.effective_from.as_deref())).flatten();
    let expires_on = errors.collect(date("expires_on", body.expires_on.as_deref())).flatten();
    let visibility = match body.visibility.as_deref() {
        None => None,
        Some(v) => errors.collect(Visibility::parse(v).map_err(|e| e.within("visibility"))),
    };
    errors.into_result()?;
    Ok(ArticleInput {
        title: body.title,
        body: body.body,
        script: body.script,
        owner,
        category,
        keywords: body.keywords,
        towns,
        source: body.source,
        effective_from,
        expires_on,
        visibility,
    })
}

/// Writes a new article as a draft. Unit staff write for their own unit.
#[utoipa::path(post, path = "/api/v1/kb/articles", tag = "knowledge", request_body = ArticleBodyDto, security(("bearer" = [])),
    responses((status = 201, body = ArticleDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    AsArticleEditor(desk, editor): AsArticleEditor,
    JsonBody(body): JsonBody<ArticleBodyDto>,
) -> ApiResult<(StatusCode, Json<ArticleDto>)> {
    let own_unit = desk.principal().affiliation.unit();
    let record = app.knowledge.create(&editor, article_input(body, own_unit)?).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Writes a new version; the article returns to draft, its live version stays live.
#[utoipa::path(put, path = "/api/v1/kb/articles/{id}", tag = "knowledge", request_body = ArticleBodyDto, params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = ArticleDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(app): State<App>,
    AsArticleEditor(_desk, editor): AsArticleEditor,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<ArticleBodyDto>,
) -> Handled<ArticleDto> {
    let article = ArticleId(id("id", &raw)?);
    let revision = body.revision.ok_or_else(|| FieldError::new("revision", "is required: the revision you read"))?;
    let record = app.knowledge.edit(&editor, article, revision, article_input(body, None)?).await?;
    Ok(Json(record.into()))
}

/// An article with its live version; drafts only for their editors and the centre.
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}", tag = "knowledge", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ArticleDetailsDto), (status = 404, body = ErrorBody)))]
pub async fn get(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> Handled<ArticleDetailsDto> {
    let details = app.knowledge.get(&desk, ArticleId(id("id", &raw)?)).await?;
    Ok(Json(details.into()))
}

/// The editor's list: their unit's articles, or all for the centre; newest first.
#[utoipa::path(get, path = "/api/v1/kb/articles", tag = "knowledge", params(ArticleListQuery), security(("bearer" = [])),
    responses((status = 200, body = ArticlePageDto), (status = 403, body = ErrorBody)))]
pub async fn list(State(app): State<App>, Caller(desk): Caller, Query(q): Query<ArticleListQuery>) -> Handled<ArticlePageDto> {
    let editor = desk.article_editor()?;
    let mut errors = ValidationErrors::default();
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => errors.collect(ArticleStatus::parse(s).map_err(|e| e.within("status"))),
    };
    let expired = match q.expired.as_deref() {
        None => false,
        Some(s) => errors.collect(boolean("expired", s)).unwrap_or(false),
    };
    let before = errors.collect(opt_id("cursor", q.cursor.as_deref())).flatten().map(ArticleId);
    let limit = errors.collect(limit(q.limit.as_deref(), 50, 200)).unwrap_or(50);
    errors.into_result()?;
    let items = app.knowledge.list(&editor, ArticleListRequest { status, expired, before, limit: limit as u32 }).await?;
    let next = (items.len() == limit).then(|| items.last().map(|a| a.id.to_string())).flatten();
    Ok(Json(ArticlePageDto { items: crate::dto::all(items), next_cursor: next }))
}

/// Submit or retire (editors); approve, schedule, reject or retire (the centre's reviewer).
#[utoipa::path(post, path = "/api/v1/kb/articles/{id}/actions", tag = "knowledge", request_body = ArticleActionDto,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ArticleDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(app): State<App>,
    Caller(desk): Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<ArticleActionDto>,
) -> Handled<ArticleDto> {
    let article = ArticleId(id("id", &raw)?);
    let action = match body.action.as_str() {
        "submit" => ArticleAction::Submit,
        "retire" => ArticleAction::Retire,
        "approve" => ArticleAction::Approve { publish_at: body.publish_at.as_deref().map(|t| instant("publish_at", t)).transpose()? },
        "reject" => ArticleAction::Reject { reason: Reason::parse(body.reason.as_deref().unwrap_or("")).map_err(|e| e.within("reason"))? },
        other => {
            return Err(FieldError::new("action", format!("unknown action {other:?}; expected submit, approve, reject or retire")).into());
        }
    };
    let record = match action {
        ArticleAction::Submit => app.knowledge.act_as_editor(&desk.article_editor()?, article, body.revision, action).await?,
        // The centre's reviewer may retire any article; an editor their own.
        ArticleAction::Retire if desk.article_reviewer().is_err() => {
            app.knowledge.act_as_editor(&desk.article_editor()?, article, body.revision, action).await?
        }
        _ => app.knowledge.review(&desk.article_reviewer()?, article, body.revision, action).await?,
    };
    Ok(Json(record.into()))
}

/// Every version of an article.
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}/versions", tag = "knowledge", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<VersionDto>), (status = 404, body = ErrorBody)))]
pub async fn versions(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> Handled<Vec<VersionDto>> {
    Ok(Json(crate::dto::all(app.knowledge.versions(&desk, ArticleId(id("id", &raw)?)).await?)))
}

/// What changed between two versions, field by field, line by line.
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}/diff", tag = "knowledge", params(("id" = String, Path), DiffQuery),
    security(("bearer" = [])), responses((status = 200, body = DiffDto), (status = 422, body = ErrorBody)))]
pub async fn diff(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>, Query(q): Query<DiffQuery>) -> Handled<DiffDto> {
    let article = ArticleId(id("id", &raw)?);
    let version = |field: &str, v: Option<&str>| -> Result<i32, FieldError> {
        v.and_then(|s| s.trim().parse().ok()).ok_or_else(|| FieldError::new(field, "is required: a version number"))
    };
    let (from, to) = (version("from", q.from.as_deref())?, version("to", q.to.as_deref())?);
    Ok(Json(DiffDto { from, to, fields: crate::dto::all(app.knowledge.diff(&desk, article, from, to).await?) }))
}

/// Records that an article answered this work order (for hot topics).
#[utoipa::path(post, path = "/api/v1/work-orders/{number}/articles", tag = "knowledge", request_body = LinkBody,
    params(("number" = String, Path)), security(("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn link(
    State(app): State<App>,
    Caller(desk): Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<LinkBody>,
) -> ApiResult<StatusCode> {
    let number = order_number(&raw)?;
    let article = ArticleId(id("article_id", &body.article_id)?);
    app.knowledge.link(&desk, &app.orders, &number, article).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The custom dictionary and synonym sets.
#[utoipa::path(get, path = "/api/v1/kb/vocabulary", tag = "knowledge", security(("bearer" = [])), responses((status = 200, body = VocabularyDto)))]
pub async fn vocabulary(State(app): State<App>, Caller(_desk): Caller) -> Handled<VocabularyDto> {
    let vocabulary = app.knowledge.vocabulary().await?;
    Ok(Json(VocabularyDto { terms: vocabulary.terms, synonyms: crate::dto::all(vocabulary.synonyms) }))
}

#[utoipa::path(post, path = "/api/v1/kb/vocabulary/terms", tag = "knowledge", request_body = TermBody, security(("bearer" = [])),
    responses((status = 201, body = TermDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_term(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(body): JsonBody<TermBody>,
) -> ApiResult<(StatusCode, Json<TermDto>)> {
    let term = app.knowledge.add_term(&admin, &body.term).await?;
    Ok((StatusCode::CREATED, Json(TermDto { term })))
}

#[utoipa::path(delete, path = "/api/v1/kb/vocabulary/terms/{term}", tag = "knowledge", params(("term" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_term(State(app): State<App>, Caller(desk): Caller, Path(term): Path<String>) -> ApiResult<StatusCode> {
    app.knowledge.remove_term(&desk.admin()?, &term).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/kb/vocabulary/synonyms", tag = "knowledge", request_body = SynonymBody, security(("bearer" = [])),
    responses((status = 201, body = SynonymSetDto), (status = 422, body = ErrorBody)))]
pub async fn add_synonyms(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(body): JsonBody<SynonymBody>,
) -> ApiResult<(StatusCode, Json<SynonymSetDto>)> {
    let set = app.knowledge.add_synonyms(&admin, &body.words).await?;
    // The linkage rules match through the synonyms too: at once here, on
    // other nodes at their next reading of the rules.
    app.emergency.load_rules().await?;
    Ok((StatusCode::CREATED, Json(set.into())))
}

/// Synonyms learned from answered orders, for an editor to accept (as a
/// synonym set) or dismiss.
#[utoipa::path(get, path = "/api/v1/kb/vocabulary/proposals", tag = "knowledge", params(ProposalQuery), security(("bearer" = [])),
    responses((status = 200, body = ProposalsDto), (status = 403, body = ErrorBody)))]
pub async fn proposals(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin, Query(q): Query<ProposalQuery>) -> Handled<ProposalsDto> {
    let limit = limit(q.limit.as_deref(), 50, 200)?;
    Ok(Json(ProposalsDto { proposals: crate::dto::all(app.knowledge.synonym_proposals(&admin, limit).await?) }))
}

/// Turns a synonym proposal down: it is not proposed again.
#[utoipa::path(post, path = "/api/v1/kb/vocabulary/proposals/dismissals", tag = "knowledge", request_body = DismissalBody,
    security(("bearer" = [])), responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn dismiss_proposal(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(body): JsonBody<DismissalBody>,
) -> ApiResult<StatusCode> {
    app.knowledge.dismiss_synonym(&admin, &body.word, &body.partner).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/kb/vocabulary/synonyms/{id}", tag = "knowledge", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_synonyms(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> ApiResult<StatusCode> {
    app.knowledge.remove_synonyms(&desk.admin()?, id("id", &raw)?).await?;
    app.emergency.load_rules().await?;
    Ok(StatusCode::NO_CONTENT)
}
