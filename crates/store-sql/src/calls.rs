//! The call centre's records: calls, status changes, callback tasks and
//! consultants' training, certifications and mentors.

use crate::codec::{Get, date_text, flag, json, micros, opt_from_json, opt_micros, parse_date, parse_day, word};
use crate::orders::{SUMMARY_COLUMNS, parse_summary};
use crate::sql::{Val, insert_audit, insert_rows, touched};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::calls::{CallInProgress, CallRow, CallStore, CallbackTask, DemandCell, PhoneBinding, RecordingRef, StatusChange};
use hotline_app::ports::{AuditRecord, OrderSummary, StoreError, StoreResult};
use hotline_callcentre::engine::{AgentStatus, Outcome, TransferResult};
use hotline_callcentre::quality::{CallQuality, LegQuality};
use hotline_domain::{Certification, ConsultantProfile, CourseName, OrderId, PhoneNumber, Satisfaction, Training, TrainingKind, UserId};
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

fn stored<T>(column: &str, text: &str, parse: impl Fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(text).ok_or_else(|| StoreError::Backend(format!("column {column}: unknown value {text:?}")))
}

fn parse_call(row: &AnyRow) -> StoreResult<CallRow> {
    Ok(CallRow {
        id: row.int("id")?,
        queue: row.text("queue")?,
        caller: row.text("caller")?,
        agent: row.opt_int("agent_id")?.map(UserId),
        arrived_at: row.at("arrived_at")?,
        answered_at: row.opt_at("answered_at")?,
        ended_at: row.at("ended_at")?,
        outcome: stored("outcome", &row.text("outcome")?, Outcome::parse)?,
        transfer_to: row.opt_text("transfer_to")?,
        transfer_result: row.opt_text("transfer_result")?.map(|t| stored("transfer_result", &t, TransferResult::parse)).transpose()?,
        transfers: opt_from_json("transfers", row.opt_text("transfers")?)?.unwrap_or_default(),
        wrap_up_secs: row.int("wrap_up_secs")?,
        order: row.opt_int("order_id")?.map(OrderId),
        recording: match (row.opt_text("recording_sha256")?, row.opt_int("recording_ms")?) {
            (Some(sha256), Some(millis)) => Some(RecordingRef { sha256, millis }),
            _ => None,
        },
        recording_purged_at: row.opt_at("recording_purged_at")?,
        taken_over_by: row.opt_int("taken_over_by")?.map(UserId),
        satisfaction: row.opt_text("satisfaction")?.map(|s| stored("satisfaction", &s, |w| Satisfaction::parse(w).ok())).transpose()?,
        quality: parse_quality(row)?,
    })
}

fn parse_side(row: &AnyRow, side: &str) -> StoreResult<Option<LegQuality>> {
    let (packets, lost, jitter) =
        (row.opt_int(&format!("{side}_packets"))?, row.opt_int(&format!("{side}_lost"))?, row.opt_int(&format!("{side}_jitter_us"))?);
    Ok(match (packets, lost, jitter) {
        (Some(packets), Some(lost), Some(jitter)) => {
            Some(LegQuality { packets: packets as u64, lost: lost as u64, jitter_ms: jitter as f64 / 1000.0 })
        }
        _ => None,
    })
}

fn parse_quality(row: &AnyRow) -> StoreResult<Option<CallQuality>> {
    Ok(match (parse_side(row, "caller")?, parse_side(row, "consultant")?) {
        (Some(caller), Some(consultant)) => Some(CallQuality { caller, consultant }),
        _ => None,
    })
}

fn parse_callback(row: &AnyRow) -> StoreResult<CallbackTask> {
    Ok(CallbackTask {
        call: row.int("call_id")?,
        caller: row.text("caller")?,
        queue: row.text("queue")?,
        outcome: stored("outcome", &row.text("outcome")?, Outcome::parse)?,
        created_at: row.at("created_at")?,
        done_at: row.opt_at("done_at")?,
        done_by: row.opt_int("done_by")?.map(UserId),
        note: row.opt_text("note")?,
    })
}

fn parse_training(row: &AnyRow) -> StoreResult<Training> {
    Ok(Training {
        id: row.int("id")?,
        kind: word("kind", &row.text("kind")?, TrainingKind::parse)?,
        skill: row.opt_text("skill")?,
        course: word("course", &row.text("course")?, CourseName::parse)?,
        completed_on: parse_day("completed_on", &row.text("completed_on")?)?,
        passed: row.flag("passed")?,
    })
}

fn parse_certification(row: &AnyRow) -> StoreResult<Certification> {
    Ok(Certification {
        id: row.int("id")?,
        skill: row.text("skill")?,
        level: u8::try_from(row.int("level")?).map_err(|_| StoreError::Backend("column level: out of range".into()))?,
        certified_on: parse_day("certified_on", &row.text("certified_on")?)?,
        expires_on: parse_date("expires_on", row.opt_text("expires_on")?)?,
    })
}

fn profile(profiles: &mut BTreeMap<UserId, ConsultantProfile>, user: i64) -> &mut ConsultantProfile {
    let user = UserId(user);
    profiles.entry(user).or_insert_with(|| ConsultantProfile { user: Some(user), ..Default::default() })
}

impl SqlStore {
    /// Every consultant's record, or one consultant's.
    async fn profiles(&self, only: Option<UserId>) -> StoreResult<BTreeMap<UserId, ConsultantProfile>> {
        let (filter, key) = match only {
            Some(user) => ("WHERE user_id = $1", user.0),
            None => ("WHERE user_id <> $1", i64::MIN),
        };
        let mut profiles = BTreeMap::new();
        let fetch = |table: &str| format!("SELECT * FROM {table} {filter} ORDER BY id");
        let trainings =
            sqlx::query(sqlx::AssertSqlSafe(fetch("consultant_trainings"))).bind(key).fetch_all(&self.read).await.or_backend()?;
        let certs =
            sqlx::query(sqlx::AssertSqlSafe(fetch("consultant_certifications"))).bind(key).fetch_all(&self.read).await.or_backend()?;
        let mentors = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM consultant_mentors {filter}")))
            .bind(key)
            .fetch_all(&self.read)
            .await
            .or_backend()?;
        for row in &trainings {
            profile(&mut profiles, row.int("user_id")?).trainings.push(parse_training(row)?);
        }
        for row in &certs {
            profile(&mut profiles, row.int("user_id")?).certifications.push(parse_certification(row)?);
        }
        for row in &mentors {
            profile(&mut profiles, row.int("user_id")?).mentor = Some(UserId(row.int("mentor_id")?));
        }
        Ok(profiles)
    }
}

fn parse_in_progress(row: &AnyRow) -> StoreResult<CallInProgress> {
    Ok(CallInProgress {
        call: row.int("call_id")?,
        node: row.int("node")?,
        queue: row.text("queue")?,
        caller: row.text("caller")?,
        arrived_at: row.at("arrived_at")?,
    })
}

#[async_trait]
impl CallStore for SqlStore {
    async fn call_began(&self, call: &CallInProgress) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO calls_in_progress (call_id, node, queue, caller, arrived_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (call_id) DO NOTHING",
        )
        .bind(call.call)
        .bind(call.node)
        .bind(&call.queue)
        .bind(&call.caller)
        .bind(micros(call.arrived_at))
        .execute(&self.write)
        .await
        .or_backend()?;
        Ok(())
    }

    async fn mark_calls_lost(&self, node: i64, at: DateTime<Utc>) -> StoreResult<Vec<CallInProgress>> {
        let mut tx = self.write.begin().await.or_backend()?;
        let rows = sqlx::query(
            "UPDATE calls_in_progress SET lost_at = $1, lost_by = $2 WHERE lost_at IS NULL \
             RETURNING call_id, node, queue, caller, arrived_at",
        )
        .bind(micros(at))
        .bind(node)
        .fetch_all(&mut *tx)
        .await
        .or_backend()?;
        let mut lost = rows.iter().map(parse_in_progress).collect::<StoreResult<Vec<_>>>()?;
        lost.sort_by_key(|c| (c.arrived_at, c.call));
        // Each lost call gets its record, ended when it was found lost, and
        // a callback task: its caller was cut off and is owed a call.
        let records = lost
            .iter()
            .map(|c| {
                vec![
                    Val::from(c.call),
                    c.queue.clone().into(),
                    c.caller.clone().into(),
                    micros(c.arrived_at).into(),
                    micros(at).into(),
                    Outcome::Lost.as_str().into(),
                    Val::from(0i64),
                ]
            })
            .collect();
        let head = "calls (id, queue, caller, arrived_at, ended_at, outcome, wrap_up_secs)";
        let recorded = insert_rows(&mut tx, self.backend, head, 7, records, "ON CONFLICT (id) DO NOTHING RETURNING id").await?;
        let recorded: Vec<i64> = recorded.iter().map(|r| r.int("id")).collect::<StoreResult<_>>()?;
        let tasks = lost
            .iter()
            .filter(|c| recorded.contains(&c.call))
            .map(|c| {
                vec![Val::from(c.call), c.caller.clone().into(), c.queue.clone().into(), Outcome::Lost.as_str().into(), micros(at).into()]
            })
            .collect();
        insert_rows(&mut tx, self.backend, "callbacks (call_id, caller, queue, outcome, created_at)", 5, tasks, "").await?;
        tx.commit().await.or_backend()?;
        Ok(lost)
    }

    async fn save_phone_binding(&self, binding: &PhoneBinding) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO phone_bindings (user_id, contact, destination, path, expires_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET contact = excluded.contact, destination = excluded.destination, \
             path = excluded.path, expires_at = excluded.expires_at",
        )
        .bind(binding.user.0)
        .bind(&binding.contact)
        .bind(&binding.destination)
        .bind(binding.path.join("\n"))
        .bind(micros(binding.expires_at))
        .execute(&self.write)
        .await
        .or_backend()?;
        Ok(())
    }

    async fn remove_phone_binding(&self, user: UserId) -> StoreResult<()> {
        sqlx::query("DELETE FROM phone_bindings WHERE user_id = $1").bind(user.0).execute(&self.write).await.or_backend()?;
        Ok(())
    }

    async fn phone_bindings(&self, now: DateTime<Utc>) -> StoreResult<Vec<PhoneBinding>> {
        sqlx::query("DELETE FROM phone_bindings WHERE expires_at <= $1").bind(micros(now)).execute(&self.write).await.or_backend()?;
        let rows = sqlx::query(
            "SELECT user_id, contact, destination, path, expires_at FROM phone_bindings WHERE expires_at > $1 ORDER BY user_id",
        )
        .bind(micros(now))
        .fetch_all(&self.write)
        .await
        .or_backend()?;
        rows.iter()
            .map(|r| {
                let path = r.text("path")?;
                Ok(PhoneBinding {
                    user: UserId(r.int("user_id")?),
                    contact: r.text("contact")?,
                    destination: r.text("destination")?,
                    path: path.lines().map(str::to_owned).collect(),
                    expires_at: r.at("expires_at")?,
                })
            })
            .collect()
    }

    async fn calls_lost_since(&self, since: DateTime<Utc>) -> StoreResult<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM calls_in_progress WHERE lost_at >= $1")
            .bind(micros(since))
            .fetch_one(&self.read)
            .await
            .or_backend()?;
        Ok(row.int("n")? as u64)
    }

    async fn insert_call(&self, call: &CallRow, callback: bool) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let row = vec![
            Val::from(call.id),
            call.queue.clone().into(),
            call.caller.clone().into(),
            call.agent.map(|u| u.0).into(),
            micros(call.arrived_at).into(),
            opt_micros(call.answered_at).into(),
            micros(call.ended_at).into(),
            call.outcome.as_str().into(),
            Val::Text(call.transfer_to.clone()),
            Val::Text(call.transfer_result.map(|r| r.as_str().to_owned())),
            call.wrap_up_secs.into(),
            call.order.map(|o| o.0).into(),
            Val::Text((!call.transfers.is_empty()).then(|| json(&call.transfers))),
            call.taken_over_by.map(|u| u.0).into(),
        ];
        let head = "calls (id, queue, caller, agent_id, arrived_at, answered_at, ended_at, outcome, transfer_to, transfer_result, \
                    wrap_up_secs, order_id, transfers, taken_over_by)";
        // A record written when the call was found lost gives way to the
        // call's own: its node was cut off from the database, not stopped,
        // and carried the call to its end.
        let tail = "ON CONFLICT (id) DO UPDATE SET queue = excluded.queue, caller = excluded.caller, agent_id = excluded.agent_id, \
                    arrived_at = excluded.arrived_at, answered_at = excluded.answered_at, ended_at = excluded.ended_at, \
                    outcome = excluded.outcome, transfer_to = excluded.transfer_to, transfer_result = excluded.transfer_result, \
                    wrap_up_secs = excluded.wrap_up_secs, order_id = COALESCE(excluded.order_id, calls.order_id), \
                    transfers = excluded.transfers, taken_over_by = excluded.taken_over_by WHERE calls.outcome = 'lost' RETURNING id";
        let inserted = insert_rows(&mut tx, self.backend, head, 14, vec![row], tail).await?;
        sqlx::query("DELETE FROM calls_in_progress WHERE call_id = $1").bind(call.id).execute(&mut *tx).await.or_backend()?;
        if !inserted.is_empty() {
            // The callback owed for a lost call, unless someone made it.
            sqlx::query("DELETE FROM callbacks WHERE call_id = $1 AND outcome = 'lost' AND done_at IS NULL")
                .bind(call.id)
                .execute(&mut *tx)
                .await
                .or_backend()?;
        }
        if call.order.is_none() {
            // An order registered while the caller was on the line names the call.
            crate::orders::link_calls(&mut tx, self.backend, &[call.id]).await?;
        }
        if callback && !inserted.is_empty() {
            let task = vec![
                Val::from(call.id),
                call.caller.clone().into(),
                call.queue.clone().into(),
                call.outcome.as_str().into(),
                micros(call.ended_at).into(),
            ];
            let tail = "ON CONFLICT (call_id) DO NOTHING";
            insert_rows(&mut tx, self.backend, "callbacks (call_id, caller, queue, outcome, created_at)", 5, vec![task], tail).await?;
        }
        tx.commit().await.or_backend()
    }

    async fn call(&self, id: i64) -> StoreResult<Option<CallRow>> {
        let row = sqlx::query("SELECT * FROM calls WHERE id = $1").bind(id).fetch_optional(&self.read).await.or_backend()?;
        row.as_ref().map(parse_call).transpose()
    }

    async fn calls(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<CallRow>> {
        self.between("SELECT * FROM calls WHERE arrived_at >= $1 AND arrived_at < $2 ORDER BY arrived_at, id", from, to, parse_call).await
    }

    async fn call_demand(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        utc_offset_secs: i32,
        short_abandon_secs: u32,
    ) -> StoreResult<Vec<DemandCell>> {
        // Epoch day 0 (1970-01-01) was a Thursday: shifted by three days,
        // whole weeks start on Mondays. Times are microseconds, not negative.
        let sql = "SELECT queue, ((arrived_at / 1000000 + $3 + 259200) % 604800) / 1800 AS slot, \
                   COUNT(*) AS calls, COUNT(answered_at) AS handled, \
                   CAST(COALESCE(SUM(ended_at - answered_at), 0) AS BIGINT) AS talk_micros, \
                   CAST(COALESCE(SUM(CASE WHEN answered_at IS NULL THEN 0 ELSE wrap_up_secs END), 0) AS BIGINT) AS wrap_secs \
                   FROM calls WHERE arrived_at >= $1 AND arrived_at < $2 \
                   AND NOT (outcome = 'abandoned' AND ended_at - arrived_at < $4) \
                   GROUP BY queue, slot ORDER BY queue, slot";
        sqlx::query(sql)
            .bind(micros(from))
            .bind(micros(to))
            .bind(i64::from(utc_offset_secs))
            .bind(i64::from(short_abandon_secs) * 1_000_000)
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                Ok(DemandCell {
                    queue: row.text("queue")?,
                    slot: row.int("slot")? as usize,
                    calls: row.int("calls")? as u64,
                    handled: row.int("handled")? as u64,
                    handling_secs: row.int("talk_micros")? as f64 / 1e6 + row.int("wrap_secs")? as f64,
                })
            })
            .collect()
    }

    async fn link_call(&self, id: i64, order: OrderId, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let n = sqlx::query("UPDATE calls SET order_id = $1 WHERE id = $2").bind(order.0).bind(id).execute(&mut *tx).await.or_backend()?;
        touched(n.rows_affected(), format!("call {id}"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn set_recording(&self, id: i64, recording: &RecordingRef) -> StoreResult<()> {
        let n = sqlx::query("UPDATE calls SET recording_sha256 = $1, recording_ms = $2 WHERE id = $3")
            .bind(recording.sha256.as_str())
            .bind(recording.millis)
            .bind(id)
            .execute(&self.write)
            .await
            .or_backend()?;
        touched(n.rows_affected(), format!("call {id}"))
    }

    async fn set_quality(&self, id: i64, quality: &CallQuality) -> StoreResult<()> {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let jitter = |ms: f64| (ms * 1000.0).round() as i64;
        let n = sqlx::query(
            "UPDATE calls SET caller_packets = $1, caller_lost = $2, caller_jitter_us = $3, \
             consultant_packets = $4, consultant_lost = $5, consultant_jitter_us = $6, mos_centi = $7 WHERE id = $8",
        )
        .bind(count(quality.caller.packets))
        .bind(count(quality.caller.lost))
        .bind(jitter(quality.caller.jitter_ms))
        .bind(count(quality.consultant.packets))
        .bind(count(quality.consultant.lost))
        .bind(jitter(quality.consultant.jitter_ms))
        .bind(quality.mos().map(|m| (m * 100.0).round() as i64))
        .bind(id)
        .execute(&self.write)
        .await
        .or_backend()?;
        touched(n.rows_affected(), format!("call {id}"))
    }

    async fn recordings_ended_before(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<Vec<(i64, RecordingRef)>> {
        let rows = sqlx::query(
            "SELECT id, recording_sha256, recording_ms FROM calls WHERE recording_sha256 IS NOT NULL AND ended_at < $1 ORDER BY ended_at LIMIT $2",
        )
        .bind(micros(before))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .or_backend()?;
        rows.iter()
            .map(|r| Ok((r.int("id")?, RecordingRef { sha256: r.text("recording_sha256")?, millis: r.int("recording_ms")? })))
            .collect()
    }

    async fn mark_recording_purged(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        let n = sqlx::query("UPDATE calls SET recording_sha256 = NULL, recording_purged_at = $1 WHERE id = $2")
            .bind(micros(at))
            .bind(id)
            .execute(&self.write)
            .await
            .or_backend()?;
        touched(n.rows_affected(), format!("call {id}"))
    }

    async fn rate_call(&self, id: i64, satisfaction: Satisfaction) -> StoreResult<()> {
        let n = sqlx::query("UPDATE calls SET satisfaction = $1 WHERE id = $2")
            .bind(satisfaction.as_str())
            .bind(id)
            .execute(&self.write)
            .await
            .or_backend()?;
        touched(n.rows_affected(), format!("call {id}"))
    }

    async fn insert_status_changes(&self, changes: &[StatusChange]) -> StoreResult<()> {
        let rows = changes
            .iter()
            .map(|c| {
                vec![Val::from(c.agent.0), micros(c.at).into(), c.status.kind().into(), Val::Text(c.status.reason().map(str::to_owned))]
            })
            .collect();
        let mut tx = self.write.begin().await.or_backend()?;
        insert_rows(&mut tx, self.backend, "agent_status_log (agent_id, at, status, reason)", 4, rows, "").await?;
        tx.commit().await.or_backend()
    }

    async fn status_changes(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<StatusChange>> {
        self.between("SELECT * FROM agent_status_log WHERE at >= $1 AND at < $2 ORDER BY at", from, to, |row| {
            let kind = row.text("status")?;
            let reason = row.opt_text("reason")?;
            Ok(StatusChange {
                agent: UserId(row.int("agent_id")?),
                at: row.at("at")?,
                status: stored("status", &kind, |k| AgentStatus::from_parts(k, reason.as_deref()))?,
            })
        })
        .await
    }

    async fn open_callbacks(&self, limit: u32) -> StoreResult<Vec<CallbackTask>> {
        sqlx::query("SELECT * FROM callbacks WHERE done_at IS NULL ORDER BY created_at, call_id LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(parse_callback)
            .collect()
    }

    async fn callback_done_by(&self, call: i64) -> StoreResult<Option<UserId>> {
        let by: Option<Option<i64>> = sqlx::query_scalar("SELECT done_by FROM callbacks WHERE call_id = $1")
            .bind(call)
            .fetch_optional(&self.read)
            .await
            .or_backend()?;
        Ok(by.flatten().map(UserId))
    }

    async fn complete_callback(&self, call: i64, by: UserId, at: DateTime<Utc>, note: &str, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let n = sqlx::query("UPDATE callbacks SET done_at = $1, done_by = $2, note = $3 WHERE call_id = $4 AND done_at IS NULL")
            .bind(micros(at))
            .bind(by.0)
            .bind(note)
            .bind(call)
            .execute(&mut *tx)
            .await
            .or_backend()?;
        if n.rows_affected() == 0 {
            let exists =
                sqlx::query("SELECT 1 FROM callbacks WHERE call_id = $1").bind(call).fetch_optional(&mut *tx).await.or_backend()?;
            return Err(match exists {
                Some(_) => StoreError::VersionConflict { current: 1 },
                None => StoreError::NotFound(format!("callback task for call {call}")),
            });
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn caller_orders(&self, phone: &PhoneNumber, limit: u32) -> StoreResult<Vec<OrderSummary>> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM work_orders o WHERE o.caller_phone = $1 ORDER BY o.id DESC LIMIT $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(phone.to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(parse_summary)
            .collect()
    }

    async fn consultant(&self, user: UserId) -> StoreResult<ConsultantProfile> {
        let mut profiles = self.profiles(Some(user)).await?;
        Ok(profiles.remove(&user).unwrap_or(ConsultantProfile { user: Some(user), ..Default::default() }))
    }

    async fn consultants(&self) -> StoreResult<Vec<ConsultantProfile>> {
        Ok(self.profiles(None).await?.into_values().collect())
    }

    async fn insert_training(&self, user: UserId, t: &Training, audit: &AuditRecord) -> StoreResult<()> {
        let row = vec![
            Val::from(t.id),
            user.0.into(),
            t.kind.as_str().into(),
            Val::Text(t.skill.clone()),
            t.course.as_str().into(),
            Val::Text(date_text(Some(t.completed_on))),
            flag(t.passed).into(),
        ];
        self.audited_insert("consultant_trainings (id, user_id, kind, skill, course, completed_on, passed)", 7, vec![row], audit).await
    }

    async fn insert_certification(&self, user: UserId, c: &Certification, audit: &AuditRecord) -> StoreResult<()> {
        let row = vec![
            Val::from(c.id),
            user.0.into(),
            c.skill.clone().into(),
            i64::from(c.level).into(),
            Val::Text(date_text(Some(c.certified_on))),
            Val::Text(date_text(c.expires_on)),
        ];
        self.audited_insert("consultant_certifications (id, user_id, skill, level, certified_on, expires_on)", 6, vec![row], audit).await
    }

    async fn set_mentor(&self, user: UserId, mentor: Option<UserId>, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        sqlx::query("DELETE FROM consultant_mentors WHERE user_id = $1").bind(user.0).execute(&mut *tx).await.or_backend()?;
        if let Some(mentor) = mentor {
            sqlx::query("INSERT INTO consultant_mentors (user_id, mentor_id) VALUES ($1, $2)")
                .bind(user.0)
                .bind(mentor.0)
                .execute(&mut *tx)
                .await
                .or_backend()?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }
}
