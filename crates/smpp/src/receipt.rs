//! The operator's delivery receipt as SMS centres write it in a
//! `deliver_sm` (SMPP 3.4, appendix B):
//! `id:IIII sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000 text:…`.

use hotline_domain::sms::SmsState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The message id the centre gave in its `submit_sm_resp`.
    pub id: String,
    /// `DELIVRD`, `UNDELIV`, `EXPIRED`, `REJECTD`, `ACCEPTD`, `ENROUTE` …
    pub stat: String,
    pub err: Option<String>,
}

impl Receipt {
    /// A final state, or `None` while the text is still on its way.
    pub fn state(&self) -> Option<SmsState> {
        match self.stat.as_str() {
            "DELIVRD" => Some(SmsState::Delivered),
            "UNDELIV" | "EXPIRED" | "REJECTD" | "DELETED" => Some(SmsState::Failed),
            _ => None,
        }
    }

    /// How the delivery log shows it.
    pub fn describe(&self) -> String {
        match &self.err {
            Some(err) if err.trim_start_matches('0').is_empty() => format!("SMPP {}", self.stat),
            Some(err) => format!("SMPP {} err:{err}", self.stat),
            None => format!("SMPP {}", self.stat),
        }
    }
}

/// Reads a receipt's text; `None` when it is not one (no id or no stat).
pub fn parse_receipt(text: &str) -> Option<Receipt> {
    let field = |name: &str| -> Option<String> {
        let lower = text.to_ascii_lowercase();
        let at = lower.find(&format!("{name}:"))?;
        let rest = &text[at + name.len() + 1..];
        Some(rest.split(char::is_whitespace).next().unwrap_or_default().to_owned())
    };
    let id = field("id").filter(|v| !v.is_empty())?;
    let stat = field("stat").filter(|v| !v.is_empty())?.to_ascii_uppercase();
    Some(Receipt { id, stat, err: field("err") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_read_whatever_the_centre_puts_around_its_fields() {
        let r = parse_receipt("id:1B58 sub:001 dlvrd:001 submit date:2612030900 done date:2612030901 stat:DELIVRD err:000 text:").unwrap();
        assert_eq!((r.id.as_str(), r.stat.as_str(), r.state()), ("1B58", "DELIVRD", Some(SmsState::Delivered)));
        assert_eq!(r.describe(), "SMPP DELIVRD");
        let r =
            parse_receipt("id:42 sub:001 dlvrd:000 submit date:2612030900 done date:2612031100 stat:UNDELIV err:017 Text:hello").unwrap();
        assert_eq!((r.state(), r.describe()), (Some(SmsState::Failed), "SMPP UNDELIV err:017".to_owned()));
        assert_eq!(parse_receipt("id:7 stat:ENROUTE").unwrap().state(), None);
        assert_eq!(parse_receipt("路灯不亮"), None);
        assert_eq!(parse_receipt("id: stat:DELIVRD"), None);
    }
}
