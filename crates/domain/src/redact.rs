//! Removing personal data from text that is shown to the public: the
//! portal's published replies and tracking page show what citizens and
//! handlers wrote, which may contain phone and identity-card numbers.

/// Masks every phone number (7 or more digits in a row, with `-` or spaces
/// inside) and identity-card number (17 digits and a digit or X) in `text`,
/// keeping the first three and last two characters so a citizen can still
/// recognise their own: `13812345678` → `138******78`.
pub fn redact_personal(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run of digits, allowing single separators between digits
        // (0769-12345678, 138 1234 5678) and a final X of an ID number.
        let start = i;
        let mut end = i;
        let mut digits = 0;
        while end < chars.len() {
            let c = chars[end];
            if c.is_ascii_digit() {
                digits += 1;
                end += 1;
            } else if (c == '-' || c == ' ') && end + 1 < chars.len() && chars[end + 1].is_ascii_digit() && digits > 0 {
                end += 1;
            } else if (c == 'X' || c == 'x') && digits == 17 {
                digits += 1;
                end += 1;
                break;
            } else {
                break;
            }
        }
        let run: String = chars[start..end].iter().collect();
        if digits >= 7 {
            out.push_str(&mask(&run));
        } else {
            out.push_str(&run);
        }
        i = end;
    }
    out
}

fn mask(run: &str) -> String {
    let chars: Vec<char> = run.chars().collect();
    let keep_head = 3.min(chars.len());
    let keep_tail = 2.min(chars.len() - keep_head);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep_head || i >= chars.len() - keep_tail || !c.is_ascii_alphanumeric() { *c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::redact_personal;

    #[test]
    fn masks_mobile_landline_and_identity_numbers() {
        assert_eq!(redact_personal("请致电13812345678联系张先生"), "请致电138******78联系张先生");
        assert_eq!(redact_personal("电话0769-22123456"), "电话076*-******56");
        assert_eq!(redact_personal("身份证44190019900101123X已登记"), "身份证441*************3X已登记");
    }

    #[test]
    fn keeps_short_numbers_dates_and_addresses() {
        let text = "东城街道28号楼3单元，2026年11月28日，共5户，12345热线";
        assert_eq!(redact_personal(text), text);
    }

    #[test]
    fn masks_every_number_in_a_text() {
        let out = redact_personal("138 1234 5678 或 13912345678");
        assert!(!out.contains("1234 5678") && !out.contains("12345678"), "{out}");
        assert!(out.starts_with("138") && out.contains("或 139"), "{out}");
    }
}
