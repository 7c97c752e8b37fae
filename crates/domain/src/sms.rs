//! Text messages to citizens (短信): how long a text is in segments, the
//! templates the centre edits, and the hours texts may go out.
//!
//! A Chinese text is sent in UCS-2: 70 characters in one message, 67 per
//! part once it is split (the rest of each part carries the concatenation
//! header). A text of GSM 7-bit characters only fits 160, then 153.

use crate::validation::FieldError;
use crate::vocabulary::vocabulary;
use chrono::{Duration, NaiveDateTime, NaiveTime};

vocabulary!(
    /// What a text tells the citizen.
    SmsEvent, "text message event" {
        /// 受理回执: the order's number and the date an answer is promised.
        Registered = "registered", "受理回执";
    }
);

vocabulary!(
    /// Where a text is on its way to the citizen.
    SmsState, "text message state" {
        /// Waiting for the gateway (or for the sending hours).
        Queued = "queued", "待发送";
        /// Accepted by the gateway, on its way.
        Sent = "sent", "已提交";
        /// The operator's receipt says it reached the phone.
        Delivered = "delivered", "已送达";
        /// Refused by the gateway after every attempt, or by the operator.
        Failed = "failed", "发送失败";
    }
);

/// The most parts one text may take: beyond it the citizen gets a letter.
pub const MAX_SEGMENTS: u32 = 3;

/// Whether every character is in the GSM 7-bit default alphabet (the
/// extension table's characters count twice).
fn gsm7_length(text: &str) -> Option<u32> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENDED: &str = "^{}\\[~]|€\u{c}";
    text.chars().try_fold(0u32, |n, c| {
        if BASIC.contains(c) {
            Some(n + 1)
        } else if EXTENDED.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    })
}

/// How a text is encoded and how many messages it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    pub unicode: bool,
    pub count: u32,
}

pub fn segments(text: &str) -> Segments {
    let (unicode, length, single, part) = match gsm7_length(text) {
        Some(n) => (false, n, 160, 153),
        // UTF-16 code units: a character outside the BMP takes two.
        None => (true, text.encode_utf16().count() as u32, 70, 67),
    };
    let count = if length <= single { 1 } else { length.div_ceil(part) };
    Segments { unicode, count: count.max(1) }
}

/// The placeholders a template of an event may use, with the longest
/// value each may take (to check the rendered length before saving).
pub fn placeholders(event: SmsEvent) -> &'static [(&'static str, &'static str)] {
    match event {
        SmsEvent::Registered => &[("number", "DG20261231000001"), ("due", "2026年12月31日"), ("hotline", "12345")],
    }
}

/// The template a fresh installation starts with.
pub fn default_template(event: SmsEvent) -> &'static str {
    match event {
        SmsEvent::Registered => "【12345热线】您的诉求已受理，工单号{number}，我们将在{due}前答复您。查询请拨{hotline}。",
    }
}

/// Fills `{name}` placeholders; unknown names are left as they are.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A template as an administrator saves it: not empty, only known
/// placeholders, and at most [`MAX_SEGMENTS`] messages with the longest values.
pub fn check_template(event: SmsEvent, template: &str) -> Result<String, FieldError> {
    let field = format!("templates.{}", event.as_str());
    let text = template.trim();
    if text.is_empty() {
        return Err(FieldError::new(&field, "must not be empty"));
    }
    let known = placeholders(event);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(FieldError::new(&field, "a { is not closed"));
        };
        let name = &rest[open + 1..open + close];
        if !known.iter().any(|(k, _)| *k == name) {
            let names: Vec<String> = known.iter().map(|(k, _)| format!("{{{k}}}")).collect();
            return Err(FieldError::new(&field, format!("{{{name}}} is not a placeholder; use {}", names.join(", "))));
        }
        rest = &rest[open + close + 1..];
    }
    let longest = segments(&render(text, known));
    if longest.count > MAX_SEGMENTS {
        return Err(FieldError::new(
            &field,
            format!("takes {} messages with the longest values; at most {MAX_SEGMENTS} (201 Chinese characters)", longest.count),
        ));
    }
    Ok(text.to_owned())
}

/// The hours texts may go out, local time (no texts at night).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendingHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl SendingHours {
    /// Parses `08:00-21:00`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (a, b) = s.split_once('-').ok_or_else(|| format!("{s:?} is not a span like 08:00-21:00"))?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| format!("{t:?} is not a time like 08:00"));
        let hours = Self { start: time(a)?, end: time(b)? };
        if hours.start >= hours.end {
            return Err(format!("{s:?}: the start must come before the end"));
        }
        Ok(hours)
    }

    /// The first moment at or after `local` a text may go out.
    pub fn next_allowed(&self, local: NaiveDateTime) -> NaiveDateTime {
        let day = local.date();
        if local.time() < self.start {
            day.and_time(self.start)
        } else if local.time() < self.end {
            local
        } else {
            (day + Duration::days(1)).and_time(self.start)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_texts_are_counted_in_ucs2_and_latin_ones_in_gsm7() {
        assert_eq!(segments("你好"), Segments { unicode: true, count: 1 });
        assert_eq!(segments(&"好".repeat(70)).count, 1);
        assert_eq!(segments(&"好".repeat(71)).count, 2);
        assert_eq!(segments(&"好".repeat(134)).count, 2);
        assert_eq!(segments(&"好".repeat(135)).count, 3);
        assert_eq!(segments(&"a".repeat(160)), Segments { unicode: false, count: 1 });
        assert_eq!(segments(&"a".repeat(161)).count, 2);
        // The extension table's characters take two septets.
        assert_eq!(segments(&"€".repeat(80)).count, 1);
        assert_eq!(segments(&"€".repeat(81)).count, 2);
        assert_eq!(segments("").count, 1);
    }

    #[test]
    fn the_default_template_renders_within_one_or_two_messages() {
        let text = render(default_template(SmsEvent::Registered), placeholders(SmsEvent::Registered));
        assert!(text.contains("DG20261231000001") && text.contains("2026年12月31日"), "{text}");
        assert!(segments(&text).count <= 2, "{text}");
        assert!(check_template(SmsEvent::Registered, default_template(SmsEvent::Registered)).is_ok());
    }

    #[test]
    fn a_template_with_an_unknown_placeholder_or_too_long_is_refused_by_name() {
        let e = check_template(SmsEvent::Registered, "工单号{numbr}").unwrap_err();
        assert_eq!(e.field, "templates.registered");
        assert!(e.message.contains("{numbr}") && e.message.contains("{number}"), "{}", e.message);
        assert!(check_template(SmsEvent::Registered, "  ").is_err());
        assert!(check_template(SmsEvent::Registered, "工单号{number").is_err());
        let e = check_template(SmsEvent::Registered, &format!("{}{{number}}", "长".repeat(200))).unwrap_err();
        assert!(e.message.contains("messages"), "{}", e.message);
        assert_eq!(check_template(SmsEvent::Registered, " 工单号{number} ").unwrap(), "工单号{number}");
    }

    #[test]
    fn no_text_goes_out_at_night() {
        let hours = SendingHours::parse("08:00-21:00").unwrap();
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(hours.next_allowed(at("2026-12-03 06:30")), at("2026-12-03 08:00"));
        assert_eq!(hours.next_allowed(at("2026-12-03 12:15")), at("2026-12-03 12:15"));
        assert_eq!(hours.next_allowed(at("2026-12-03 21:00")), at("2026-12-04 08:00"));
        assert_eq!(hours.next_allowed(at("2026-12-31 23:59")), at("2027-01-01 08:00"));
        assert!(SendingHours::parse("21:00-08:00").is_err());
        assert!(SendingHours::parse("8点-21点").is_err());
    }
}
