//! The knowledge base (知识库): articles that answer citizens' questions,
//! maintained by the departments that own them, reviewed by the centre, and
//! kept as versions.
//!
//! - [`article`]: what an article says, parsed and checked at the edge.
//! - [`lifecycle`]: draft → in review → (scheduled →) published → retired,
//!   and which role may take each step.
//! - [`diff`]: what changed between two versions, field by field.
//! - [`evidence`]: what the orders an article answered teach the search.

pub mod article;
pub mod diff;
pub mod evidence;
pub mod lifecycle;

pub use article::{ArticleContent, ArticleInput, Keywords, Region, Visibility};
pub use diff::{DiffLine, DiffOp, FieldDiff, diff};
pub use lifecycle::{ArticleAction, ArticleError, ArticleRole, ArticleState, ArticleStatus};
