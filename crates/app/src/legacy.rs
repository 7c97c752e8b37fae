//! Import of historical work orders from a legacy system (历史工单导入):
//! rows of a .csv/.xlsx file turned into orders through a column mapping
//! (TOML, see `docs/legacy-import.md`). Imported orders keep their original
//! number, dates, unit, due date and outcome, so they count in the
//! evaluation figures; orders still open get their deadline timers.
//! Every order keeps its legacy number as an external reference (source and
//! number, unique per source); a legacy number that does not look like ours
//! (or is ours already) gets a number of ours. Re-running an import skips
//! the references already stored.

use crate::error::{AppError, AppResult};
use crate::orders::WorkOrders;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use hotline_domain::work_order::{FollowUpRecord, HandlingResult};
use hotline_domain::{
    Action, Caller, CategoryId, Channel, Deadlines, Description, ExternalRef, HistoryEntry, Location, OrderId, OrderType, PersonName,
    PhoneNumber, Satisfaction, State, Subject, UnitId, Urgency, UserId, WorkOrder, WorkOrderNo,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

/// Which source column feeds each field. Only `number`, `created_at`,
/// `subject` and `category` are required.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub number: String,
    pub created_at: String,
    pub subject: String,
    pub category: String,
    pub description: Option<String>,
    pub channel: Option<String>,
    #[serde(rename = "type")]
    pub order_type: Option<String>,
    pub urgency: Option<String>,
    pub state: Option<String>,
    pub town: Option<String>,
    pub address: Option<String>,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub lead_unit: Option<String>,
    pub dispatched_at: Option<String>,
    pub signed_at: Option<String>,
    pub due_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub result: Option<String>,
    pub satisfaction: Option<String>,
    pub solved: Option<String>,
}

/// Source values and what they mean here: vocabularies by wire name
/// (`complaint`, `archived` …), units by code, categories by path. Values
/// not listed are tried as they are (wire names, Chinese labels, unit codes
/// and names, category paths or unique names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueMaps {
    #[serde(default)]
    pub state: BTreeMap<String, String>,
    #[serde(default, rename = "type")]
    pub order_type: BTreeMap<String, String>,
    #[serde(default)]
    pub channel: BTreeMap<String, String>,
    #[serde(default)]
    pub urgency: BTreeMap<String, String>,
    #[serde(default)]
    pub satisfaction: BTreeMap<String, String>,
    #[serde(default)]
    pub unit: BTreeMap<String, String>,
    #[serde(default)]
    pub category: BTreeMap<String, String>,
    #[serde(default)]
    pub solved: BTreeMap<String, bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportMapping {
    pub columns: Columns,
    #[serde(default)]
    pub values: ValueMaps,
    /// chrono formats tried in turn, e.g. `%Y-%m-%d %H:%M:%S`; local time of
    /// the centre's calendar. A date alone means midnight.
    #[serde(default = "default_formats")]
    pub date_formats: Vec<String>,
    /// Prepended to numbers that start with a digit, e.g. `DG`.
    pub number_prefix: Option<String>,
    /// The name of the legacy system, kept with each legacy number
    /// (`legacy` when not given); numbers are unique per source.
    #[serde(default = "default_source")]
    pub source: String,
    #[serde(default)]
    pub defaults: Defaults,
}

/// What a value no map lists and nothing here knows becomes, instead of
/// refusing the row.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// A unit code or name, for lead units not known here (towns are not
    /// defaulted: a wrong town would skew every town's figures).
    pub unit: Option<String>,
    /// A category path or unique name, for categories not known here (and empty ones).
    pub category: Option<String>,
}

fn default_source() -> String {
    "legacy".to_owned()
}

fn default_formats() -> Vec<String> {
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"].map(String::from).to_vec()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub imported: usize,
    /// Legacy numbers already stored (an earlier run of the same import).
    pub already_stored: usize,
    /// Rows whose legacy number did not fit ours (or was taken), imported
    /// under a number of ours.
    pub renumbered: usize,
    /// Rows whose unit or category was not known, imported with the mapping's defaults.
    pub defaulted: usize,
    /// `(line, reason)` of each row refused.
    pub rejected: Vec<(usize, String)>,
    pub dry_run: bool,
}

/// Orders written per transaction.
const BATCH: usize = 1000;

/// A row's cells by column name.
struct Row<'a> {
    header: &'a [String],
    cells: &'a [String],
}

impl Row<'_> {
    fn get(&self, column: &Option<String>) -> Option<&str> {
        column.as_deref().and_then(|c| self.cell(c))
    }

    fn cell(&self, column: &str) -> Option<&str> {
        let i = self.header.iter().position(|h| h.trim() == column)?;
        self.cells.get(i).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

impl WorkOrders {
    /// Imports rows (line number and cells under `header`); with `dry_run`
    /// only validates. `progress(done, total)` is called as rows are read.
    pub async fn import_legacy(
        &self,
        by: Option<UserId>,
        mapping: &ImportMapping,
        header: &[String],
        rows: &[(usize, Vec<String>)],
        dry_run: bool,
        mut progress: impl FnMut(usize, usize),
    ) -> AppResult<ImportReport> {
        let missing: Vec<&str> =
            [&mapping.columns.number, &mapping.columns.created_at, &mapping.columns.subject, &mapping.columns.category]
                .into_iter()
                .map(String::as_str)
                .filter(|c| !header.iter().any(|h| h.trim() == *c))
                .collect();
        if !missing.is_empty() {
            return Err(AppError::invalid("columns", format!("the file has no column {}", missing.join(", "))));
        }
        let source = ExternalRef::parse(&mapping.source, "-").map_err(|e| AppError::invalid("source", e.message))?;
        let source = source.source();
        for (field, value, known) in [
            ("defaults.unit", &mapping.defaults.unit, mapping.defaults.unit.as_deref().is_none_or(|u| self.known_unit(u))),
            ("defaults.category", &mapping.defaults.category, mapping.defaults.category.as_deref().is_none_or(|c| self.known_category(c))),
        ] {
            if !known {
                return Err(AppError::invalid(field, format!("{:?} is not known here", value.as_deref().unwrap_or_default())));
            }
        }
        let mut report = ImportReport { rows: rows.len(), dry_run, ..Default::default() };
        let mut seen_refs = HashSet::new();
        let mut taken_numbers = HashSet::new();
        let mut batch = Vec::new();
        for (done, (line, cells)) in rows.iter().enumerate() {
            let row = Row { header, cells };
            match self.legacy_order(mapping, source, &row, by.unwrap_or(UserId(0))) {
                Err(reason) => report.rejected.push((*line, reason)),
                Ok(legacy) => {
                    let LegacyOrder { mut order, keeps_number, defaulted } = legacy;
                    let reference = order.external_ref.clone().expect("legacy orders carry their reference");
                    if !seen_refs.insert(reference.clone()) {
                        report.rejected.push((*line, format!("number {} appears twice in the file", reference.number())));
                    } else if self.store.order_id_by_external(&reference).await?.is_some() {
                        report.already_stored += 1;
                    } else {
                        let fits =
                            keeps_number && !taken_numbers.contains(&order.number) && self.store.order_id(&order.number).await?.is_none();
                        if !fits {
                            report.renumbered += 1;
                            // A dry run reserves nothing: the number is only counted.
                            if !dry_run {
                                order.number = self.fresh_number(&order, &taken_numbers).await?;
                            }
                        }
                        taken_numbers.insert(order.number.clone());
                        report.defaulted += usize::from(defaulted);
                        let entry = HistoryEntry {
                            order: order.id,
                            at: order.created_at,
                            actor: order.created_by,
                            actor_unit: None,
                            action: Action::Register,
                            from_state: None,
                            to_state: order.state,
                            detail: serde_json::json!({ "imported": true, "line": line, "source": reference.source(), "legacy_number": reference.number() }),
                        };
                        batch.push((order, vec![entry]));
                    }
                }
            }
            if batch.len() == BATCH {
                report.imported += batch.len();
                let full = std::mem::take(&mut batch);
                if !dry_run {
                    self.import(by, full, "legacy").await?;
                }
            }
            if done % 1000 == 999 || done + 1 == rows.len() {
                progress(done + 1, rows.len());
            }
        }
        report.imported += batch.len();
        if !dry_run && !batch.is_empty() {
            self.import(by, batch, "legacy").await?;
        }
        Ok(report)
    }

    /// A number of ours on the order's registration day, past any number
    /// already used (imports may have kept legacy numbers of that day).
    async fn fresh_number(&self, order: &WorkOrder, taken: &HashSet<WorkOrderNo>) -> AppResult<WorkOrderNo> {
        let day = self.calendar.snapshot().local_date(order.created_at);
        loop {
            let number = self.numbers.next(day).await?;
            if !taken.contains(&number) && self.store.order_id(&number).await?.is_none() {
                return Ok(number);
            }
        }
    }

    fn known_unit(&self, key: &str) -> bool {
        find_unit(&self.directory.snapshot(), key).is_some()
    }

    fn known_category(&self, raw: &str) -> bool {
        find_category(&self.directory.snapshot(), raw).is_some()
    }

    fn legacy_order(&self, m: &ImportMapping, source: &str, row: &Row<'_>, by: UserId) -> Result<LegacyOrder, String> {
        let c = &m.columns;
        let org = self.directory.snapshot();
        let calendar = self.calendar.snapshot();
        let zone = calendar.time_zone();
        let instant = |column: &Option<String>, name: &str| -> Result<Option<DateTime<Utc>>, String> {
            let Some(raw) = row.get(column) else { return Ok(None) };
            parse_time(raw, &m.date_formats, zone).map(Some).ok_or_else(|| format!("{name}: {raw:?} matches none of the date formats"))
        };
        let required = |column: &str| row.cell(column).ok_or_else(|| format!("{column} is empty"));

        let raw_number = required(&c.number)?;
        let external_ref = ExternalRef::parse(source, raw_number).map_err(|e| format!("number {raw_number:?}: {}", e.message))?;
        let created_at = instant(&Some(c.created_at.clone()), "created_at")?.ok_or("created_at is empty")?;
        let candidate = match (&m.number_prefix, raw_number.starts_with(|ch: char| ch.is_ascii_digit())) {
            (Some(prefix), true) => format!("{prefix}{raw_number}"),
            _ => raw_number.to_owned(),
        };
        // A number that does not fit ours is replaced when the order is written.
        let (number, keeps_number) = match WorkOrderNo::parse(&candidate) {
            Ok(number) => (number, true),
            Err(_) => (WorkOrderNo::new(self.numbers.prefix(), calendar.local_date(created_at), 0), false),
        };
        let mut defaulted = false;
        let pick = |map: &BTreeMap<String, String>, raw: &str| map.get(raw).cloned().unwrap_or_else(|| raw.to_owned());
        let vocab = |column: &Option<String>, map: &BTreeMap<String, String>| row.get(column).map(|raw| pick(map, raw));
        let order_type = match vocab(&c.order_type, &m.values.order_type) {
            None => OrderType::Other,
            Some(w) => OrderType::from_word_or_label(&w).ok_or(format!("type: unknown {w:?}"))?,
        };
        let channel = match vocab(&c.channel, &m.values.channel) {
            None => Channel::Phone,
            Some(w) => Channel::from_word_or_label(&w).ok_or(format!("channel: unknown {w:?}"))?,
        };
        let urgency = match vocab(&c.urgency, &m.values.urgency) {
            None => Urgency::Normal,
            Some(w) => Urgency::from_word_or_label(&w).ok_or(format!("urgency: unknown {w:?}"))?,
        };
        let resolved_at = instant(&c.resolved_at, "resolved_at")?;
        let state = match vocab(&c.state, &m.values.state) {
            None if resolved_at.is_some() => State::Archived,
            None => State::PendingDispatch,
            Some(w) => State::from_word_or_label(&w).ok_or(format!("state: unknown {w:?}"))?,
        };
        let category_raw = match (row.cell(&c.category), &m.defaults.category) {
            (Some(raw), _) => pick(&m.values.category, raw),
            (None, Some(default)) => {
                defaulted = true;
                default.clone()
            }
            (None, None) => return Err(format!("{} is empty", c.category)),
        };
        let category = match (find_category(&org, &category_raw), &m.defaults.category) {
            (Some(found), _) => found,
            (None, Some(default)) => {
                defaulted = true;
                find_category(&org, default).ok_or(format!("category: no category {default:?}"))?
            }
            (None, None) => return Err(format!("category: no category {category_raw:?}")),
        };
        let mut unit = |column: &Option<String>, name: &str, default: Option<&String>| -> Result<Option<UnitId>, String> {
            let Some(raw) = row.get(column) else { return Ok(None) };
            let key = pick(&m.values.unit, raw);
            match (find_unit(&org, &key), default) {
                (Some(found), _) => Ok(Some(found)),
                (None, Some(default)) => {
                    defaulted = true;
                    find_unit(&org, default).map(Some).ok_or_else(|| format!("{name}: no unit with code or name {default:?}"))
                }
                (None, None) => Err(format!("{name}: no unit with code or name {key:?}")),
            }
        };
        let town = unit(&c.town, "town", None)?;
        let lead_unit = unit(&c.lead_unit, "lead_unit", m.defaults.unit.as_ref())?;
        let dispatched_at = instant(&c.dispatched_at, "dispatched_at")?.or(lead_unit.map(|_| created_at));
        let signed_at = instant(&c.signed_at, "signed_at")?;
        let rules = &self.rules();
        let completion = match instant(&c.due_at, "due_at")? {
            Some(due) => due,
            None => rules.completion_span(order_type, urgency).due_from(&calendar, created_at).map_err(|e| format!("due_at: {e}"))?,
        };
        let sign_for =
            dispatched_at.map(|d| rules.sign_for.due_from(&calendar, d)).transpose().map_err(|e| format!("sign-for due: {e}"))?;
        let resolved_at = resolved_at
            .or_else(|| (state == State::Archived).then_some(instant(&c.closed_at, "closed_at").ok().flatten().unwrap_or(created_at)));
        let closed_at = if state.is_terminal() { instant(&c.closed_at, "closed_at")?.or(resolved_at).or(Some(created_at)) } else { None };
        let text = |column: &Option<String>, fallback: &str| row.get(column).unwrap_or(fallback).to_owned();
        let description =
            Description::parse(&text(&c.description, required(&c.subject)?)).map_err(|e| format!("description: {}", e.message))?;
        let satisfaction = match vocab(&c.satisfaction, &m.values.satisfaction) {
            None => None,
            Some(w) => Some(Satisfaction::from_word_or_label(&w).ok_or(format!("satisfaction: unknown {w:?}"))?),
        };
        let solved = match row.get(&c.solved) {
            None => None,
            Some(raw) => {
                Some(m.values.solved.get(raw).copied().or_else(|| parse_bool(raw)).ok_or(format!("solved: {raw:?} is not yes or no"))?)
            }
        };
        let result = match (resolved_at, lead_unit) {
            (Some(at), Some(unit)) => {
                let body = Description::parse(&text(&c.result, "（历史数据导入）")).map_err(|e| format!("result: {}", e.message))?;
                Some(HandlingResult {
                    by,
                    unit,
                    at,
                    result: body.clone(),
                    solved: solved.unwrap_or(true),
                    public_reply: body,
                    contacted_citizen_at: None,
                    // Nobody here decided to publish it.
                    published: false,
                })
            }
            _ => None,
        };
        let follow_up = satisfaction.map(|s| FollowUpRecord {
            by,
            at: closed_at.or(resolved_at).unwrap_or(created_at),
            contacted: true,
            satisfaction: Some(s),
            solved,
            note: None,
        });
        let order = WorkOrder {
            id: OrderId(self.ids.next()),
            number,
            channel,
            order_type,
            category,
            urgency,
            caller: Caller {
                name: row.get(&c.caller_name).map(PersonName::parse).transpose().map_err(|e| format!("caller_name: {}", e.message))?,
                phone: row.get(&c.caller_phone).map(PhoneNumber::parse).transpose().map_err(|e| format!("caller_phone: {}", e.message))?,
                anonymous: row.get(&c.caller_name).is_none(),
                confidential: order_type == OrderType::Report,
                sms_opt_out: false,
            },
            location: Location {
                town,
                address: row.get(&c.address).map(Subject::parse).transpose().map_err(|e| format!("address: {}", e.message))?,
                coordinates: None,
            },
            subject: Subject::parse(required(&c.subject)?).map_err(|e| format!("subject: {}", e.message))?,
            description,
            call_id: None,
            lead_unit,
            co_units: Vec::new(),
            assignee_unit: lead_unit,
            state,
            version: 1,
            created_by: by,
            created_at,
            updated_at: closed_at.or(resolved_at).unwrap_or(created_at),
            deadlines: Deadlines { sign_for, completion, completion_from: created_at, follow_up: None },
            dispatched_at,
            signed_at,
            resolved_at,
            closed_at,
            direct_answer: None,
            pending_return: None,
            pending_extension: None,
            result,
            follow_up,
            invalidation: None,
            merged_into: None,
            emergency: None,
            external_ref: Some(external_ref),
            media_url: None,
            counters: Default::default(),
            notices: Vec::new(),
        };
        Ok(LegacyOrder { order, keeps_number, defaulted })
    }
}

/// One row made into an order, before its number is settled.
struct LegacyOrder {
    order: WorkOrder,
    /// Its legacy number fits ours and can be kept if no order holds it.
    keeps_number: bool,
    /// A unit or category came from the mapping's defaults.
    defaulted: bool,
}

fn parse_time(raw: &str, formats: &[String], zone: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    formats.iter().find_map(|f| {
        let local = NaiveDateTime::parse_from_str(raw, f)
            .ok()
            .or_else(|| NaiveDate::parse_from_str(raw, f).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
        zone.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc))
    })
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw {
        "是" | "已解决" | "yes" | "true" | "1" | "Y" | "y" => Some(true),
        "否" | "未解决" | "no" | "false" | "0" | "N" | "n" => Some(false),
        _ => None,
    }
}

/// A unit by its code or its name.
fn find_unit(org: &crate::directory::OrgSnapshot, key: &str) -> Option<UnitId> {
    org.unit_by_code(key).or_else(|| org.units().find(|u| u.name == key)).map(|u| u.id)
}

/// A category by its path of names (`a/b/c`) or by a name only one category has.
fn find_category(org: &crate::directory::OrgSnapshot, raw: &str) -> Option<CategoryId> {
    if raw.contains('/') {
        return org.categories().find(|c| org.category_path(c.id).names.join("/") == raw).map(|c| c.id);
    }
    let mut named = org.categories().filter(|c| c.name == raw);
    match (named.next(), named.next()) {
        (Some(c), None) => Some(c.id),
        _ => None,
    }
}
