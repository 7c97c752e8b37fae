//! Work-order use cases: register, read, list, act, attach.

use crate::access::Desk;
use crate::attachments::{AttachmentPolicy, BlobStore, clean_file_name, sha256_hex};
use crate::audit::Auditor;
use crate::calendar::CalendarService;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::numbering::OrderNumbers;
use crate::ports::{
    Attached, AttachmentCaps, AttachmentRecord, IdempotencyClaim, InsertOutcome, OrderFilter, OrderStore, OrderSummary, OrgStore, Outbox,
    PageRequest, SettingStore, StoreScope,
};
use chrono::{DateTime, Duration, Utc};
use hotline_domain::{
    Action, AttachmentId, Caller, CallerView, CategoryId, CategoryPath, Channel, Command, Coordinates, DeadlineRules, DecisionContext,
    Description, DispatchProposal, HistoryEntry, Involvement, Location, MasterOrder, NewWorkOrder, NoticeId, OrderId, OrderType, Reason,
    Registration, Role, State, Subject, UnitId, Urgency, UserId, WorkOrder, WorkOrderNo, available_actions, decide, permit, register,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// A registration as it arrives, parsed except for references that need the
/// directory (the town's code).
#[derive(Debug, Clone, Serialize)]
pub struct RegisterRequest {
    pub channel: Channel,
    pub order_type: OrderType,
    pub category: CategoryId,
    pub urgency: Urgency,
    pub caller: Caller,
    pub town_code: Option<String>,
    pub address: Option<Subject>,
    pub coordinates: Option<Coordinates>,
    pub subject: Subject,
    pub description: Description,
    pub call_id: Option<String>,
    pub direct_answer: Option<Description>,
    /// Its number in the partner's system that submitted it.
    pub external_ref: Option<hotline_domain::ExternalRef>,
    pub media_url: Option<hotline_domain::MediaUrl>,
}

/// An action as requested. Merges and supervision notices need lookups or
/// new ids before they become domain commands.
#[derive(Debug, Clone)]
pub enum ActionRequest {
    Command(Command),
    Merge { master: WorkOrderNo },
    Supervise { text: Reason, due: Option<DateTime<Utc>> },
}

/// The master of a merged order, as its duplicates show it.
#[derive(Debug, Clone, Serialize)]
pub struct MasterView {
    pub number: WorkOrderNo,
    pub state: State,
    pub public_reply: Option<String>,
}

/// An order as one desk may see it. The raw caller is removed from `order`;
/// `caller` holds what this desk may see.
#[derive(Debug, Clone)]
pub struct OrderDetails {
    pub order: WorkOrder,
    pub caller: CallerView,
    pub actions: Vec<Action>,
    pub category: CategoryPath,
    pub master: Option<MasterView>,
    pub attachments: Vec<AttachmentRecord>,
    /// The centre's proposal for the lead unit, while it waits for dispatch.
    pub proposal: Option<DispatchProposal>,
}

/// A history line with the actor's name.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub entry: HistoryEntry,
    pub actor_name: String,
}

#[derive(Debug, Clone)]
pub struct Registered {
    pub details: OrderDetails,
    /// The create was a retry of an earlier one with the same key.
    pub replayed: bool,
}

pub struct WorkOrders {
    pub(crate) store: Arc<dyn OrderStore>,
    /// Deadline rules an administrator saved.
    pub(crate) settings: Arc<dyn SettingStore>,
    /// Names of the people in an order's history.
    pub(crate) users: Arc<dyn OrgStore>,
    /// Woken after every change, so the search index follows at once.
    pub(crate) changed: Arc<tokio::sync::Notify>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) numbers: OrderNumbers,
    pub(crate) calendar: Arc<CalendarService>,
    /// The configuration file's rules, or those an administrator saved.
    pub(crate) rules: std::sync::RwLock<DeadlineRules>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) auditor: Arc<Auditor>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) attachment_policy: AttachmentPolicy,
    /// Screens every new order for emergency linkage and surges.
    pub(crate) emergency: Arc<crate::emergency::Emergency>,
    /// Every registration and action, for live screens.
    pub(crate) live: tokio::sync::broadcast::Sender<OrderChange>,
    /// The other nodes' screens, through the relay when there is one.
    pub(crate) relay: crate::live::Relay,
    /// Units handled in their own case systems, whose changes are pushed.
    pub(crate) external: Arc<crate::external::Registry>,
    /// Texts to citizens, queued with the registration.
    pub(crate) texts: Arc<crate::sms::Texts>,
}

pub use crate::live::OrderChange;

pub const MAX_PAGE: u32 = 200;
/// The settings row of the deadline rules an administrator saved.
const DEADLINE_RULES_KEY: &str = "deadline_rules";
const IDEMPOTENCY_KEY_MAX: usize = 200;

fn target(number: &WorkOrderNo) -> String {
    format!("work_order:{number}")
}

impl WorkOrders {
    /// Registrations and actions from now on, on every node.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<OrderChange> {
        self.live.subscribe()
    }

    /// A change made here, for this node's screens and the other nodes'.
    fn announce(&self, change: OrderChange) {
        // Nobody listening is fine: the change is stored.
        let _ = self.live.send(change.clone());
        self.relay.publish(|| crate::live::LiveEvent::Order(change));
    }

    /// A change another node made, for this node's screens.
    pub fn hear(&self, change: OrderChange) {
        let _ = self.live.send(change);
    }

    /// The deadline rules in force now.
    pub fn rules(&self) -> DeadlineRules {
        self.rules.read().expect("deadline rules lock").clone()
    }

    /// Replaces the rules for orders registered and changed from now on
    /// (deadlines already set stay), saved so they survive restarts.
    pub async fn set_rules(&self, admin: &crate::access::AdminDesk, rules: DeadlineRules) -> AppResult<DeadlineRules> {
        if !admin.is_system_admin() {
            return Err(AppError::Forbidden("only a system administrator changes the deadline rules".into()));
        }
        rules.check()?;
        let json = serde_json::to_string(&rules).map_err(|e| AppError::Unavailable(format!("the rules cannot be written: {e}")))?;
        let audit =
            self.auditor.record(admin.user(), "deadline_rules.update", "deadline_rules", serde_json::to_value(&rules).unwrap_or_default());
        self.settings.put_setting(DEADLINE_RULES_KEY, &json, self.clock.now(), &audit).await?;
        *self.rules.write().expect("deadline rules lock") = rules.clone();
        Ok(rules)
    }

    /// Takes up rules an administrator saved (here or on another node), if any.
    pub async fn load_saved_rules(&self) -> AppResult<()> {
        if let Some(json) = self.settings.setting(DEADLINE_RULES_KEY).await? {
            let rules: DeadlineRules = serde_json::from_str(&json).map_err(|e| {
                AppError::Unavailable(format!(
                    "the saved deadline rules cannot be read ({e}); fix or delete settings row {DEADLINE_RULES_KEY:?}"
                ))
            })?;
            *self.rules.write().expect("deadline rules lock") = rules;
        }
        Ok(())
    }

    /// The completion date an order of this type and urgency registered now
    /// would be promised: what the consultant tells the caller.
    pub fn promised_due(&self, order_type: hotline_domain::OrderType, urgency: hotline_domain::Urgency) -> AppResult<DateTime<Utc>> {
        let now = self.clock.now();
        let calendar = self.calendar.snapshot();
        let rules = self.rules();
        Ok(self
            .context(&calendar, &rules, now)
            .completion_due(order_type, urgency, now)
            .map_err(hotline_domain::LifecycleError::Calendar)?)
    }

    /// The next order number for a registration on `date` (local).
    pub async fn next_number(&self, date: chrono::NaiveDate) -> AppResult<WorkOrderNo> {
        self.numbers.next(date).await
    }

    /// Writes finished orders with their histories in one go: demo data,
    /// benchmarks, migrations from legacy systems. Audited as one event.
    pub async fn import(&self, by: Option<UserId>, orders: Vec<(WorkOrder, Vec<HistoryEntry>)>, source: &str) -> AppResult<()> {
        let audit = self.auditor.record(by, "work_order.import", source, json!({ "orders": orders.len() }));
        let calendar = self.calendar.snapshot();
        let rules = self.rules();
        let orders = orders
            .into_iter()
            .map(|(order, history)| {
                let timers = hotline_domain::watch::timers(&order, &rules, &calendar)?;
                Ok(crate::ports::ImportedOrder { order, history, timers })
            })
            .collect::<Result<Vec<_>, hotline_domain::CalendarError>>()
            .map_err(hotline_domain::LifecycleError::Calendar)?;
        self.store.import_orders(&orders, &audit).await?;
        self.changed.notify_one();
        Ok(())
    }

    fn context<'a>(&self, calendar: &'a hotline_domain::WorkCalendar, rules: &'a DeadlineRules, now: DateTime<Utc>) -> DecisionContext<'a> {
        DecisionContext { now, calendar, rules }
    }

    /// 登记. With an idempotency key, a retry returns the first order.
    pub async fn register(&self, desk: &Desk, request: RegisterRequest, idempotency_key: Option<&str>) -> AppResult<Registered> {
        let org = self.directory.snapshot();
        let mut errors = hotline_domain::ValidationErrors::default();
        match org.category(request.category) {
            Some(c) if c.active => {}
            Some(_) => errors.push(hotline_domain::FieldError::new("category_id", "this category is retired; choose a current one")),
            None => errors.push(hotline_domain::FieldError::new("category_id", format!("no category with id {}", request.category))),
        }
        let town = match request.town_code.as_deref() {
            None => None,
            Some(code) => match org.unit_by_code(code) {
                Some(u) if u.kind.is_territorial() && u.active => Some(u.id),
                Some(u) => {
                    errors.push(hotline_domain::FieldError::new(
                        "location.town_code",
                        format!("{} ({code}) is not a town, subdistrict or park", u.name),
                    ));
                    None
                }
                None => {
                    errors.push(hotline_domain::FieldError::new("location.town_code", format!("no town with code {code}")));
                    None
                }
            },
        };
        if let Some(key) = idempotency_key
            && (key.is_empty() || key.len() > IDEMPOTENCY_KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()))
        {
            errors.push(hotline_domain::FieldError::new(
                "Idempotency-Key",
                format!("must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters"),
            ));
        }
        errors.into_result()?;

        let emergency =
            self.emergency.mark(request.category, &format!("{}\n{}", request.subject.as_str(), request.description.as_str()), town);
        let input = NewWorkOrder {
            channel: request.channel,
            order_type: request.order_type,
            category: request.category,
            urgency: request.urgency,
            caller: request.caller,
            location: Location { town, address: request.address, coordinates: request.coordinates },
            subject: request.subject,
            description: request.description,
            call_id: request.call_id,
            direct_answer: request.direct_answer,
            emergency,
            external_ref: request.external_ref,
            media_url: request.media_url,
        };
        let claim = idempotency_key.map(|key| IdempotencyClaim {
            user: desk.user(),
            key: key.to_owned(),
            request_hash: hex::encode(Sha256::digest(serde_json::to_vec(&input).unwrap_or_default())),
        });
        let now = self.clock.now();
        let calendar = self.calendar.snapshot();
        let number = self.numbers.next(calendar.local_date(now)).await?;
        let registration = Registration { id: OrderId(self.ids.next()), number };
        let rules = self.rules();
        let decision = register(input, &desk.actor(), registration, &self.context(&calendar, &rules, now))?;
        let audit = self.auditor.record(
            Some(desk.user()),
            &format!("work_order.{}", decision.entry.action.as_str()),
            target(&decision.order.number),
            json!({ "state": decision.order.state }),
        );
        // Answered on the spot, there is no promise to text about.
        let notice = if decision.order.direct_answer.is_some() { None } else { self.texts.registered_notice(&decision.order) };
        let texts: Vec<crate::ports::SmsMessage> = notice.into_iter().collect();
        let outcome = self.store.insert_order(&decision, &audit, claim.as_ref(), &texts).await?;
        self.changed.notify_one();
        if !texts.is_empty() && outcome == InsertOutcome::Inserted {
            self.texts.queued();
        }
        match outcome {
            InsertOutcome::Inserted => {
                // Nobody listening is not an error.
                self.announce(OrderChange::of(None, &decision.order, decision.entry.action));
                self.emergency.enqueue(&decision.order);
                // Just created, it has no attachments.
                Ok(Registered { details: self.details_of(desk, decision.order, Vec::new()).await?, replayed: false })
            }
            InsertOutcome::Replay { order, request_hash } => {
                if claim.is_some_and(|c| c.request_hash != request_hash) {
                    return Err(AppError::invalid("Idempotency-Key", "this key was already used for a different request"));
                }
                let order = self.store.order(order).await?.ok_or_else(|| AppError::not_found("the order of this idempotency key"))?;
                // Told again: the node that registered it may have died
                // before telling the screens (the client retried because
                // its answer never came); a change heard twice only makes
                // a screen reload once more.
                self.announce(OrderChange::of(None, &order, decision.entry.action));
                let attachments = self.store.attachments(order.id).await?;
                Ok(Registered { details: self.details_of(desk, order, attachments).await?, replayed: true })
            }
        }
    }

    /// Loads an order the desk may see; anything else is "not found", so a
    /// unit cannot learn which numbers exist elsewhere.
    /// The order if the desk may add to its record now: the centre's staff
    /// at any time (a consultant notes the article that answered a call
    /// after the order is closed), a unit while it may add progress.
    pub(crate) async fn writable(&self, desk: &Desk, number: &WorkOrderNo) -> AppResult<WorkOrder> {
        let order = self.load(desk, number).await?;
        let actor = desk.actor();
        let centre_staff = actor.is_centre() && actor.has_any(&[Role::Consultant, Role::Dispatcher, Role::Reviewer, Role::Supervisor]);
        if !centre_staff {
            permit(&order, &actor, Action::AddProgress)?;
        }
        Ok(order)
    }

    pub(crate) async fn load(&self, desk: &Desk, number: &WorkOrderNo) -> AppResult<WorkOrder> {
        let order = self.store.order_by_number(number).await?;
        self.admit(desk, number, order).await
    }

    /// As [`Self::load`], with the order's attachments, which its answer lists.
    async fn load_with_attachments(&self, desk: &Desk, number: &WorkOrderNo) -> AppResult<(WorkOrder, Vec<AttachmentRecord>)> {
        let (order, attachments) = self.store.order_with_attachments(number).await?.unzip();
        Ok((self.admit(desk, number, order).await?, attachments.unwrap_or_default()))
    }

    async fn admit(&self, desk: &Desk, number: &WorkOrderNo, order: Option<WorkOrder>) -> AppResult<WorkOrder> {
        let missing = || AppError::not_found(format!("work order {number} not found"));
        let order = order.ok_or_else(missing)?;
        if let StoreScope::Units(units) = desk.scope() {
            // The units holding it now are involved; only an earlier holder
            // needs the database to tell.
            let holds = order.involvements().iter().any(|(unit, _, _)| units.contains(unit));
            if !holds && !self.store.involved(order.id, units).await? {
                return Err(missing());
            }
        }
        Ok(order)
    }

    /// `attachments`: the order's, as loaded with it (a decision adds none).
    async fn details_of(&self, desk: &Desk, mut order: WorkOrder, attachments: Vec<AttachmentRecord>) -> AppResult<OrderDetails> {
        let org = self.directory.snapshot();
        let caller = order.caller.view(order.order_type, desk.viewer());
        order.caller = Caller { name: None, phone: None, ..order.caller };
        let master = match order.merged_into {
            Some(id) => self.store.order(id).await?.map(|m| MasterView {
                number: m.number,
                state: m.state,
                public_reply: m.result.map(|r| r.public_reply.to_string()),
            }),
            None => None,
        };
        let proposal =
            (order.state == State::PendingDispatch && desk.is_centre()).then(|| org.propose(order.category, order.location.town));
        Ok(OrderDetails {
            actions: available_actions(&order, &desk.actor()),
            category: org.category_path(order.category),
            attachments,
            caller,
            master,
            proposal,
            order,
        })
    }

    /// One order. A centre read of the caller's identity is audited, and so
    /// is an emergency partner's read of an order it does not handle.
    pub async fn get(&self, desk: &Desk, number: &WorkOrderNo) -> AppResult<OrderDetails> {
        let (order, attachments) = self.load_with_attachments(desk, number).await?;
        let as_partner = !desk.is_centre()
            && order.partners().iter().any(|p| desk.units().contains(p))
            && !order.involvements().iter().any(|(u, role, _)| *role != Involvement::Partner && desk.units().contains(u));
        let details = self.details_of(desk, order, attachments).await?;
        if desk.is_centre() && (details.caller.name.is_some() || details.caller.phone.is_some()) {
            self.auditor.append(Some(desk.user()), "work_order.read_personal", target(number), json!({})).await?;
        }
        if as_partner {
            self.auditor.append(Some(desk.user()), "work_order.read_as_partner", target(number), json!({})).await?;
        }
        Ok(details)
    }

    /// A unit user's audited request to see the full number, to call the
    /// citizen back. Never for a report (举报) or a confidential caller.
    pub async fn reveal_phone(&self, desk: &Desk, number: &WorkOrderNo) -> AppResult<String> {
        let order = self.load(desk, number).await?;
        if !desk.is_centre() && !order.caller.identity_visible_to_units(order.order_type) {
            return Err(AppError::Forbidden(
                "the caller's identity is withheld from units (a report, or confidentiality was asked)".into(),
            ));
        }
        let phone = order.caller.phone.as_ref().ok_or_else(|| AppError::not_found("the caller left no phone number"))?;
        self.auditor.append(Some(desk.user()), "work_order.reveal_phone", target(number), json!({})).await?;
        Ok(phone.to_string())
    }

    pub async fn act(&self, desk: &Desk, number: &WorkOrderNo, expected_version: i64, request: ActionRequest) -> AppResult<OrderDetails> {
        let (order, attachments) = self.load_with_attachments(desk, number).await?;
        if order.version != expected_version {
            return Err(AppError::Conflict {
                message: format!("the order is at version {}, not {expected_version}; reload it and try again", order.version),
                current_version: Some(order.version),
            });
        }
        let org = self.directory.snapshot();
        let (command, master_entry) = match request {
            ActionRequest::Command(command) => {
                self.check_references(&org, &order, &command)?;
                (command, None)
            }
            ActionRequest::Supervise { text, due } => (Command::Supervise { notice: NoticeId(self.ids.next()), text, due }, None),
            ActionRequest::Merge { master } => {
                let master_id =
                    self.store.order_id(&master).await?.ok_or_else(|| AppError::invalid("master", format!("no work order {master}")))?;
                let master_order =
                    self.store.order(master_id).await?.ok_or_else(|| AppError::invalid("master", format!("no work order {master}")))?;
                let command = Command::Merge { master: MasterOrder { id: master_id, number: master.clone(), state: master_order.state } };
                (command, Some(master_order))
            }
        };
        let now = self.clock.now();
        let calendar = self.calendar.snapshot();
        let rules = self.rules();
        let decision = decide(&order, &desk.actor(), command, &self.context(&calendar, &rules, now))?;
        let also = master_entry.map(|m| HistoryEntry {
            order: m.id,
            at: now,
            actor: desk.user(),
            actor_unit: None,
            action: Action::AbsorbDuplicate,
            from_state: Some(m.state),
            to_state: m.state,
            detail: json!({ "duplicate_number": order.number }),
        });
        let audit = self.auditor.record(
            Some(desk.user()),
            &format!("work_order.{}", decision.entry.action.as_str()),
            target(number),
            json!({ "from": order.state, "to": decision.order.state, "version": decision.order.version }),
        );
        let outbox =
            Outbox { pushes: self.external.pushes_for(&org, &order, &decision, &self.ids), texts: self.texts.for_decision(&decision) };
        self.store.save_decision(expected_version, &decision, also.as_ref(), &audit, &outbox).await?;
        self.changed.notify_one();
        if !outbox.pushes.is_empty() {
            self.external.wake.notify_one();
        }
        if !outbox.texts.is_empty() {
            self.texts.queued();
        }
        if decision.order.state.is_void() {
            self.emergency.forget(&decision.order);
        }
        self.announce(OrderChange::of(Some(&order), &decision.order, decision.entry.action));
        // Served from what was just written and the attachments read with
        // the order: no read of its own for the answer.
        self.details_of(desk, decision.order, attachments).await
    }

    /// Unit and category references must exist and be active; a
    /// second-level dispatch goes only below the lead unit; an order nobody
    /// has classified goes to no unit.
    fn check_references(&self, org: &crate::directory::OrgSnapshot, order: &WorkOrder, command: &Command) -> AppResult<()> {
        let active = |field: &str, unit: UnitId| -> AppResult<()> {
            match org.unit(unit) {
                Some(u) if u.active => Ok(()),
                Some(u) => Err(AppError::invalid(field, format!("{} is deactivated", u.name))),
                None => Err(AppError::invalid(field, format!("no unit with id {unit}"))),
            }
        };
        let unclassified = org.unclassified();
        match command {
            Command::Dispatch { lead, co_handlers, .. }
            | Command::DecideReturn(hotline_domain::ReturnDecision::Redispatch { lead, co_handlers }) => {
                if unclassified == Some(order.category) {
                    return Err(AppError::invalid(
                        "category_id",
                        "the request has no category yet (待分类): reclassify it before sending it to a unit",
                    ));
                }
                active("lead", *lead)?;
                co_handlers.iter().try_for_each(|u| active("co_handlers", *u))
            }
            Command::Reclassify { category } => match org.category(*category) {
                Some(c) if Some(c.id) == unclassified => {
                    Err(AppError::invalid("category_id", "choose the category the request belongs to"))
                }
                Some(c) if c.active => Ok(()),
                Some(_) => Err(AppError::invalid("category_id", "this category is retired; choose a current one")),
                None => Err(AppError::invalid("category_id", format!("no category with id {category}"))),
            },
            Command::SubDispatch { unit, .. } => {
                active("unit", *unit)?;
                let lead = order.lead_unit.unwrap_or(UnitId(0));
                if *unit != lead && !org.is_below(*unit, lead) {
                    return Err(AppError::invalid(
                        "unit",
                        format!("{} is not a sub-unit of {}", org.unit_name(*unit), org.unit_name(lead)),
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub async fn history(&self, desk: &Desk, number: &WorkOrderNo) -> AppResult<Vec<HistoryLine>> {
        let order = self.load(desk, number).await?;
        let entries = self.store.history(order.id).await?;
        let mut names: HashMap<UserId, String> = HashMap::new();
        for entry in &entries {
            if let std::collections::hash_map::Entry::Vacant(e) = names.entry(entry.actor) {
                let name = self.users.user(entry.actor).await?.map(|u| u.display_name).unwrap_or_else(|| format!("#{}", entry.actor));
                e.insert(name);
            }
        }
        Ok(entries.into_iter().map(|entry| HistoryLine { actor_name: names[&entry.actor].clone(), entry }).collect())
    }

    pub async fn list(&self, desk: &Desk, filter: &OrderFilter, page: PageRequest) -> AppResult<Vec<OrderSummary>> {
        Ok(self.store.list_orders(desk.scope(), filter, clamp(page)).await?)
    }

    /// What waits on the caller: for a unit, the orders at the unit; for the
    /// centre, the states the caller's roles act on.
    pub async fn pending(&self, desk: &Desk, page: PageRequest) -> AppResult<Vec<OrderSummary>> {
        if !desk.is_centre() {
            return Ok(self.store.unit_pending(desk.units(), clamp(page)).await?);
        }
        let mut states = Vec::new();
        for (role, role_states) in [
            (Role::Dispatcher, &[State::PendingDispatch, State::Returned][..]),
            (Role::Reviewer, &[State::PendingReview][..]),
            (Role::Consultant, &[State::PendingFollowUp][..]),
        ] {
            if desk.has_any(&[role]) {
                states.extend_from_slice(role_states);
            }
        }
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let window = Duration::hours(i64::from(self.texts.config().reply_window_hours));
        let texting_since = self.texts.config().enabled().then(|| self.clock.now() - window);
        let filter = OrderFilter { states, texting_since, ..OrderFilter::default() };
        Ok(self.store.list_orders(desk.scope(), &filter, clamp(page)).await?)
    }

    /// A category and its descendants, for a list filter.
    pub fn category_filter(&self, id: CategoryId) -> AppResult<Vec<CategoryId>> {
        let org = self.directory.snapshot();
        if org.category(id).is_none() {
            return Err(AppError::invalid("category", format!("no category with id {id}")));
        }
        Ok(org.category_subtree(id))
    }

    /// Resolves a town code to its unit.
    pub fn town(&self, code: &str) -> AppResult<UnitId> {
        Ok(self.directory.snapshot().town(code)?.id)
    }

    /// The lead unit and co-handlers the catalogue proposes.
    pub fn propose(&self, category: CategoryId, town_code: Option<&str>) -> AppResult<DispatchProposal> {
        let town = town_code.map(|c| self.town(c)).transpose()?;
        let org = self.directory.snapshot();
        if org.category(category).is_none() {
            return Err(AppError::invalid("category_id", format!("no category with id {category}")));
        }
        Ok(org.propose(category, town))
    }

    pub async fn attach(&self, desk: &Desk, number: &WorkOrderNo, file_name: &str, bytes: Vec<u8>) -> AppResult<AttachmentRecord> {
        self.attach_capped(desk, number, file_name, bytes, None).await
    }

    /// Attaching is adding to the order's record: who may add progress now
    /// may attach (not a read-only auditor, not a unit that returned the
    /// order, nobody once it is archived). `per_uploader` caps what one
    /// uploader adds (the portal's photos), with the refusal to give; both
    /// caps are counted in the write's own transaction.
    pub(crate) async fn attach_capped(
        &self,
        desk: &Desk,
        number: &WorkOrderNo,
        file_name: &str,
        bytes: Vec<u8>,
        per_uploader: Option<(usize, &str)>,
    ) -> AppResult<AttachmentRecord> {
        let order = self.load(desk, number).await?;
        permit(&order, &desk.actor(), Action::AddProgress)?;
        let file_name = clean_file_name(file_name)?;
        let content_type = self.attachment_policy.check(&file_name, &bytes)?;
        let caps = AttachmentCaps { per_order: self.attachment_policy.max_per_order, per_uploader: per_uploader.map(|(most, _)| most) };
        let sha256 = sha256_hex(&bytes);
        // The blob goes first: a record never points at missing content.
        self.blobs.put(&sha256, &bytes).await.map_err(|e| AppError::Unavailable(format!("the attachment could not be stored: {e}")))?;
        let record = AttachmentRecord {
            id: AttachmentId(self.ids.next()),
            order: order.id,
            sha256,
            file_name,
            content_type: content_type.to_owned(),
            size: bytes.len() as i64,
            uploaded_by: desk.user(),
            uploaded_at: self.clock.now(),
        };
        let audit = self.auditor.record(
            Some(desk.user()),
            "work_order.attach",
            target(number),
            json!({ "attachment": record.id, "sha256": record.sha256 }),
        );
        match self.store.insert_attachment(&record, caps, &audit).await? {
            Attached::Stored => Ok(record),
            Attached::OrderFull => Err(AppError::invalid("file", format!("an order holds at most {} attachments", caps.per_order))),
            Attached::UploaderFull => Err(AppError::invalid("file", per_uploader.map_or("", |(_, message)| message))),
        }
    }

    pub async fn attachment(&self, desk: &Desk, id: AttachmentId) -> AppResult<(AttachmentRecord, Vec<u8>)> {
        let missing = || AppError::not_found(format!("attachment {id} not found"));
        let record = self.store.attachment(id).await?.ok_or_else(missing)?;
        if let StoreScope::Units(units) = desk.scope()
            && !self.store.involved(record.order, units).await?
        {
            return Err(missing());
        }
        let bytes = self
            .blobs
            .get(&record.sha256)
            .await
            .map_err(|e| AppError::Unavailable(format!("the attachment content could not be read: {e}")))?;
        Ok((record, bytes))
    }
}

fn clamp(page: PageRequest) -> PageRequest {
    PageRequest { before: page.before, limit: page.limit.clamp(1, MAX_PAGE) }
}
