//! Reads the holiday files published by NateScarlet/holiday-cn (one JSON file
//! per year, compiled from the State Council's notices).

use crate::calendar::CalendarDay;
use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum HolidayFileError {
    #[error("not a holiday-cn file: {0}")]
    Format(#[from] serde_json::Error),
    #[error("day {index}: date {date:?} is not YYYY-MM-DD")]
    Date { index: usize, date: String },
    #[error("day {index}: holiday name is empty")]
    Name { index: usize },
}

#[derive(Deserialize)]
struct File {
    year: i32,
    days: Vec<Day>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Day {
    name: String,
    date: String,
    is_off_day: bool,
}

/// A parsed year file: its nominal year and its dated overrides (which may
/// include days of the neighbouring year, e.g. 元旦 make-up days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayYear {
    pub year: i32,
    pub days: Vec<CalendarDay>,
}

pub fn parse(json: &str) -> Result<HolidayYear, HolidayFileError> {
    let file: File = serde_json::from_str(json)?;
    let mut days = Vec::with_capacity(file.days.len());
    for (index, day) in file.days.into_iter().enumerate() {
        let date =
            NaiveDate::parse_from_str(&day.date, "%Y-%m-%d").map_err(|_| HolidayFileError::Date { index, date: day.date.clone() })?;
        if day.name.trim().is_empty() {
            return Err(HolidayFileError::Name { index });
        }
        days.push(CalendarDay { date, working: !day.is_off_day, name: day.name.trim().to_owned() });
    }
    Ok(HolidayYear { year: file.year, days })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_off_days_and_make_up_days() {
        let y = parse(r#"{"year":2026,"papers":[],"days":[{"name":"春节","date":"2026-02-14","isOffDay":false},{"name":"春节","date":"2026-02-15","isOffDay":true}]}"#).unwrap();
        assert_eq!(y.year, 2026);
        assert!(y.days[0].working && !y.days[1].working);
    }

    #[test]
    fn names_the_bad_day() {
        let e = parse(r#"{"year":2026,"days":[{"name":"春节","date":"2026-02-30","isOffDay":true}]}"#).unwrap_err();
        assert_eq!(e.to_string(), "day 0: date \"2026-02-30\" is not YYYY-MM-DD");
        assert!(parse("[]").is_err());
    }
}
