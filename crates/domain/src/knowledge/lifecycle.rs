//! The review workflow of an article. Departments write, the centre reviews
//! before anything is published; the published version stays live while a
//! newer one is being edited and reviewed.
//!
//! ```text
//! edit ──▶ draft ──submit──▶ in_review ──approve──▶ published ──retire──▶ retired
//!            ▲                  │   └──approve(later)──▶ scheduled ──(due)──▶ published
//!            └─────reject───────┘
//! ```
//! Editing in any state writes a new version and returns the article to
//! draft; the live version (if any) keeps answering until another is approved.

use crate::text::Reason;
use crate::vocabulary::vocabulary;
use chrono::{DateTime, Utc};
use serde::Serialize;

vocabulary!(
    /// Where the newest version of an article stands.
    ArticleStatus, "article status" {
        /// 草稿: being written or corrected.
        Draft = "draft", "草稿";
        /// 待审核: waiting for the centre's review.
        InReview = "in_review", "待审核";
        /// 待发布: approved, to be published at a set time.
        Scheduled = "scheduled", "定时发布";
        /// 已发布: the newest version is live.
        Published = "published", "已发布";
        /// 已下线: withdrawn; nothing is live.
        Retired = "retired", "已下线";
    }
);

/// The capacity in which someone acts on an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleRole {
    /// The owner unit's staff, or the centre's editors.
    Editor,
    /// The centre's reviewer.
    Reviewer,
    /// The platform itself (scheduled publication).
    System,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArticleAction {
    Submit,
    /// Publish now, or at `publish_at` when that is later.
    Approve {
        publish_at: Option<DateTime<Utc>>,
    },
    Reject {
        reason: Reason,
    },
    Retire,
    /// A scheduled publication whose time has come.
    PublishDue,
}

impl ArticleAction {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Approve { .. } => "approve",
            Self::Reject { .. } => "reject",
            Self::Retire => "retire",
            Self::PublishDue => "publish_due",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    #[error("{action} is not allowed when the article is {status}")]
    NotAllowed { action: &'static str, status: ArticleStatus },
    #[error("{0}")]
    Forbidden(String),
}

/// The workflow part of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleState {
    pub status: ArticleStatus,
    /// The newest version (1, 2, …).
    pub version: i32,
    /// The version readers see; `None` when nothing is published.
    pub live_version: Option<i32>,
    /// When a scheduled version goes live.
    pub publish_at: Option<DateTime<Utc>>,
    /// Why the last review sent it back.
    pub review_note: Option<String>,
}

impl ArticleState {
    /// A new article: version 1, a draft.
    pub fn new() -> Self {
        Self { status: ArticleStatus::Draft, version: 1, live_version: None, publish_at: None, review_note: None }
    }

    /// Editing writes the next version and returns the article to draft.
    pub fn edited(&self) -> Self {
        Self { status: ArticleStatus::Draft, version: self.version + 1, publish_at: None, ..self.clone() }
    }

    /// The state after `action`, or why it cannot be taken.
    pub fn apply(&self, action: &ArticleAction, role: ArticleRole, now: DateTime<Utc>) -> Result<Self, ArticleError> {
        use ArticleStatus::*;
        let allowed_roles: &[ArticleRole] = match action {
            ArticleAction::Submit | ArticleAction::Retire => &[ArticleRole::Editor, ArticleRole::Reviewer],
            ArticleAction::Approve { .. } | ArticleAction::Reject { .. } => &[ArticleRole::Reviewer],
            ArticleAction::PublishDue => &[ArticleRole::System],
        };
        if !allowed_roles.contains(&role) {
            return Err(ArticleError::Forbidden(format!("{} needs the centre's reviewer", action.name())));
        }
        let refuse = || Err(ArticleError::NotAllowed { action: action.name(), status: self.status });
        let mut next = self.clone();
        match (action, self.status) {
            (ArticleAction::Submit, Draft) => {
                next.status = InReview;
                next.review_note = None;
            }
            (ArticleAction::Approve { publish_at }, InReview) => match publish_at {
                Some(at) if *at > now => {
                    next.status = Scheduled;
                    next.publish_at = Some(*at);
                }
                _ => {
                    next.status = Published;
                    next.live_version = Some(self.version);
                }
            },
            (ArticleAction::Reject { reason }, InReview) => {
                next.status = Draft;
                next.review_note = Some(reason.to_string());
            }
            (ArticleAction::Retire, Retired) => return refuse(),
            (ArticleAction::Retire, _) if self.live_version.is_some() || self.status == Scheduled => {
                next.status = Retired;
                next.live_version = None;
                next.publish_at = None;
            }
            (ArticleAction::PublishDue, Scheduled) if self.publish_at.is_some_and(|at| at <= now) => {
                next.status = Published;
                next.live_version = Some(self.version);
                next.publish_at = None;
            }
            _ => return refuse(),
        }
        Ok(next)
    }
}

impl Default for ArticleState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
    }

    fn published() -> ArticleState {
        let s = ArticleState::new().apply(&ArticleAction::Submit, ArticleRole::Editor, now()).unwrap();
        s.apply(&ArticleAction::Approve { publish_at: None }, ArticleRole::Reviewer, now()).unwrap()
    }

    #[test]
    fn approval_publishes_the_reviewed_version() {
        let s = published();
        assert_eq!((s.status, s.live_version), (ArticleStatus::Published, Some(1)));
    }

    #[test]
    fn only_the_reviewer_approves() {
        let s = ArticleState::new().apply(&ArticleAction::Submit, ArticleRole::Editor, now()).unwrap();
        let e = s.apply(&ArticleAction::Approve { publish_at: None }, ArticleRole::Editor, now()).unwrap_err();
        assert!(matches!(e, ArticleError::Forbidden(_)));
    }

    #[test]
    fn editing_a_published_article_keeps_the_live_version_until_approved() {
        let edited = published().edited();
        assert_eq!((edited.status, edited.version, edited.live_version), (ArticleStatus::Draft, 2, Some(1)));
        let reviewed = edited.apply(&ArticleAction::Submit, ArticleRole::Editor, now()).unwrap();
        let live = reviewed.apply(&ArticleAction::Approve { publish_at: None }, ArticleRole::Reviewer, now()).unwrap();
        assert_eq!(live.live_version, Some(2));
    }

    #[test]
    fn rejection_returns_to_draft_with_the_reason() {
        let s = ArticleState::new().apply(&ArticleAction::Submit, ArticleRole::Editor, now()).unwrap();
        let reason = Reason::parse("依据文件已废止").unwrap();
        let r = s.apply(&ArticleAction::Reject { reason }, ArticleRole::Reviewer, now()).unwrap();
        assert_eq!((r.status, r.review_note.as_deref()), (ArticleStatus::Draft, Some("依据文件已废止")));
    }

    #[test]
    fn scheduled_publication_waits_for_its_time() {
        let at = now() + Duration::hours(2);
        let s = ArticleState::new().apply(&ArticleAction::Submit, ArticleRole::Editor, now()).unwrap();
        let s = s.apply(&ArticleAction::Approve { publish_at: Some(at) }, ArticleRole::Reviewer, now()).unwrap();
        assert_eq!((s.status, s.live_version), (ArticleStatus::Scheduled, None));
        assert!(s.apply(&ArticleAction::PublishDue, ArticleRole::System, now()).is_err());
        let live = s.apply(&ArticleAction::PublishDue, ArticleRole::System, at).unwrap();
        assert_eq!((live.status, live.live_version, live.publish_at), (ArticleStatus::Published, Some(1), None));
    }

    #[test]
    fn retiring_takes_the_live_version_down_and_needs_one() {
        let r = published().apply(&ArticleAction::Retire, ArticleRole::Editor, now()).unwrap();
        assert_eq!((r.status, r.live_version), (ArticleStatus::Retired, None));
        assert!(r.apply(&ArticleAction::Retire, ArticleRole::Editor, now()).is_err());
        let e = ArticleState::new().apply(&ArticleAction::Retire, ArticleRole::Editor, now()).unwrap_err();
        assert_eq!(e, ArticleError::NotAllowed { action: "retire", status: ArticleStatus::Draft });
    }
}
