//! Work orders, their history, units, notices, attachments and idempotency keys.

use crate::codec::{Get, flag, from_json, json, micros, opt_from_json, opt_json, opt_micros, word};
use crate::sql::{
    AUDIT_HEAD, AUDIT_WIDTH, Inserts, TERMINAL_STATES, Val, audit_row, dynamic, insert_audit, insert_rows, push_in, push_in_text,
};
use crate::{Backend, OrBackend, SqlStore};
use async_trait::async_trait;
use hotline_app::ports::{
    Attached, AttachmentCaps, AttachmentRecord, AuditRecord, IdempotencyClaim, ImportedOrder, InsertOutcome, OrderFilter, OrderStore,
    OrderSummary, PageRequest, StoreResult, StoreScope,
};
use hotline_domain::watch::Timer;
use hotline_domain::{
    Action, AttachmentId, Caller, CategoryId, Channel, Coordinates, Deadlines, Decision, ExternalRef, HistoryEntry, Location, MediaUrl,
    NoticeAnswer, NoticeId, OrderId, OrderType, PersonName, PhoneNumber, State, Subject, SupervisionNotice, UnitId, Urgency, UserId,
    WorkOrder, WorkOrderNo,
};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::sync::LazyLock;

/// The stored columns of an order, in one place for insert, update and import.
pub(crate) fn order_values(o: &WorkOrder) -> Vec<(&'static str, Val)> {
    let follow_up = o.follow_up.as_ref();
    vec![
        ("id", o.id.0.into()),
        ("number", o.number.as_str().into()),
        ("channel", o.channel.as_str().into()),
        ("order_type", o.order_type.as_str().into()),
        ("category_id", o.category.0.into()),
        ("urgency", o.urgency.as_str().into()),
        ("caller_name", o.caller.name.as_ref().map(ToString::to_string).into()),
        ("caller_phone", o.caller.phone.as_ref().map(ToString::to_string).into()),
        ("caller_anonymous", flag(o.caller.anonymous).into()),
        ("caller_confidential", flag(o.caller.confidential).into()),
        ("caller_sms_opt_out", flag(o.caller.sms_opt_out).into()),
        ("town_id", o.location.town.map(|u| u.0).into()),
        ("address", o.location.address.as_ref().map(ToString::to_string).into()),
        ("latitude", o.location.coordinates.map(|c| c.latitude).into()),
        ("longitude", o.location.coordinates.map(|c| c.longitude).into()),
        ("subject", o.subject.as_str().into()),
        ("description", o.description.as_str().into()),
        ("call_id", o.call_id.clone().into()),
        ("lead_unit_id", o.lead_unit.map(|u| u.0).into()),
        ("assignee_unit_id", o.assignee_unit.map(|u| u.0).into()),
        ("co_units", json(&o.co_units).into()),
        ("state", o.state.as_str().into()),
        ("version", o.version.into()),
        ("created_by", o.created_by.0.into()),
        ("created_at", micros(o.created_at).into()),
        ("updated_at", micros(o.updated_at).into()),
        ("sign_for_due", opt_micros(o.deadlines.sign_for).into()),
        ("completion_due", micros(o.deadlines.completion).into()),
        ("completion_from", micros(o.deadlines.completion_from).into()),
        ("follow_up_due", opt_micros(o.deadlines.follow_up).into()),
        ("dispatched_at", opt_micros(o.dispatched_at).into()),
        ("signed_at", opt_micros(o.signed_at).into()),
        ("resolved_at", opt_micros(o.resolved_at).into()),
        ("closed_at", opt_micros(o.closed_at).into()),
        ("direct_answer", o.direct_answer.as_ref().map(ToString::to_string).into()),
        ("pending_return", opt_json(&o.pending_return).into()),
        ("pending_extension", opt_json(&o.pending_extension).into()),
        ("extension_requested", flag(o.pending_extension.is_some()).into()),
        ("result", opt_json(&o.result).into()),
        ("follow_up", opt_json(&o.follow_up).into()),
        ("satisfaction", follow_up.and_then(|f| f.satisfaction).map(|s| s.as_str().to_owned()).into()),
        ("solved", follow_up.and_then(|f| f.solved).map(flag).into()),
        ("invalidation", opt_json(&o.invalidation).into()),
        ("merged_into", o.merged_into.map(|m| m.0).into()),
        ("emergency", opt_json(&o.emergency).into()),
        ("external_source", o.external_ref.as_ref().map(|r| r.source().to_owned()).into()),
        ("external_number", o.external_ref.as_ref().map(|r| r.number().to_owned()).into()),
        ("media_url", o.media_url.as_ref().map(|u| u.as_str().to_owned()).into()),
        ("counters", json(&o.counters).into()),
        ("returned", flag(o.counters.returns > 0).into()),
        ("redone", flag(o.counters.redos > 0).into()),
        ("published", flag(o.result.as_ref().is_some_and(|r| r.published)).into()),
    ]
}

fn column_names() -> Vec<&'static str> {
    order_values(&sample_order()).into_iter().map(|(c, _)| c).collect()
}

pub(crate) static COLUMNS: LazyLock<Vec<&'static str>> = LazyLock::new(column_names);

pub(crate) const SUMMARY_COLUMNS: &str = "o.id, o.number, o.order_type, o.category_id, o.urgency, o.state, o.subject, o.town_id, o.lead_unit_id, \
     o.assignee_unit_id, o.created_at, o.sign_for_due, o.completion_due, o.resolved_at, o.closed_at, o.extension_requested, o.version, o.emergency";

/// A structurally complete order, used once to list the column names.
fn sample_order() -> WorkOrder {
    let t = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    WorkOrder {
        id: OrderId(0),
        number: WorkOrderNo::parse("XX19700101000000").expect("valid sample number"),
        channel: Channel::Phone,
        order_type: OrderType::Other,
        category: CategoryId(0),
        urgency: Urgency::Normal,
        caller: Caller { name: None, phone: None, anonymous: false, confidential: false, sms_opt_out: false },
        location: Location { town: None, address: None, coordinates: None },
        subject: Subject::parse("x").expect("valid"),
        description: hotline_domain::Description::parse("x").expect("valid"),
        call_id: None,
        lead_unit: None,
        co_units: vec![],
        assignee_unit: None,
        state: State::PendingDispatch,
        version: 0,
        created_by: UserId(0),
        created_at: t,
        updated_at: t,
        deadlines: Deadlines { sign_for: None, completion: t, completion_from: t, follow_up: None },
        dispatched_at: None,
        signed_at: None,
        resolved_at: None,
        closed_at: None,
        direct_answer: None,
        pending_return: None,
        pending_extension: None,
        result: None,
        follow_up: None,
        invalidation: None,
        merged_into: None,
        emergency: None,
        external_ref: None,
        media_url: None,
        counters: Default::default(),
        notices: vec![],
    }
}

fn parse_order(row: &AnyRow, notices: Vec<SupervisionNotice>) -> StoreResult<WorkOrder> {
    let coordinates = match (row.opt_float("latitude")?, row.opt_float("longitude")?) {
        (Some(lat), Some(lng)) => Coordinates::new(lat, lng).ok(),
        _ => None,
    };
    Ok(WorkOrder {
        id: OrderId(row.int("id")?),
        number: word("number", &row.text("number")?, WorkOrderNo::parse)?,
        channel: word("channel", &row.text("channel")?, Channel::parse)?,
        order_type: word("order_type", &row.text("order_type")?, OrderType::parse)?,
        category: CategoryId(row.int("category_id")?),
        urgency: word("urgency", &row.text("urgency")?, Urgency::parse)?,
        caller: Caller {
            name: row.opt_text("caller_name")?.map(|n| word("caller_name", &n, PersonName::parse)).transpose()?,
            phone: row.opt_text("caller_phone")?.map(|p| word("caller_phone", &p, PhoneNumber::parse)).transpose()?,
            anonymous: row.flag("caller_anonymous")?,
            confidential: row.flag("caller_confidential")?,
            sms_opt_out: row.flag("caller_sms_opt_out")?,
        },
        location: Location {
            town: row.opt_int("town_id")?.map(UnitId),
            address: row.opt_text("address")?.map(|a| word("address", &a, Subject::parse)).transpose()?,
            coordinates,
        },
        subject: word("subject", &row.text("subject")?, Subject::parse)?,
        description: word("description", &row.text("description")?, hotline_domain::Description::parse)?,
        call_id: row.opt_text("call_id")?,
        lead_unit: row.opt_int("lead_unit_id")?.map(UnitId),
        co_units: from_json("co_units", &row.text("co_units")?)?,
        assignee_unit: row.opt_int("assignee_unit_id")?.map(UnitId),
        state: word("state", &row.text("state")?, State::parse)?,
        version: row.int("version")?,
        created_by: UserId(row.int("created_by")?),
        created_at: row.at("created_at")?,
        updated_at: row.at("updated_at")?,
        deadlines: Deadlines {
            sign_for: row.opt_at("sign_for_due")?,
            completion: row.at("completion_due")?,
            completion_from: row.at("completion_from")?,
            follow_up: row.opt_at("follow_up_due")?,
        },
        dispatched_at: row.opt_at("dispatched_at")?,
        signed_at: row.opt_at("signed_at")?,
        resolved_at: row.opt_at("resolved_at")?,
        closed_at: row.opt_at("closed_at")?,
        direct_answer: row.opt_text("direct_answer")?.map(|a| word("direct_answer", &a, hotline_domain::Description::parse)).transpose()?,
        pending_return: opt_from_json("pending_return", row.opt_text("pending_return")?)?,
        pending_extension: opt_from_json("pending_extension", row.opt_text("pending_extension")?)?,
        result: opt_from_json("result", row.opt_text("result")?)?,
        follow_up: opt_from_json("follow_up", row.opt_text("follow_up")?)?,
        invalidation: opt_from_json("invalidation", row.opt_text("invalidation")?)?,
        merged_into: row.opt_int("merged_into")?.map(OrderId),
        emergency: opt_from_json("emergency", row.opt_text("emergency")?)?,
        external_ref: match (row.opt_text("external_source")?, row.opt_text("external_number")?) {
            (Some(source), Some(number)) => Some(word("external_number", &number, |n| ExternalRef::parse(&source, n))?),
            _ => None,
        },
        media_url: row.opt_text("media_url")?.map(|u| word("media_url", &u, MediaUrl::parse)).transpose()?,
        counters: from_json("counters", &row.text("counters")?)?,
        notices,
    })
}

pub(crate) fn parse_summary(row: &AnyRow) -> StoreResult<OrderSummary> {
    Ok(OrderSummary {
        id: OrderId(row.int("id")?),
        number: word("number", &row.text("number")?, WorkOrderNo::parse)?,
        order_type: word("order_type", &row.text("order_type")?, OrderType::parse)?,
        category: CategoryId(row.int("category_id")?),
        urgency: word("urgency", &row.text("urgency")?, Urgency::parse)?,
        state: word("state", &row.text("state")?, State::parse)?,
        subject: row.text("subject")?,
        town: row.opt_int("town_id")?.map(UnitId),
        lead_unit: row.opt_int("lead_unit_id")?.map(UnitId),
        assignee_unit: row.opt_int("assignee_unit_id")?.map(UnitId),
        created_at: row.at("created_at")?,
        sign_for_due: row.opt_at("sign_for_due")?,
        completion_due: row.at("completion_due")?,
        resolved_at: row.opt_at("resolved_at")?,
        closed_at: row.opt_at("closed_at")?,
        extension_requested: row.flag("extension_requested")?,
        version: row.int("version")?,
        emergency: row.opt_text("emergency")?.is_some(),
    })
}

fn parse_notice(row: &AnyRow) -> StoreResult<SupervisionNotice> {
    let answer = match (row.opt_int("answered_by")?, row.opt_at("answered_at")?, row.opt_text("answer")?) {
        (Some(by), Some(at), Some(text)) => {
            Some(NoticeAnswer { by: UserId(by), at, text: word("answer", &text, hotline_domain::Description::parse)? })
        }
        _ => None,
    };
    Ok(SupervisionNotice {
        id: NoticeId(row.int("id")?),
        unit: UnitId(row.int("unit_id")?),
        issued_by: UserId(row.int("issued_by")?),
        issued_at: row.at("issued_at")?,
        due_at: row.at("due_at")?,
        text: word("text", &row.text("text")?, hotline_domain::Reason::parse)?,
        answer,
    })
}

fn parse_history(row: &AnyRow) -> StoreResult<HistoryEntry> {
    Ok(HistoryEntry {
        order: OrderId(row.int("order_id")?),
        at: row.at("at")?,
        actor: UserId(row.int("actor_id")?),
        actor_unit: row.opt_int("actor_unit_id")?.map(UnitId),
        action: word("action", &row.text("action")?, Action::parse)?,
        from_state: row.opt_text("from_state")?.map(|s| word("from_state", &s, State::parse)).transpose()?,
        to_state: word("to_state", &row.text("to_state")?, State::parse)?,
        detail: from_json("detail", &row.text("detail")?)?,
    })
}

fn parse_attachment(row: &AnyRow) -> StoreResult<AttachmentRecord> {
    Ok(AttachmentRecord {
        id: AttachmentId(row.int("id")?),
        order: OrderId(row.int("order_id")?),
        sha256: row.text("sha256")?,
        file_name: row.text("file_name")?,
        content_type: row.text("content_type")?,
        size: row.int("size")?,
        uploaded_by: UserId(row.int("uploaded_by")?),
        uploaded_at: row.at("uploaded_at")?,
    })
}

impl SqlStore {
    /// One order with its supervision notices; the notices are asked for
    /// only when the order has any (most have none), so a read is one
    /// round trip.
    async fn order_where(&self, condition: &'static str, key: Val) -> StoreResult<Option<WorkOrder>> {
        Ok(self.order_and_attachments_where(condition, key, false).await?.map(|(order, _)| order))
    }

    /// As [`Self::order_where`], and with `attachments` the order's
    /// attachments too, asked for only when it has any: an order's answer
    /// lists them, and a decision's answer would otherwise read them in a
    /// round trip of its own.
    async fn order_and_attachments_where(
        &self,
        condition: &'static str,
        key: Val,
        attachments: bool,
    ) -> StoreResult<Option<(WorkOrder, Vec<AttachmentRecord>)>> {
        let attached = if attachments {
            ", CASE WHEN EXISTS (SELECT 1 FROM attachments a WHERE a.order_id = o.id) THEN 1 ELSE 0 END AS has_attachments"
        } else {
            ""
        };
        let sql = format!(
            "SELECT o.*, CASE WHEN EXISTS (SELECT 1 FROM supervision_notices n WHERE n.order_id = o.id) THEN 1 ELSE 0 END AS has_notices\
             {attached} FROM work_orders o WHERE o.{condition}"
        );
        let Some(row) = dynamic(&sql, vec![key]).fetch_optional(&self.read).await.or_backend()? else {
            return Ok(None);
        };
        let notices = if row.flag("has_notices")? {
            sqlx::query("SELECT * FROM supervision_notices WHERE order_id = $1 ORDER BY issued_at, id")
                .bind(row.int("id")?)
                .fetch_all(&self.read)
                .await
                .or_backend()?
                .iter()
                .map(parse_notice)
                .collect::<StoreResult<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let order = parse_order(&row, notices)?;
        let attachments =
            if attachments && row.flag("has_attachments")? { OrderStore::attachments(self, order.id).await? } else { Vec::new() };
        Ok(Some((order, attachments)))
    }
}

pub(crate) const HISTORY_HEAD: &str = "order_history (order_id, seq, at, actor_id, actor_unit_id, action, from_state, to_state, detail)";
pub(crate) const HISTORY_WIDTH: usize = 9;
pub(crate) fn history_row(seq: i64, e: &HistoryEntry) -> Vec<Val> {
    vec![
        Val::from(e.order.0),
        seq.into(),
        micros(e.at).into(),
        e.actor.0.into(),
        e.actor_unit.map(|u| u.0).into(),
        e.action.as_str().into(),
        e.from_state.map(|s| s.as_str().to_owned()).into(),
        e.to_state.as_str().into(),
        e.detail.to_string().into(),
    ]
}

/// `text` with LIKE's wildcards (and the escape character) taken literally.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Links each call not linked yet to the first order registered for it
/// (an order names its call by `call_id`), whichever was written first.
pub(crate) async fn link_calls(conn: &mut AnyConnection, backend: Backend, calls: &[i64]) -> StoreResult<()> {
    if calls.is_empty() {
        return Ok(());
    }
    let mut values = Vec::new();
    let sql = format!(
        "UPDATE calls SET order_id = (SELECT MIN(o.id) FROM work_orders o WHERE o.call_id = CAST(calls.id AS TEXT)) \
         WHERE order_id IS NULL AND id {}",
        crate::sql::in_list(backend, &mut values, calls.iter().map(|c| Val::from(*c)))
    );
    dynamic(&sql, values).execute(&mut *conn).await.or_backend()?;
    Ok(())
}

/// Writes orders that are not stored yet, with their whole histories, the
/// units involved, their notices and audit records, and the other rows of
/// `also` ([`Inserts`]: on PostgreSQL one statement): imports, and batches
/// of registrations.
pub(crate) async fn write_new_orders(
    conn: &mut AnyConnection,
    backend: Backend,
    orders: &[(&WorkOrder, &[HistoryEntry], &[Timer])],
    audits: &[&AuditRecord],
    also: Inserts,
) -> StoreResult<()> {
    let mut inserts = Inserts::default();
    let head = format!("work_orders ({})", COLUMNS.join(", "));
    inserts.add(head, COLUMNS.len(), orders.iter().map(|(o, _, _)| order_values(o).into_iter().map(|(_, v)| v).collect()).collect(), "");
    let history = orders.iter().flat_map(|(_, h, _)| h.iter().enumerate().map(|(i, e)| history_row(i as i64 + 1, e))).collect();
    inserts.add(HISTORY_HEAD, HISTORY_WIDTH, history, "");
    let units = orders.iter().flat_map(|(o, _, _)| o.involvements().into_iter().map(|(u, r, a)| unit_row(o.id, u, r, a))).collect();
    inserts.add(UNITS_HEAD, UNITS_WIDTH, units, "");
    let written: Vec<&WorkOrder> = orders.iter().map(|(o, _, _)| *o).collect();
    crate::decisions::add_notices(&mut inserts, &written);
    crate::watches::add_new(&mut inserts, orders.iter().flat_map(|(_, _, t)| t.iter()));
    inserts.add(AUDIT_HEAD, AUDIT_WIDTH, audits.iter().map(|a| audit_row(a)).collect(), "");
    inserts.extend(also);
    inserts.run(conn, backend).await?;
    // After the orders' rows are written: it reads them.
    let calls: Vec<i64> = orders.iter().filter_map(|(o, _, _)| o.call_id.as_deref()?.parse().ok()).collect();
    link_calls(conn, backend, &calls).await
}

/// The rows of the units an order involves.
pub(crate) const UNITS_HEAD: &str = "order_units (order_id, unit_id, role, active)";
pub(crate) const UNITS_WIDTH: usize = 4;

pub(crate) fn unit_row(order: OrderId, unit: UnitId, role: hotline_domain::Involvement, active: bool) -> Vec<Val> {
    vec![Val::from(order.0), unit.0.into(), role.as_str().into(), flag(active).into()]
}

#[async_trait]
impl OrderStore for SqlStore {
    async fn training_orders(&self, limit: u32) -> StoreResult<Vec<hotline_app::ports::TrainingOrder>> {
        sqlx::query(
            "SELECT o.id, o.created_at, o.subject, o.description, o.category_id, o.lead_unit_id, t.code AS town_code \
             FROM work_orders o LEFT JOIN units t ON t.id = o.town_id \
             WHERE o.dispatched_at IS NOT NULL OR o.direct_answer IS NOT NULL ORDER BY o.id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .or_backend()?
        .iter()
        .map(|row| {
            Ok(hotline_app::ports::TrainingOrder {
                id: OrderId(row.int("id")?),
                created_at: row.at("created_at")?,
                subject: row.text("subject")?,
                description: row.text("description")?,
                category: CategoryId(row.int("category_id")?),
                lead_unit: row.opt_int("lead_unit_id")?.map(UnitId),
                town: row.opt_text("town_code")?,
            })
        })
        .collect()
    }

    async fn insert_order(
        &self,
        decision: &Decision,
        audit: &AuditRecord,
        claim: Option<&IdempotencyClaim>,
        texts: &[hotline_app::ports::SmsMessage],
    ) -> StoreResult<InsertOutcome> {
        self.writer.insert(decision.clone(), audit.clone(), claim.cloned(), texts.to_vec()).await
    }

    async fn save_decision(
        &self,
        expected_version: i64,
        decision: &Decision,
        also: Option<&HistoryEntry>,
        audit: &AuditRecord,
        outbox: &hotline_app::ports::Outbox,
    ) -> StoreResult<()> {
        self.writer.save(expected_version, decision.clone(), also.cloned(), audit.clone(), outbox.clone()).await
    }

    async fn order(&self, id: OrderId) -> StoreResult<Option<WorkOrder>> {
        self.order_where("id = $1", Val::from(id.0)).await
    }

    async fn order_by_number(&self, number: &WorkOrderNo) -> StoreResult<Option<WorkOrder>> {
        self.order_where("number = $1", Val::from(number.as_str())).await
    }

    async fn order_with_attachments(&self, number: &WorkOrderNo) -> StoreResult<Option<(WorkOrder, Vec<AttachmentRecord>)>> {
        self.order_and_attachments_where("number = $1", Val::from(number.as_str()), true).await
    }

    async fn order_id(&self, number: &WorkOrderNo) -> StoreResult<Option<OrderId>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM work_orders WHERE number = $1")
            .bind(number.as_str())
            .fetch_optional(&self.read)
            .await
            .or_backend()?;
        Ok(id.map(OrderId))
    }

    async fn order_id_by_external(&self, reference: &ExternalRef) -> StoreResult<Option<OrderId>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM work_orders WHERE external_source = $1 AND external_number = $2")
            .bind(reference.source())
            .bind(reference.number())
            .fetch_optional(&self.read)
            .await
            .or_backend()?;
        Ok(id.map(OrderId))
    }

    async fn list_orders(&self, scope: &StoreScope, filter: &OrderFilter, page: PageRequest) -> StoreResult<Vec<OrderSummary>> {
        let (mut sql, mut values) = filtered(&format!("SELECT {SUMMARY_COLUMNS} FROM work_orders o"), scope, filter, Membership::Listed);
        if let Some(before) = page.before {
            values.push(before.0.into());
            sql.push_str(&format!(" AND o.id < ${}", values.len()));
        }
        values.push(i64::from(page.limit).into());
        sql.push_str(&format!(" ORDER BY o.id DESC LIMIT ${}", values.len()));
        dynamic(&sql, values).fetch_all(&self.read).await.or_backend()?.iter().map(parse_summary).collect()
    }

    async fn list_order_records(&self, scope: &StoreScope, filter: &OrderFilter, offset: u32, limit: u32) -> StoreResult<Vec<WorkOrder>> {
        // Newest registered first, walking `(created_at, id)` backwards
        // inside the window (`(external_source, created_at, id)` for one
        // partner's), each row's unit checked through the primary key of
        // `order_units`: a page costs the rows walked until it is full, not
        // the unit's whole history.
        let (mut sql, mut values) = filtered("SELECT o.* FROM work_orders o", scope, filter, Membership::Correlated);
        values.push(i64::from(limit).into());
        values.push(i64::from(offset).into());
        sql.push_str(&format!(" ORDER BY o.created_at DESC, o.id DESC LIMIT ${} OFFSET ${}", values.len() - 1, values.len()));
        dynamic(&sql, values).fetch_all(&self.read).await.or_backend()?.iter().map(|row| parse_order(row, Vec::new())).collect()
    }

    async fn unit_pending(&self, units: &[UnitId], page: PageRequest) -> StoreResult<Vec<OrderSummary>> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let mut values = Vec::new();
        let mut sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM work_orders o JOIN (SELECT DISTINCT order_id FROM order_units WHERE active = 1 AND unit_id "
        );
        push_in(&mut sql, &mut values, units.iter().map(|u| u.0));
        if let Some(before) = page.before {
            values.push(before.0.into());
            sql.push_str(&format!(" AND order_id < ${}", values.len()));
        }
        values.push(i64::from(page.limit).into());
        sql.push_str(&format!(" ORDER BY order_id DESC LIMIT ${}) p ON p.order_id = o.id ORDER BY o.id DESC", values.len()));
        dynamic(&sql, values).fetch_all(&self.read).await.or_backend()?.iter().map(parse_summary).collect()
    }

    async fn involved(&self, order: OrderId, units: &[UnitId]) -> StoreResult<bool> {
        if units.is_empty() {
            return Ok(false);
        }
        let mut values = vec![Val::from(order.0)];
        let mut sql = String::from("SELECT 1 FROM order_units WHERE order_id = $1 AND unit_id ");
        push_in(&mut sql, &mut values, units.iter().map(|u| u.0));
        sql.push_str(" LIMIT 1");
        Ok(dynamic(&sql, values).fetch_optional(&self.read).await.or_backend()?.is_some())
    }

    async fn history(&self, order: OrderId) -> StoreResult<Vec<HistoryEntry>> {
        sqlx::query("SELECT * FROM order_history WHERE order_id = $1 ORDER BY seq")
            .bind(order.0)
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(parse_history)
            .collect()
    }

    async fn reserve_sequence(&self, key: &str, count: u64) -> StoreResult<u64> {
        let value: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value RETURNING value",
        )
        .bind(key)
        .bind(count as i64)
        .fetch_one(&self.write)
        .await
        .or_backend()?;
        Ok(value as u64)
    }

    async fn import_orders(&self, orders: &[ImportedOrder], audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let rows: Vec<(&WorkOrder, &[HistoryEntry], &[Timer])> =
            orders.iter().map(|o| (&o.order, o.history.as_slice(), o.timers.as_slice())).collect();
        write_new_orders(&mut tx, self.backend, &rows, &[audit], Inserts::default()).await?;
        tx.commit().await.or_backend()?;
        Ok(())
    }

    async fn count_orders(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM work_orders").fetch_one(&self.read).await.or_backend()
    }

    async fn insert_attachment(&self, record: &AttachmentRecord, caps: AttachmentCaps, audit: &AuditRecord) -> StoreResult<Attached> {
        let mut tx = self.write.begin().await.or_backend()?;
        // SQLite has one writer, so the count below cannot change before the
        // commit; PostgreSQL needs the order row locked for that.
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM work_orders WHERE id = $1 FOR UPDATE").bind(record.order.0).execute(&mut *tx).await.or_backend()?;
        }
        let (all, mine): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN uploaded_by = $2 THEN 1 ELSE 0 END), 0) FROM attachments WHERE order_id = $1",
        )
        .bind(record.order.0)
        .bind(record.uploaded_by.0)
        .fetch_one(&mut *tx)
        .await
        .or_backend()?;
        if all >= caps.per_order as i64 {
            return Ok(Attached::OrderFull);
        }
        if caps.per_uploader.is_some_and(|cap| mine >= cap as i64) {
            return Ok(Attached::UploaderFull);
        }
        let row = vec![
            Val::from(record.id.0),
            record.order.0.into(),
            record.sha256.as_str().into(),
            record.file_name.as_str().into(),
            record.content_type.as_str().into(),
            record.size.into(),
            record.uploaded_by.0.into(),
            micros(record.uploaded_at).into(),
        ];
        let head = "attachments (id, order_id, sha256, file_name, content_type, size, uploaded_by, uploaded_at)";
        insert_rows(&mut tx, self.backend, head, 8, vec![row], "").await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()?;
        Ok(Attached::Stored)
    }

    async fn attachments(&self, order: OrderId) -> StoreResult<Vec<AttachmentRecord>> {
        sqlx::query("SELECT * FROM attachments WHERE order_id = $1 ORDER BY id")
            .bind(order.0)
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(parse_attachment)
            .collect()
    }

    async fn attachment(&self, id: AttachmentId) -> StoreResult<Option<AttachmentRecord>> {
        sqlx::query("SELECT * FROM attachments WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .or_backend()?
            .as_ref()
            .map(parse_attachment)
            .transpose()
    }
}

/// How a unit scope is checked: the list of the units' orders (the order
/// list walks ids), or row by row (a walk of the time window).
enum Membership {
    Listed,
    Correlated,
}

/// The `WHERE` of an order list after `select` (which names `work_orders o`),
/// and its parameters.
fn filtered(select: &str, scope: &StoreScope, filter: &OrderFilter, membership: Membership) -> (String, Vec<Val>) {
    let mut sql = format!("{select} WHERE 1 = 1");
    let mut values: Vec<Val> = Vec::new();
    let param = |values: &mut Vec<Val>, v: Val| {
        values.push(v);
        format!("${}", values.len())
    };
    if !filter.states.is_empty() {
        sql.push_str(" AND o.state ");
        let words: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
        push_in_text(&mut sql, &mut values, &words);
    }
    if let Some(t) = filter.order_type {
        sql.push_str(&format!(" AND o.order_type = {}", param(&mut values, t.as_str().into())));
    }
    if let Some(u) = filter.urgency {
        sql.push_str(&format!(" AND o.urgency = {}", param(&mut values, u.as_str().into())));
    }
    if !filter.categories.is_empty() {
        sql.push_str(" AND o.category_id ");
        push_in(&mut sql, &mut values, filter.categories.iter().map(|c| c.0));
    }
    if let Some(town) = filter.town {
        sql.push_str(&format!(" AND o.town_id = {}", param(&mut values, town.0.into())));
    }
    if let Some(from) = filter.created_from {
        sql.push_str(&format!(" AND o.created_at >= {}", param(&mut values, micros(from).into())));
    }
    if let Some(to) = filter.created_to {
        sql.push_str(&format!(" AND o.created_at < {}", param(&mut values, micros(to).into())));
    }
    if let Some(now) = filter.overdue_at {
        sql.push_str(&format!(
            " AND o.resolved_at IS NULL AND o.state NOT IN ({}) AND o.completion_due < {}",
            TERMINAL_STATES.as_str(),
            param(&mut values, micros(now).into())
        ));
    }
    if filter.published {
        sql.push_str(" AND o.published = 1");
    }
    if let Some(source) = &filter.external_source {
        sql.push_str(&format!(" AND o.external_source = {}", param(&mut values, source.as_str().into())));
    }
    if filter.extension_requested {
        sql.push_str(" AND o.extension_requested = 1");
    }
    if let Some((from, to)) = filter.expiring {
        sql.push_str(&format!(" AND o.resolved_at IS NULL AND o.state NOT IN ({})", TERMINAL_STATES.as_str()));
        sql.push_str(&format!(" AND o.completion_due >= {}", param(&mut values, micros(from).into())));
        sql.push_str(&format!(" AND o.completion_due < {}", param(&mut values, micros(to).into())));
    }
    if let Some(s) = filter.satisfaction {
        sql.push_str(&format!(" AND o.satisfaction = {}", param(&mut values, s.as_str().into())));
    }
    if let Some(since) = filter.texting_since {
        sql.push_str(&format!(
            " AND NOT (o.state = 'pending_follow_up' AND EXISTS (SELECT 1 FROM sms_messages s WHERE s.order_id = o.id \
             AND s.event = 'follow_up' AND s.state <> 'failed' AND s.created_at >= {}))",
            param(&mut values, micros(since).into())
        ));
    }
    if let Some(unit) = filter.unit {
        sql.push_str(&format!(" AND o.id IN (SELECT order_id FROM order_units WHERE unit_id = {})", param(&mut values, unit.0.into())));
    }
    if let Some(text) = &filter.text {
        let like = param(&mut values, format!("%{}%", like_escaped(&text.text)).into());
        let fields =
            ["o.subject", "o.description", "o.address", "o.number", "o.external_number"].map(|f| format!("{f} LIKE {like} ESCAPE '\\'"));
        sql.push_str(&format!(" AND ({}", fields.join(" OR ")));
        if let Some(digits) = &text.phone_digits {
            let tail = param(&mut values, format!("%{digits}").into());
            // A unit never learns who made a report or asked for confidentiality.
            let hidden = match scope {
                StoreScope::All => String::new(),
                StoreScope::Units(_) => " AND o.order_type <> 'report' AND o.caller_confidential = 0".to_owned(),
            };
            sql.push_str(&format!(" OR (o.caller_phone LIKE {tail}{hidden})"));
        }
        sql.push(')');
    }
    if let StoreScope::Units(units) = scope {
        sql.push_str(match membership {
            Membership::Listed => " AND o.id IN (SELECT order_id FROM order_units WHERE unit_id ",
            Membership::Correlated => " AND EXISTS (SELECT 1 FROM order_units u WHERE u.order_id = o.id AND u.unit_id ",
        });
        push_in(&mut sql, &mut values, units.iter().map(|u| u.0));
        sql.push(')');
    }
    (sql, values)
}
