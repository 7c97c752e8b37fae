//! The one error type of the application layer. The HTTP server maps each
//! variant to one status code (see `hotline-http`'s `error.rs`).

use crate::ports::StoreError;
use hotline_domain::{Action, FieldError, LifecycleError, State, ValidationErrors};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Input that names the fields at fault.
    #[error(transparent)]
    Invalid(ValidationErrors),
    /// The action does not exist in the order's state.
    #[error("{action} is not allowed when the order is {state}")]
    NotAllowed { action: Action, state: State, allowed: Vec<Action> },
    /// Someone else changed the record first, or a unique key is taken.
    #[error("{message}")]
    Conflict { message: String, current_version: Option<i64> },
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Too many attempts; try again later.
    #[error("{0}")]
    TooManyRequests(String),
    /// The database (or another backend) failed; nothing was written.
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(ValidationErrors::single(field, message))
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        Self::Invalid(e)
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(e.into())
    }
}

impl From<LifecycleError> for AppError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::NotAllowed { action, state, allowed } => Self::NotAllowed { action, state, allowed },
            LifecycleError::Forbidden(m) => Self::Forbidden(m),
            LifecycleError::Invalid(errors) => Self::Invalid(errors),
            LifecycleError::Calendar(c) => Self::Unavailable(format!("the working-day calendar cannot compute the deadline: {c}")),
        }
    }
}

/// Staffing inputs a planner typed: each names its field.
impl From<hotline_callcentre::staffing::StaffingError> for AppError {
    fn from(e: hotline_callcentre::staffing::StaffingError) -> Self {
        AppError::invalid(e.field(), e.message())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionConflict { current } => Self::Conflict {
                message: format!("the order was changed by someone else; it is now at version {current}; reload and try again"),
                current_version: Some(current),
            },
            StoreError::Duplicate(what) => Self::Conflict { message: format!("{what} already exists"), current_version: None },
            StoreError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            StoreError::Backend(m) => Self::Unavailable(m),
            contention @ StoreError::Contention(_) => Self::Unavailable(contention.to_string()),
        }
    }
}
