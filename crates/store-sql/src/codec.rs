//! Conversions between domain values and the Any driver's integers and text.

use chrono::{DateTime, NaiveDate, Utc};
use hotline_app::ports::{StoreError, StoreResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn opt_micros(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(micros)
}

pub fn instant(us: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| StoreError::Backend(format!("stored instant {us} is out of range")))
}

pub fn opt_instant(us: Option<i64>) -> StoreResult<Option<DateTime<Utc>>> {
    us.map(instant).transpose()
}

pub fn flag(b: bool) -> i64 {
    i64::from(b)
}

pub fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values serialise to JSON")
}

pub fn opt_json<T: Serialize>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(json)
}

pub fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("column {column} holds invalid JSON: {e}")))
}

pub fn opt_from_json<T: DeserializeOwned>(column: &str, text: Option<String>) -> StoreResult<Option<T>> {
    text.map(|t| from_json(column, &t)).transpose()
}

/// Typed column access with the column named in every error.
pub trait Get {
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn text(&self, column: &str) -> StoreResult<String>;
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    fn opt_float(&self, column: &str) -> StoreResult<Option<f64>>;
    fn flag(&self, column: &str) -> StoreResult<bool> {
        Ok(self.int(column)? != 0)
    }
    fn at(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        instant(self.int(column)?)
    }
    fn opt_at(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        opt_instant(self.opt_int(column)?)
    }
}

fn column_error(column: &str, e: sqlx::Error) -> StoreError {
    StoreError::Backend(format!("column {column}: {e}"))
}

impl Get for AnyRow {
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.try_get::<i64, _>(column).map_err(|e| column_error(column, e))
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        self.try_get::<Option<i64>, _>(column).map_err(|e| column_error(column, e))
    }
    fn text(&self, column: &str) -> StoreResult<String> {
        self.try_get::<String, _>(column).map_err(|e| column_error(column, e))
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.try_get::<Option<String>, _>(column).map_err(|e| column_error(column, e))
    }
    fn opt_float(&self, column: &str) -> StoreResult<Option<f64>> {
        self.try_get::<Option<f64>, _>(column).map_err(|e| column_error(column, e))
    }
}

/// Parses a stored vocabulary word back into its domain type.
pub fn word<T>(column: &str, text: &str, parse: impl Fn(&str) -> Result<T, hotline_domain::FieldError>) -> StoreResult<T> {
    parse(text).map_err(|e| StoreError::Backend(format!("column {column}: {}", e.message)))
}

/// Dates travel as ISO text (YYYY-MM-DD).
pub fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

pub fn parse_day(column: &str, text: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| StoreError::Backend(format!("column {column}: {e}")))
}

pub fn parse_date(column: &str, text: Option<String>) -> StoreResult<Option<NaiveDate>> {
    text.map(|t| parse_day(column, &t)).transpose()
}
