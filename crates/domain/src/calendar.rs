//! Working time under China's holiday calendar.
//!
//! A calendar is a weekly template (Monday to Friday by default) plus dated
//! overrides both ways: statutory holidays that close a weekday, and make-up
//! working days (调休) that open a weekend day. Helpdesks that can only close
//! days get Chinese deadlines wrong twice a year; this one cannot.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A dated exception to the weekly template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    /// `true` for a make-up working day, `false` for a holiday.
    pub working: bool,
    /// The holiday it belongs to, e.g. 春节.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the calendar has no working day within {0} days; check the weekly template and overrides")]
    NoWorkingDay(u32),
    #[error("the date lies outside the supported range")]
    OutOfRange,
    #[error("the start of business must be before close of business")]
    NoWorkingHours,
}

/// Longest stretch searched for the next working day before giving up: a
/// calendar with no working days at all must fail, not loop forever.
const SEARCH_LIMIT_DAYS: u32 = 3_660;

#[derive(Debug, Clone)]
pub struct WorkCalendar {
    /// Indexed by `Weekday::num_days_from_monday`.
    weekly: [bool; 7],
    overrides: BTreeMap<NaiveDate, CalendarDay>,
    time_zone: Tz,
    /// Working hours (`2wh` deadlines) run from here to close of business.
    start_of_business: NaiveTime,
    close_of_business: NaiveTime,
}

impl WorkCalendar {
    pub fn new(time_zone: Tz, close_of_business: NaiveTime, working_weekdays: &[Weekday]) -> Self {
        let mut weekly = [false; 7];
        for day in working_weekdays {
            weekly[day.num_days_from_monday() as usize] = true;
        }
        let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("valid time");
        Self { weekly, overrides: BTreeMap::new(), time_zone, start_of_business: nine.min(close_of_business), close_of_business }
    }

    /// Working hours start here (09:00 unless set); a time after close of
    /// business is refused.
    pub fn with_start_of_business(mut self, start: NaiveTime) -> Result<Self, CalendarError> {
        if start >= self.close_of_business {
            return Err(CalendarError::NoWorkingHours);
        }
        self.start_of_business = start;
        Ok(self)
    }

    pub fn start_of_business(&self) -> NaiveTime {
        self.start_of_business
    }

    /// Monday to Friday, closing at 18:00 in Asia/Shanghai, without holidays.
    pub fn china_default() -> Self {
        use Weekday::*;
        Self::new(chrono_tz::Asia::Shanghai, NaiveTime::from_hms_opt(18, 0, 0).expect("valid time"), &[Mon, Tue, Wed, Thu, Fri])
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    pub fn close_of_business(&self) -> NaiveTime {
        self.close_of_business
    }

    /// Adds or replaces the override for a day.
    pub fn set_day(&mut self, day: CalendarDay) {
        self.overrides.insert(day.date, day);
    }

    /// Drops the override: the day follows the weekly template again.
    pub fn clear_day(&mut self, date: NaiveDate) -> Option<CalendarDay> {
        self.overrides.remove(&date)
    }

    pub fn overrides(&self) -> impl Iterator<Item = &CalendarDay> {
        self.overrides.values()
    }

    /// Overrides falling in one calendar year.
    pub fn overrides_in_year(&self, year: i32) -> impl Iterator<Item = &CalendarDay> {
        self.overrides.values().filter(move |d| d.date.year() == year)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.overrides.get(&date) {
            Some(day) => day.working,
            None => self.weekly[date.weekday().num_days_from_monday() as usize],
        }
    }

    /// The calendar date of an instant in the calendar's time zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }

    /// Close of business on a date, as an instant.
    pub fn close_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.instant(date.and_time(self.close_of_business))
    }

    /// Local midnight opening a date, as an instant: where days, months and
    /// reports begin.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.instant(date.and_time(NaiveTime::MIN))
    }

    fn instant(&self, local: chrono::NaiveDateTime) -> DateTime<Utc> {
        // Chinese time has no daylight saving; elsewhere a time
        // inside a DST gap falls back to the earliest valid instant.
        match self.time_zone.from_local_datetime(&local).earliest() {
            Some(t) => t.with_timezone(&Utc),
            None => self.time_zone.from_utc_datetime(&local).with_timezone(&Utc),
        }
    }

    /// The deadline `n` working days after `from`: counting starts the day
    /// after `from` and the deadline is close of business of the n-th working
    /// day. With `n = 0` it is close of business of `from`'s own day if that
    /// is a working day, else of the next working day.
    pub fn add_working_days(&self, from: DateTime<Utc>, n: u32) -> Result<DateTime<Utc>, CalendarError> {
        let start = self.local_date(from);
        let day = if n == 0 {
            if self.is_working_day(start) { start } else { self.nth_working_day_after(start, 1)? }
        } else {
            self.nth_working_day_after(start, n)?
        };
        Ok(self.close_of(day))
    }

    /// The deadline `hours` working hours after `from`: only time between
    /// start and close of business on working days counts, so an order
    /// dispatched at 02:00 with 2 working hours is due at 11:00, and one
    /// dispatched at 17:00 on a Friday is due on Monday at 10:00.
    pub fn add_working_hours(&self, from: DateTime<Utc>, hours: u32) -> Result<DateTime<Utc>, CalendarError> {
        let mut left = chrono::Duration::hours(i64::from(hours));
        let mut at = from;
        let mut since_last_working = 0;
        loop {
            let date = self.local_date(at);
            if self.is_working_day(date) {
                since_last_working = 0;
                let (open, close) = (self.instant(date.and_time(self.start_of_business)), self.close_of(date));
                let start = at.max(open);
                if start < close {
                    if left <= close - start {
                        return Ok(start + left);
                    }
                    left -= close - start;
                }
            } else {
                since_last_working += 1;
                if since_last_working > SEARCH_LIMIT_DAYS {
                    return Err(CalendarError::NoWorkingDay(SEARCH_LIMIT_DAYS));
                }
            }
            at = self.start_of(date.checked_add_days(Days::new(1)).ok_or(CalendarError::OutOfRange)?);
        }
    }

    fn nth_working_day_after(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut date = start;
        let mut counted = 0;
        let mut since_last_working = 0;
        while counted < n {
            date = date.checked_add_days(Days::new(1)).ok_or(CalendarError::OutOfRange)?;
            if self.is_working_day(date) {
                counted += 1;
                since_last_working = 0;
            } else {
                since_last_working += 1;
                if since_last_working > SEARCH_LIMIT_DAYS {
                    return Err(CalendarError::NoWorkingDay(SEARCH_LIMIT_DAYS));
                }
            }
        }
        Ok(date)
    }

    /// Whether the holidays of `year` are loaded (any holiday or make-up
    /// day of it is stored): without them every weekday of the year counts
    /// as a working day, and deadlines in it may be wrong.
    pub fn knows_year(&self, year: i32) -> bool {
        self.overrides_in_year(year).next().is_some()
    }

    /// How long until `due` (or since, when past), as people at a unit count
    /// it: whole working days while the deadline lies on a later date, hours
    /// on its own day.
    pub fn time_left(&self, now: DateTime<Utc>, due: DateTime<Utc>) -> TimeLeft {
        let overdue = now > due;
        let (from, to) = if overdue { (due, now) } else { (now, due) };
        let working_days = self.working_days_between(from, to);
        let hours = u32::try_from((to - from).num_hours()).unwrap_or(u32::MAX);
        TimeLeft { overdue, working_days, hours }
    }

    /// Working days strictly after `from`'s date up to and including `to`'s
    /// date: how many working days an order is overdue, say.
    pub fn working_days_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
        let (mut date, end) = (self.local_date(from), self.local_date(to));
        let mut count = 0;
        while date < end {
            match date.checked_add_days(Days::new(1)) {
                Some(next) => date = next,
                None => break,
            }
            if self.is_working_day(date) {
                count += 1;
            }
        }
        count
    }
}

/// The time to a deadline in working terms: a unit reads "2 working days
/// left", not "4d 3h" that counts a weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeLeft {
    pub overdue: bool,
    /// Working days between today and the deadline's date (or, overdue,
    /// since it); 0 on the deadline's own day.
    pub working_days: u32,
    /// Whole hours between now and the deadline, either way.
    pub hours: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn spring_festival_2026() -> WorkCalendar {
        let mut cal = WorkCalendar::china_default();
        cal.set_day(CalendarDay { date: date("2026-02-14"), working: true, name: "春节".into() });
        for d in 15..=23 {
            cal.set_day(CalendarDay { date: date(&format!("2026-02-{d}")), working: false, name: "春节".into() });
        }
        cal.set_day(CalendarDay { date: date("2026-02-28"), working: true, name: "春节".into() });
        cal
    }

    #[test]
    fn a_year_is_known_once_any_of_its_holidays_is_loaded() {
        let cal = spring_festival_2026();
        assert!(cal.knows_year(2026));
        assert!(!cal.knows_year(2027));
    }

    #[test]
    fn time_left_counts_working_days_not_the_festival_and_hours_on_the_last_day() {
        let cal = spring_festival_2026();
        // Friday 13 Feb 10:00 to Tue 24 Feb 18:00: Sat 14 (make-up) and Tue 24.
        let left = cal.time_left(at("2026-02-13T10:00:00+08:00"), at("2026-02-24T18:00:00+08:00"));
        assert_eq!((left.overdue, left.working_days), (false, 2));
        let today = cal.time_left(at("2026-02-24T09:30:00+08:00"), at("2026-02-24T18:00:00+08:00"));
        assert_eq!(today, TimeLeft { overdue: false, working_days: 0, hours: 8 });
        let late = cal.time_left(at("2026-02-26T10:00:00+08:00"), at("2026-02-24T18:00:00+08:00"));
        assert_eq!((late.overdue, late.working_days, late.hours), (true, 2, 40));
    }

    #[test]
    fn make_up_saturday_counts_and_the_festival_does_not() {
        let cal = spring_festival_2026();
        // Friday 13 Feb 10:00 + 2 working days: Sat 14 (make-up) and Tue 24.
        let due = cal.add_working_days(at("2026-02-13T10:00:00+08:00"), 2).unwrap();
        assert_eq!(due, at("2026-02-24T18:00:00+08:00"));
        let due = cal.add_working_days(at("2026-02-13T10:00:00+08:00"), 1).unwrap();
        assert_eq!(due, at("2026-02-14T18:00:00+08:00"));
    }

    #[test]
    fn counting_starts_the_day_after_in_local_time() {
        let cal = WorkCalendar::china_default();
        // 23:30 UTC on Sunday is Monday 07:30 in Shanghai: the count starts Tuesday.
        let due = cal.add_working_days(at("2026-11-29T23:30:00Z"), 1).unwrap();
        assert_eq!(due.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()).to_rfc3339(), "2026-12-01T18:00:00+08:00");
        // Friday evening + 1 working day is Monday.
        assert_eq!(cal.add_working_days(at("2026-11-27T20:00:00+08:00"), 1).unwrap(), at("2026-11-30T18:00:00+08:00"));
        // Zero days: today if working, else the next working day.
        assert_eq!(cal.add_working_days(at("2026-11-27T09:00:00+08:00"), 0).unwrap(), at("2026-11-27T18:00:00+08:00"));
        assert_eq!(cal.add_working_days(at("2026-11-28T09:00:00+08:00"), 0).unwrap(), at("2026-11-30T18:00:00+08:00"));
    }

    #[test]
    fn fifteen_working_days_across_national_day() {
        let mut cal = WorkCalendar::china_default();
        for d in 1..=8 {
            cal.set_day(CalendarDay { date: date(&format!("2025-10-0{d}")), working: false, name: "国庆节、中秋节".into() });
        }
        cal.set_day(CalendarDay { date: date("2025-09-28"), working: true, name: "国庆节、中秋节".into() });
        cal.set_day(CalendarDay { date: date("2025-10-11"), working: true, name: "国庆节、中秋节".into() });
        // From Fri 26 Sep: Sun 28 Sep, Mon 29, Tue 30, Thu 9 Oct, Fri 10, Sat 11 (make-up),
        // 13–17, 20–24 … the 15th working day is Thu 23 Oct.
        assert_eq!(cal.add_working_days(at("2025-09-26T15:00:00+08:00"), 15).unwrap(), at("2025-10-23T18:00:00+08:00"));
        assert_eq!(cal.working_days_between(at("2025-09-30T09:00:00+08:00"), at("2025-10-10T09:00:00+08:00")), 2);
    }

    #[test]
    fn a_calendar_without_working_days_fails_instead_of_looping() {
        let cal = WorkCalendar::new(chrono_tz::Asia::Shanghai, NaiveTime::from_hms_opt(18, 0, 0).unwrap(), &[]);
        assert_eq!(cal.add_working_days(at("2026-01-01T00:00:00Z"), 1), Err(CalendarError::NoWorkingDay(SEARCH_LIMIT_DAYS)));
    }

    #[test]
    fn working_hours_count_only_office_time_on_working_days() {
        let cal = spring_festival_2026();
        // Dispatched at 02:00 on a Tuesday: the two hours are 09:00–11:00.
        assert_eq!(cal.add_working_hours(at("2026-03-03T02:00:00+08:00"), 2).unwrap(), at("2026-03-03T11:00:00+08:00"));
        // Within the day: plain hours.
        assert_eq!(cal.add_working_hours(at("2026-03-03T10:15:00+08:00"), 2).unwrap(), at("2026-03-03T12:15:00+08:00"));
        // Friday 17:00: one hour on Friday, one on Monday.
        assert_eq!(cal.add_working_hours(at("2026-03-06T17:00:00+08:00"), 2).unwrap(), at("2026-03-09T10:00:00+08:00"));
        // Friday 13 Feb 17:30 before the festival: half an hour, then the make-up Saturday 14th.
        assert_eq!(cal.add_working_hours(at("2026-02-13T17:30:00+08:00"), 2).unwrap(), at("2026-02-14T10:30:00+08:00"));
        // Saturday 14th (make-up) 17:00: then the festival, then Tuesday 24th.
        assert_eq!(cal.add_working_hours(at("2026-02-14T17:00:00+08:00"), 3).unwrap(), at("2026-02-24T11:00:00+08:00"));
        // More than a day's hours (9 a day, 09:00–18:00).
        assert_eq!(cal.add_working_hours(at("2026-03-03T09:00:00+08:00"), 10).unwrap(), at("2026-03-04T10:00:00+08:00"));
        let early = cal.clone().with_start_of_business(NaiveTime::from_hms_opt(8, 30, 0).unwrap()).unwrap();
        assert_eq!(early.add_working_hours(at("2026-03-03T02:00:00+08:00"), 2).unwrap(), at("2026-03-03T10:30:00+08:00"));
        assert!(cal.with_start_of_business(NaiveTime::from_hms_opt(18, 0, 0).unwrap()).is_err());
        let never = WorkCalendar::new(chrono_tz::Asia::Shanghai, NaiveTime::from_hms_opt(18, 0, 0).unwrap(), &[]);
        assert_eq!(never.add_working_hours(at("2026-01-01T00:00:00Z"), 1), Err(CalendarError::NoWorkingDay(SEARCH_LIMIT_DAYS)));
    }

    #[test]
    fn clearing_an_override_restores_the_template() {
        let mut cal = spring_festival_2026();
        assert!(cal.is_working_day(date("2026-02-14")));
        cal.clear_day(date("2026-02-14"));
        assert!(!cal.is_working_day(date("2026-02-14")));
        assert_eq!(cal.overrides_in_year(2026).count(), 10);
    }
}
