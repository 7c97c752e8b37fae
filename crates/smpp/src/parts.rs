//! Texts citizens send, as `deliver_sm`s bring them: decoded by their data
//! coding, and a long text put back together from its parts (the
//! concatenation header, with an 8- or 16-bit reference), so a long
//! complaint becomes one order, not one per part.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// How long the parts of a long text wait for the rest.
const KEEP_PARTS: Duration = Duration::from_secs(600);

/// One `deliver_sm`'s text as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub from: String,
    pub to: String,
    pub data_coding: u8,
    /// The text starts with a user data header (`esm_class` bit 6).
    pub udhi: bool,
    pub bytes: Vec<u8>,
}

/// A whole text: who sent it, to which number, what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whole {
    pub from: String,
    pub to: String,
    pub text: String,
}

struct Pending {
    total: u8,
    parts: BTreeMap<u8, String>,
    since: Instant,
}

/// Puts long texts back together; the parts of one not completed within
/// ten minutes are given up.
#[derive(Default)]
pub struct Assembler {
    pending: HashMap<(String, u16), Pending>,
}

impl std::fmt::Debug for Assembler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assembler").field("pending", &self.pending.len()).finish()
    }
}

/// The concatenation header's reference, part count and part number, and
/// where the text begins.
fn concatenation(bytes: &[u8]) -> Option<((u16, u8, u8), usize)> {
    let header_len = usize::from(*bytes.first()?);
    let header = bytes.get(1..=header_len)?;
    let mut at = 0;
    let mut found = None;
    while at + 1 < header.len() {
        let (iei, len) = (header[at], usize::from(header[at + 1]));
        let value = header.get(at + 2..at + 2 + len)?;
        match (iei, value) {
            (0x00, [reference, total, seq]) => found = Some((u16::from(*reference), *total, *seq)),
            (0x08, [hi, lo, total, seq]) => found = Some((u16::from_be_bytes([*hi, *lo]), *total, *seq)),
            _ => {}
        }
        at += 2 + len;
    }
    Some((found?, header_len + 1))
}

/// A text's bytes in its data coding: UCS-2, the GSM default alphabet,
/// ASCII or Latin-1; anything else as UTF-8 where it is.
pub fn decode(data_coding: u8, bytes: &[u8]) -> String {
    match data_coding {
        0x08 => {
            let units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect();
            String::from_utf16_lossy(&units)
        }
        0x00 => hotline_domain::sms::decode_gsm7(bytes),
        0x03 => bytes.iter().map(|b| char::from(*b)).collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

impl Assembler {
    /// The whole text once every part of it is in.
    pub fn add(&mut self, part: Part, now: Instant) -> Option<Whole> {
        self.pending.retain(|_, p| now.duration_since(p.since) < KEEP_PARTS);
        let header = if part.udhi { concatenation(&part.bytes) } else { None };
        let Some(((reference, total, seq), start)) = header.filter(|((_, total, seq), _)| *total > 1 && *seq >= 1 && seq <= total) else {
            let start = if part.udhi { part.bytes.first().map_or(0, |l| usize::from(*l) + 1) } else { 0 };
            let text = decode(part.data_coding, part.bytes.get(start..).unwrap_or_default());
            return Some(Whole { from: part.from, to: part.to, text });
        };
        let text = decode(part.data_coding, &part.bytes[start.min(part.bytes.len())..]);
        let key = (part.from.clone(), reference);
        let pending = self.pending.entry(key.clone()).or_insert_with(|| Pending { total, parts: BTreeMap::new(), since: now });
        pending.parts.insert(seq, text);
        if pending.parts.len() < usize::from(pending.total) {
            return None;
        }
        let done = self.pending.remove(&key)?;
        Some(Whole { from: part.from, to: part.to, text: done.parts.into_values().collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ucs2(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    fn part(udh: &[u8], body: Vec<u8>) -> Part {
        Part { from: "13812345678".into(), to: "12345".into(), data_coding: 8, udhi: !udh.is_empty(), bytes: [udh.to_vec(), body].concat() }
    }

    #[test]
    fn a_short_text_is_whole_at_once_in_any_coding() {
        let mut a = Assembler::default();
        let whole = a.add(part(&[], ucs2("路灯不亮")), Instant::now()).unwrap();
        assert_eq!((whole.from.as_str(), whole.text.as_str()), ("13812345678", "路灯不亮"));
        assert_eq!(decode(0, b"1"), "1");
        assert_eq!(decode(3, &[0x63, 0x61, 0x66, 0xE9]), "café");
    }

    #[test]
    fn a_long_text_is_put_back_together_whatever_order_its_parts_come_in() {
        let mut a = Assembler::default();
        let now = Instant::now();
        assert_eq!(a.add(part(&[5, 0x00, 3, 0x2A, 2, 2], ucs2("请尽快处理")), now), None);
        // Another phone's text with the same reference is another text.
        let mut other = part(&[5, 0x00, 3, 0x2A, 2, 1], ucs2("别人的"));
        other.from = "13912340000".into();
        assert_eq!(a.add(other, now), None);
        let whole = a.add(part(&[5, 0x00, 3, 0x2A, 2, 1], ucs2("东纵路路灯坏了一周，")), now).unwrap();
        assert_eq!(whole.text, "东纵路路灯坏了一周，请尽快处理");
        // A 16-bit reference.
        assert_eq!(a.add(part(&[6, 0x08, 4, 0x01, 0x02, 2, 1], ucs2("第一")), now), None);
        assert_eq!(a.add(part(&[6, 0x08, 4, 0x01, 0x02, 2, 2], ucs2("第二")), now).unwrap().text, "第一第二");
    }

    #[test]
    fn parts_that_never_complete_are_given_up() {
        let mut a = Assembler::default();
        let start = Instant::now();
        assert_eq!(a.add(part(&[5, 0x00, 3, 0x07, 2, 1], ucs2("前半")), start), None);
        let later = start + KEEP_PARTS + Duration::from_secs(1);
        assert_eq!(a.add(part(&[5, 0x00, 3, 0x07, 2, 2], ucs2("后半")), later), None, "the first half was given up");
        assert_eq!(a.pending.len(), 1);
    }
}
