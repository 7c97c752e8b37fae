//! Who is asking, and what they may see: access control as types.
//!
//! A [`Desk`] is the only way into order queries and actions. It is built by
//! [`Access::open`] from an authenticated [`Principal`], which fixes its
//! scope once: the centre sees every order; a unit's user sees the orders
//! their unit or one of its sub-units holds or held. Admin work needs an
//! [`AdminDesk`], obtainable only from a desk whose user holds the role.

use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ports::StoreScope;
use hotline_domain::{Actor, Affiliation, Role, RoleSet, UnitId, UserId, Viewer};
use serde::Serialize;
use std::sync::Arc;

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user: UserId,
    pub username: String,
    pub display_name: String,
    pub affiliation: Affiliation,
    pub roles: RoleSet,
}

/// Builds desks; holds the organisation tree to compute unit scopes.
#[derive(Clone)]
pub struct Access {
    directory: Arc<Directory>,
}

impl Access {
    pub fn new(directory: Arc<Directory>) -> Self {
        Self { directory }
    }

    pub fn open(&self, principal: Principal) -> Desk {
        let scope = match principal.affiliation {
            Affiliation::Centre => StoreScope::All,
            Affiliation::Unit(unit) => StoreScope::Units(self.directory.snapshot().unit_and_descendants(unit).into()),
        };
        Desk { principal, scope }
    }
}

/// A caller's scoped view of the platform.
#[derive(Debug, Clone)]
pub struct Desk {
    principal: Principal,
    scope: StoreScope,
}

impl Desk {
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn user(&self) -> UserId {
        self.principal.user
    }

    pub fn actor(&self) -> Actor {
        Actor { user: self.principal.user, affiliation: self.principal.affiliation, roles: self.principal.roles }
    }

    pub fn scope(&self) -> &StoreScope {
        &self.scope
    }

    pub fn is_centre(&self) -> bool {
        self.principal.affiliation == Affiliation::Centre
    }

    /// The caller's own unit and its sub-units; empty for the centre.
    pub fn units(&self) -> &[UnitId] {
        match &self.scope {
            StoreScope::All => &[],
            StoreScope::Units(units) => units,
        }
    }

    pub fn viewer(&self) -> Viewer {
        if self.is_centre() { Viewer::Centre } else { Viewer::Unit }
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.principal.roles.contains_any(roles)
    }

    /// Fails unless the caller holds one of the roles.
    pub fn require(&self, roles: &[Role], what: &str) -> AppResult<()> {
        if self.has_any(roles) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(AppError::Forbidden(format!("{what} needs one of the roles {}", names.join(", "))))
        }
    }

    /// The desk of a system administrator.
    pub fn admin(&self) -> AppResult<AdminDesk> {
        self.require(&[Role::SystemAdmin], "administration")?;
        Ok(AdminDesk { user: Some(self.user()), limited_to: None })
    }

    /// The desk of a system administrator, or of a unit administrator limited
    /// to their own unit and its sub-units.
    pub fn user_admin(&self) -> AppResult<AdminDesk> {
        if self.has_any(&[Role::SystemAdmin]) {
            return self.admin();
        }
        self.require(&[Role::UnitAdmin], "managing users and sub-units")?;
        let units: Arc<[UnitId]> = self.units().into();
        Ok(AdminDesk { user: Some(self.user()), limited_to: Some(units) })
    }

    /// Someone who writes knowledge-base articles: a unit's handlers and
    /// administrators for their unit's articles, the centre's reviewers and
    /// administrators for any.
    pub fn article_editor(&self) -> AppResult<ArticleEditor> {
        if self.is_centre() {
            self.require(&[Role::Reviewer, Role::SystemAdmin], "editing knowledge articles")?;
            Ok(ArticleEditor { user: self.user(), limited_to: None })
        } else {
            self.require(&[Role::Handler, Role::UnitAdmin], "editing knowledge articles")?;
            Ok(ArticleEditor { user: self.user(), limited_to: Some(self.units().into()) })
        }
    }

    /// The centre's reviewer of knowledge articles (审核发布).
    pub fn article_reviewer(&self) -> AppResult<ArticleReviewer> {
        if !self.is_centre() {
            return Err(AppError::Forbidden("only the centre reviews and publishes knowledge articles".into()));
        }
        self.require(&[Role::Reviewer, Role::SystemAdmin], "reviewing knowledge articles")?;
        Ok(ArticleReviewer { user: self.user() })
    }

    /// Auditors and system administrators read the audit log.
    pub fn auditor(&self) -> AppResult<()> {
        self.require(&[Role::Auditor, Role::SystemAdmin], "reading the audit log")
    }

    /// Fails unless the caller works in the centre itself.
    fn centre_only(&self, what: &str) -> AppResult<()> {
        if self.is_centre() { Ok(()) } else { Err(AppError::Forbidden(format!("only the centre's staff do {what}"))) }
    }

    /// Readers of deadline alerts: the centre's staff see every alert, a
    /// unit's staff the alerts of their unit and its sub-units.
    pub fn alert_reader(&self) -> AppResult<AlertReader> {
        if self.is_centre() {
            self.require(
                &[Role::Supervisor, Role::Dispatcher, Role::Reviewer, Role::Consultant, Role::SystemAdmin, Role::Auditor],
                "reading alerts",
            )?;
            // The centre's own alerts are marked read by those who act on
            // them, not by an auditor or an administrator looking on.
            let marks_centre = self.has_any(&[Role::Supervisor, Role::Dispatcher, Role::Reviewer, Role::Consultant]);
            Ok(AlertReader { user: self.user(), scope: StoreScope::All, marks_centre })
        } else {
            self.require(&[Role::Handler, Role::UnitAdmin], "reading alerts")?;
            Ok(AlertReader { user: self.user(), scope: StoreScope::Units(self.units().into()), marks_centre: false })
        }
    }

    /// The supervision desk (监察台): the centre's supervisors.
    pub fn supervisor(&self) -> AppResult<SupervisorDesk> {
        self.centre_only("supervision")?;
        self.require(&[Role::Supervisor, Role::SystemAdmin], "the supervision desk")?;
        Ok(SupervisorDesk { user: self.user() })
    }

    /// Readers of evaluation figures and rankings (绩效考核).
    pub fn evaluation(&self) -> AppResult<EvaluationView> {
        if self.is_centre() {
            self.require(
                &[Role::Supervisor, Role::SystemAdmin, Role::Auditor, Role::Reviewer, Role::Dispatcher],
                "reading evaluation figures",
            )?;
            Ok(EvaluationView { units: None })
        } else {
            self.require(&[Role::Handler, Role::UnitAdmin], "reading evaluation figures")?;
            Ok(EvaluationView { units: Some(self.units().into()) })
        }
    }

    /// A consultant at a seat of the centre: takes calls at the desk.
    pub fn seat(&self) -> AppResult<Seat> {
        self.centre_only("call-desk work")?;
        self.require(&[Role::Consultant], "taking calls at the desk")?;
        Ok(Seat { user: self.user(), name: self.principal.display_name.clone() })
    }

    /// Consultants and supervisors have a phone line: a SIP phone or their
    /// browser.
    pub fn phone_user(&self) -> AppResult<PhoneUser> {
        self.centre_only("a phone line")?;
        self.require(&PHONE_ROLES, "having a phone line at the call centre")?;
        Ok(PhoneUser { user: self.user() })
    }

    /// Consultants and supervisors work through callback tasks (回拨).
    pub fn callback_worker(&self) -> AppResult<CallbackWorker> {
        self.centre_only("callbacks")?;
        self.require(&[Role::Consultant, Role::Supervisor], "calling callers back")?;
        Ok(CallbackWorker { user: self.user() })
    }

    /// Supervisors, administrators and auditors read call records, figures
    /// and consultants' records.
    pub fn call_records(&self) -> AppResult<CallRecordsReader> {
        self.centre_only("reading call records")?;
        self.require(&[Role::Supervisor, Role::SystemAdmin, Role::Auditor], "reading call records")?;
        Ok(CallRecordsReader(()))
    }

    /// Readers of the centre's daily, weekly and monthly reports.
    pub fn report_reader(&self) -> AppResult<ReportReader> {
        self.centre_only("reading the centre's reports")?;
        self.require(&[Role::Supervisor, Role::SystemAdmin, Role::Auditor, Role::Reviewer, Role::Dispatcher], "reading reports")?;
        Ok(ReportReader(()))
    }

    /// The centre's staff see what citizens report most, every unit's
    /// orders grouped into hot topics.
    pub fn topic_reader(&self) -> AppResult<TopicReader> {
        self.centre_only("reading hot topics")?;
        self.require(&[Role::Consultant, Role::Dispatcher, Role::Supervisor, Role::Reviewer, Role::SystemAdmin], "reading hot topics")?;
        Ok(TopicReader(()))
    }

    /// Supervisors and system administrators keep consultants' training,
    /// certification and mentor records, and run the call simulator.
    pub fn call_centre_manager(&self) -> AppResult<CallCentreManager> {
        self.centre_only("managing the call centre")?;
        self.require(&[Role::Supervisor, Role::SystemAdmin], "managing the call centre")?;
        Ok(CallCentreManager { user: Some(self.user()) })
    }
}

/// Proof that the caller reads the hot topics, whose orders span every unit.
pub struct TopicReader(());

/// Proof that the caller reads the centre's reports, which include the
/// call centre's figures and every unit's.
pub struct ReportReader(());

impl ReportReader {
    pub(crate) fn call_records(&self) -> CallRecordsReader {
        CallRecordsReader(())
    }

    pub(crate) fn evaluation(&self) -> EvaluationView {
        EvaluationView::operator()
    }
}

/// What evaluation figures a caller may read: the centre's staff all of
/// them, a unit's staff their own unit's and sub-units' rows.
pub struct EvaluationView {
    units: Option<Arc<[UnitId]>>,
}

impl EvaluationView {
    /// The operator's view (benchmarks, command-line reports): everything.
    pub fn operator() -> Self {
        Self { units: None }
    }

    /// Unit staff read figures per unit or town only, and only their own.
    pub fn check_dimension(&self, by: hotline_domain::kpi::Dimension) -> AppResult<()> {
        use hotline_domain::kpi::Dimension;
        match (&self.units, by) {
            (Some(_), Dimension::Category | Dimension::Consultant) => {
                Err(AppError::Forbidden("a unit reads its own figures per unit or town; the centre reads the rest".into()))
            }
            _ => Ok(()),
        }
    }

    /// Whether a row keyed by a unit id (or other id) is the caller's to see.
    pub fn sees(&self, key: &str) -> bool {
        match &self.units {
            None => true,
            Some(units) => key.parse::<i64>().is_ok_and(|id| units.contains(&UnitId(id))),
        }
    }
}

/// Proof that the caller is a consultant of the centre.
pub struct Seat {
    user: UserId,
    name: String,
}

impl Seat {
    pub fn user(&self) -> UserId {
        self.user
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Who may have a phone (a SIP phone or their browser): consultants answer
/// calls on it, supervisors listen in on consultants' calls with it.
pub const PHONE_ROLES: [Role; 2] = [Role::Consultant, Role::Supervisor];

/// Proof that the caller may have a phone line (consultants, supervisors).
pub struct PhoneUser {
    user: UserId,
}

impl PhoneUser {
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// Proof that the caller works through callback tasks.
pub struct CallbackWorker {
    user: UserId,
}

impl CallbackWorker {
    pub fn user(&self) -> UserId {
        self.user
    }

    /// The same worker, for completing their callback after the call.
    pub(crate) fn of(user: UserId) -> Self {
        Self { user }
    }
}

/// Proof that the caller reads call records and figures.
pub struct CallRecordsReader(());

/// Proof that the caller keeps consultants' records.
pub struct CallCentreManager {
    user: Option<UserId>,
}

impl CallCentreManager {
    /// The operator at the command line (seeding, imports).
    pub fn operator() -> Self {
        Self { user: None }
    }

    /// The acting user; `None` for the operator.
    pub fn user(&self) -> Option<UserId> {
        self.user
    }
}

/// Proof that the caller may administer: everything, or one unit's subtree.
pub struct AdminDesk {
    user: Option<UserId>,
    limited_to: Option<Arc<[UnitId]>>,
}

/// Proof that the caller may read alerts, and of which units.
pub struct AlertReader {
    user: UserId,
    scope: StoreScope,
    marks_centre: bool,
}

impl AlertReader {
    pub fn user(&self) -> UserId {
        self.user
    }

    pub fn scope(&self) -> &StoreScope {
        &self.scope
    }

    /// Whether an alert addressed to `unit` (`None`: the centre) is for this reader.
    pub fn sees(&self, unit: Option<UnitId>) -> bool {
        match (&self.scope, unit) {
            (StoreScope::All, _) => true,
            (StoreScope::Units(units), Some(u)) => units.contains(&u),
            (StoreScope::Units(_), None) => false,
        }
    }

    /// Whether this reader is the alert's audience, whose "read" counts: a
    /// unit's alert is marked read by that unit (the centre watching it must
    /// not clear it from the unit's list), the centre's by its staff.
    pub fn marks(&self, unit: Option<UnitId>) -> bool {
        match (&self.scope, unit) {
            (StoreScope::Units(units), Some(u)) => units.contains(&u),
            (StoreScope::All, None) => self.marks_centre,
            _ => false,
        }
    }
}

/// Proof that the caller is one of the centre's supervisors.
pub struct SupervisorDesk {
    user: UserId,
}

impl SupervisorDesk {
    pub fn user(&self) -> UserId {
        self.user
    }
}

impl AdminDesk {
    /// The operator at the server's command line (`hotline user add` …):
    /// whoever holds the data directory and the database already has it all.
    pub fn operator() -> Self {
        Self { user: None, limited_to: None }
    }

    /// The acting user; `None` for the operator.
    pub fn user(&self) -> Option<UserId> {
        self.user
    }

    pub fn is_system_admin(&self) -> bool {
        self.limited_to.is_none()
    }

    /// Fails unless this admin may manage the given unit (`None`: the centre).
    pub fn check_unit(&self, unit: Option<UnitId>) -> AppResult<()> {
        match (&self.limited_to, unit) {
            (None, _) => Ok(()),
            (Some(units), Some(u)) if units.contains(&u) => Ok(()),
            _ => Err(AppError::Forbidden("a unit administrator manages only their own unit and its sub-units".into())),
        }
    }
}

/// Proof that the caller may write articles of some owners.
pub struct ArticleEditor {
    user: UserId,
    limited_to: Option<Arc<[UnitId]>>,
}

impl ArticleEditor {
    pub fn user(&self) -> UserId {
        self.user
    }

    /// Fails unless this editor may write articles owned by `owner`
    /// (`None`: the centre).
    pub fn check_owner(&self, owner: Option<UnitId>) -> AppResult<()> {
        match (&self.limited_to, owner) {
            (None, _) => Ok(()),
            (Some(units), Some(u)) if units.contains(&u) => Ok(()),
            _ => Err(AppError::Forbidden("a unit's staff edit only their own unit's articles".into())),
        }
    }

    /// The units whose articles this editor sees in lists; `None`: all.
    pub fn owners(&self) -> Option<&[UnitId]> {
        self.limited_to.as_deref()
    }
}

/// Proof that the caller reviews articles for the centre.
pub struct ArticleReviewer {
    user: UserId,
}

impl ArticleReviewer {
    pub fn user(&self) -> UserId {
        self.user
    }
}
