//! The domain of a 12345 government service hotline.
//!
//! Everything here is plain Rust: no I/O, no clock, no database. Callers pass
//! the current time and the configured rules in, and get decisions out, so the
//! rules can be tested to the second and reused by every adapter (HTTP,
//! storage, the demo generator, later the call centre and SIP gateway).
//!
//! Input from outside is parsed into the types of this crate once, at the
//! edge ([`PhoneNumber`], [`WorkOrderNo`], [`Subject`] …): a value of one of
//! these types is valid by construction and is never checked again.

pub mod calendar;
pub mod category;
pub mod consultant;
pub mod danger;
pub mod deadline;
pub mod duplicate;
pub mod emergency;
pub mod external_ref;
pub mod geo;
pub mod holiday_cn;
pub mod ids;
pub mod knowledge;
pub mod kpi;
pub mod media_url;
pub mod order_no;
pub mod org;
pub mod partner;
pub mod phone;
pub mod redact;
pub mod sms;
pub mod surge;
pub mod text;
pub mod topic_surge;
pub mod topics;
pub mod validation;
mod vocabulary;
pub mod watch;
pub mod work_order;

pub use calendar::{CalendarDay, CalendarError, TimeLeft, WorkCalendar};
pub use category::{CatalogueEntry, CatalogueTarget, Category, CategoryPath, DispatchCatalogue, DispatchProposal};
pub use consultant::{Certification, ConsultantProfile, GENERAL_SKILL, Training, TrainingKind};
pub use deadline::{DeadlineException, DeadlineRules, DeadlineSpan};
pub use external_ref::ExternalRef;
pub use geo::Coordinates;
pub use ids::{ArticleId, AttachmentId, CategoryId, NoticeId, OrderId, UnitId, UserId};
pub use media_url::MediaUrl;
pub use order_no::{OrderNoPrefix, WorkOrderNo};
pub use org::{Actor, Affiliation, IntegrationMode, Role, RoleSet, Unit, UnitKind};
pub use partner::ApiScope;
pub use phone::PhoneNumber;
pub use text::{
    AnswerScript, ArticleBody, ArticleTitle, BoundedText, CourseName, Description, PersonName, Reason, SourceDocument, Subject,
};
pub use validation::{FieldError, ValidationErrors};
pub use work_order::*;
