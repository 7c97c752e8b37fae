//! The working-day calendar in use: the configured weekly template plus the
//! holidays and make-up days stored in the database.

use crate::access::AdminDesk;
use crate::audit::Auditor;
use crate::error::{AppError, AppResult};
use crate::ports::{CalendarAlert, CalendarStore};
use chrono::{DateTime, NaiveDate, Utc};
use hotline_domain::{CalendarDay, WorkCalendar};
use serde_json::json;
use std::sync::{Arc, RwLock};

/// Longest allowance the due-date query computes: a year and a half of
/// working days is beyond any rule and keeps the loop short.
pub const MAX_WORKING_DAYS: u32 = 400;

/// Which years' holidays the calendar knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    pub next_year: i32,
    pub next_year_loaded: bool,
    /// Administrators should load next year's holidays now.
    pub warn: bool,
}

pub struct CalendarService {
    store: Arc<dyn CalendarStore>,
    auditor: Arc<Auditor>,
    template: WorkCalendar,
    current: RwLock<Arc<WorkCalendar>>,
}

impl CalendarService {
    /// `template` is the weekly template and close of business from the
    /// configuration; stored days are laid over it.
    pub async fn load(store: Arc<dyn CalendarStore>, auditor: Arc<Auditor>, template: WorkCalendar) -> AppResult<Self> {
        let calendar = Self::build(&template, store.calendar_days().await?);
        Ok(Self { store, auditor, template, current: RwLock::new(Arc::new(calendar)) })
    }

    fn build(template: &WorkCalendar, days: Vec<CalendarDay>) -> WorkCalendar {
        let mut calendar = template.clone();
        for day in days {
            calendar.set_day(day);
        }
        calendar
    }

    pub fn snapshot(&self) -> Arc<WorkCalendar> {
        self.current.read().expect("calendar lock").clone()
    }

    async fn reload(&self) -> AppResult<()> {
        let calendar = Self::build(&self.template, self.store.calendar_days().await?);
        *self.current.write().expect("calendar lock") = Arc::new(calendar);
        Ok(())
    }

    /// The promised date: `working_days` after `from`, at close of business.
    pub fn due(&self, from: DateTime<Utc>, working_days: u32) -> AppResult<DateTime<Utc>> {
        if working_days > MAX_WORKING_DAYS {
            return Err(AppError::invalid("working_days", format!("must be at most {MAX_WORKING_DAYS}")));
        }
        self.snapshot()
            .add_working_days(from, working_days)
            .map_err(|e| AppError::Unavailable(format!("the calendar cannot compute the date: {e}")))
    }

    /// Whether next year's holidays are loaded, and whether administrators
    /// should be warned: from 1 November (when the State Council has
    /// usually published them) until they are.
    pub fn coverage(&self, now: DateTime<Utc>) -> Coverage {
        let calendar = self.snapshot();
        let today = calendar.local_date(now);
        let next_year = chrono::Datelike::year(&today) + 1;
        let next_year_loaded = calendar.knows_year(next_year);
        Coverage { next_year, next_year_loaded, warn: chrono::Datelike::month(&today) >= 11 && !next_year_loaded }
    }

    /// Raises the administrators' alert when `coverage` warns, once per
    /// year; every node checks hourly. Returns the year when raised now.
    pub async fn watch_coverage(&self, now: DateTime<Utc>) -> AppResult<Option<i32>> {
        let c = self.coverage(now);
        if c.warn && self.store.raise_calendar_alert(c.next_year, now).await? {
            tracing::warn!(year = c.next_year, "the holidays of next year are not loaded; administrators are alerted");
            return Ok(Some(c.next_year));
        }
        Ok(None)
    }

    /// The alerts whose year is still missing: an alert is over once its
    /// year's holidays are loaded.
    pub async fn open_alerts(&self) -> AppResult<Vec<CalendarAlert>> {
        let calendar = self.snapshot();
        Ok(self.store.calendar_alerts().await?.into_iter().filter(|a| !calendar.knows_year(a.year)).collect())
    }

    /// An administrator has seen the alert (audited); it stays open until
    /// the year is loaded, but out of the alert count.
    pub async fn acknowledge_alert(&self, admin: &AdminDesk, year: i32, now: DateTime<Utc>) -> AppResult<()> {
        let Some(by) = admin.user().filter(|_| admin.is_system_admin()) else {
            return Err(AppError::Forbidden("a system administrator acknowledges calendar alerts".into()));
        };
        let audit = self.auditor.record(Some(by), "calendar.alert_read", format!("calendar:{year}"), json!({}));
        if !self.store.acknowledge_calendar_alert(year, by, now, &audit).await? {
            return Err(AppError::not_found(format!("no calendar alert for {year}")));
        }
        Ok(())
    }

    /// The dated exceptions of a year.
    pub fn days_in_year(&self, year: i32) -> Vec<CalendarDay> {
        self.snapshot().overrides_in_year(year).cloned().collect()
    }

    /// Marks a day as a holiday or a make-up working day.
    pub async fn set_day(&self, admin: &AdminDesk, day: CalendarDay) -> AppResult<()> {
        self.import(admin, vec![day]).await.map(|_| ())
    }

    /// Removes a day's exception; it follows the weekly template again.
    pub async fn clear_day(&self, admin: &AdminDesk, date: NaiveDate) -> AppResult<()> {
        let audit = self.auditor.record(admin.user(), "calendar.clear_day", format!("calendar:{date}"), json!({}));
        if !self.store.delete_calendar_day(date, &audit).await? {
            return Err(AppError::not_found(format!("no holiday or make-up day on {date}")));
        }
        self.reload().await
    }

    /// Loads many days (a year's holiday file).
    pub async fn import(&self, admin: &AdminDesk, days: Vec<CalendarDay>) -> AppResult<usize> {
        let years: Vec<i32> = {
            let mut y: Vec<i32> = days.iter().map(|d| chrono::Datelike::year(&d.date)).collect();
            y.sort_unstable();
            y.dedup();
            y
        };
        let audit = self.auditor.record(admin.user(), "calendar.import", "calendar", json!({ "days": days.len(), "years": years }));
        self.store.upsert_calendar_days(&days, &audit).await?;
        self.reload().await?;
        Ok(days.len())
    }
}
