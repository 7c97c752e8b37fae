//! Text messages to citizens (短信): how long a text is in segments, the
//! templates the centre edits, and the hours texts may go out.
//!
//! A Chinese text is sent in UCS-2: 70 characters in one message, 67 per
//! part once it is split (the rest of each part carries the concatenation
//! header). A text of GSM 7-bit characters only fits 160, then 153.

use crate::Satisfaction;
use crate::validation::FieldError;
use crate::vocabulary::vocabulary;
use chrono::{Duration, NaiveDateTime, NaiveTime};

vocabulary!(
    /// What a text tells the citizen.
    SmsEvent, "text message event" {
        /// 受理回执: the order's number and the date an answer is promised.
        Registered = "registered", "受理回执";
        /// 办结告知: the reviewed answer, when the order waits for the follow-up.
        Closed = "closed", "办结告知";
        /// 短信回访: the follow-up question, answered by replying 1, 2 or 3.
        FollowUp = "follow_up", "短信回访";
        /// 评价确认: thanks for a rating received by text.
        Rated = "rated", "评价确认";
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

vocabulary!(
    /// What became of a text a citizen sent to the hotline.
    IncomingOutcome, "incoming text outcome" {
        /// A reply of 1, 2 or 3 to a follow-up text: recorded as the follow-up.
        Rated = "rated", "已评价";
        /// Anything else: a new order in the SMS channel.
        Registered = "registered", "已受理";
        /// A rating with no follow-up waiting for it, or an empty text.
        Unmatched = "unmatched", "未匹配";
    }
);

vocabulary!(
    /// Why a text from a citizen did nothing.
    UnmatchedReason, "unmatched text reason" {
        /// Nothing but spaces.
        Empty = "empty", "空短信";
        /// A rating, but no follow-up text to that number within the reply window.
        NoFollowUp = "no_follow_up", "无待回复的回访短信";
        /// A rating for an order whose follow-up is already recorded.
        AlreadyFollowedUp = "already_followed_up", "工单已回访";
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

/// The GSM 7-bit default alphabet by code (0x1B, the escape to the
/// extension table, as a space).
const GSM7: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// A text in the GSM 7-bit default alphabet, one septet per byte (as SMS
/// centres pass texts on over SMPP), with the extension table's characters
/// after their escape.
pub fn decode_gsm7(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut escaped = false;
    for &b in septets {
        let code = usize::from(b & 0x7F);
        if escaped {
            escaped = false;
            out.push(match code {
                0x0A => '\u{c}',
                0x14 => '^',
                0x28 => '{',
                0x29 => '}',
                0x2F => '\\',
                0x3C => '[',
                0x3D => '~',
                0x3E => ']',
                0x40 => '|',
                0x65 => '€',
                _ => GSM7[code],
            });
        } else if code == 0x1B {
            escaped = true;
        } else {
            out.push(GSM7[code]);
        }
    }
    out
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
    const NUMBER: (&str, &str) = ("number", "DG20261231000001");
    const HOTLINE: (&str, &str) = ("hotline", "12345");
    match event {
        SmsEvent::Registered => &[NUMBER, ("due", "2026年12月31日"), HOTLINE],
        SmsEvent::Closed => &[NUMBER, ("reply", LONGEST_REPLY), HOTLINE],
        SmsEvent::FollowUp => &[NUMBER, ("hours", "168"), HOTLINE],
        SmsEvent::Rated => &[NUMBER, ("rating", "基本满意"), HOTLINE],
    }
}

/// The most characters of the public reply a closure text carries; the
/// whole reply is on the portal.
pub const REPLY_EXCERPT_CHARS: usize = 60;
const LONGEST_REPLY: &str =
    "长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长…";

/// The start of `text`, at most `max` characters, with an ellipsis when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A citizen's reply to the follow-up text: 1 satisfied, 2 basically
/// satisfied, 3 unsatisfied, as digits (half or full width) or words,
/// with the punctuation and spaces phones add. Anything else is not a rating.
pub fn parse_rating(reply: &str) -> Option<Satisfaction> {
    let cleaned: String = reply
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '。' | '.' | '，' | ',' | '！' | '!' | '、'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            other => other,
        })
        .collect();
    match cleaned.as_str() {
        "1" | "满意" | "非常满意" | "1满意" => Some(Satisfaction::Satisfied),
        "2" | "基本满意" | "2基本满意" => Some(Satisfaction::BasicallySatisfied),
        "3" | "不满意" | "3不满意" => Some(Satisfaction::Unsatisfied),
        _ => None,
    }
}

/// The template a fresh installation starts with.
pub fn default_template(event: SmsEvent) -> &'static str {
    match event {
        SmsEvent::Registered => "【12345热线】您的诉求已受理，工单号{number}，我们将在{due}前答复您。查询请拨{hotline}。",
        SmsEvent::Closed => "【12345热线】您的工单{number}已办结：{reply}",
        SmsEvent::FollowUp => "【12345热线】请评价工单{number}的办理：回复1满意，2基本满意，3不满意。{hours}小时内未回复将电话回访。",
        SmsEvent::Rated => "【12345热线】已收到您对工单{number}的评价：{rating}。感谢您的支持！",
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
    fn every_default_template_is_accepted() {
        for event in SmsEvent::ALL {
            assert!(check_template(*event, default_template(*event)).is_ok(), "{event:?}");
        }
        let closed = render(default_template(SmsEvent::Closed), placeholders(SmsEvent::Closed));
        assert!(segments(&closed).count <= 2, "{closed}");
    }

    #[test]
    fn replies_are_read_as_ratings_the_way_citizens_type_them() {
        assert_eq!(parse_rating("1"), Some(Satisfaction::Satisfied));
        assert_eq!(parse_rating(" １。"), Some(Satisfaction::Satisfied));
        assert_eq!(parse_rating("满意！"), Some(Satisfaction::Satisfied));
        assert_eq!(parse_rating("2"), Some(Satisfaction::BasicallySatisfied));
        assert_eq!(parse_rating("基本满意"), Some(Satisfaction::BasicallySatisfied));
        assert_eq!(parse_rating("3"), Some(Satisfaction::Unsatisfied));
        assert_eq!(parse_rating("不满意"), Some(Satisfaction::Unsatisfied));
        assert_eq!(parse_rating("4"), None);
        assert_eq!(parse_rating("12"), None);
        assert_eq!(parse_rating("路灯又坏了"), None);
        assert_eq!(parse_rating(""), None);
    }

    #[test]
    fn gsm7_septets_are_read_with_the_extension_table() {
        assert_eq!(decode_gsm7(b"Hello 1"), "Hello 1");
        assert_eq!(decode_gsm7(&[0x00, 0x01, 0x11, 0x1B, 0x65, 0x1B, 0x28, 0x7D]), "@£_€{ñ");
        for c in GSM7.iter().filter(|c| **c != ' ') {
            assert!(gsm7_length(&c.to_string()).is_some(), "{c:?} is in the default alphabet");
        }
    }

    #[test]
    fn an_excerpt_cuts_at_characters_with_an_ellipsis() {
        assert_eq!(excerpt(" 已修复 ", 60), "已修复");
        assert_eq!(excerpt("一二三四五", 3), "一二…");
        assert_eq!(excerpt(&"长".repeat(200), REPLY_EXCERPT_CHARS).chars().count(), REPLY_EXCERPT_CHARS);
        assert_eq!(excerpt(&"长".repeat(200), REPLY_EXCERPT_CHARS), LONGEST_REPLY);
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
