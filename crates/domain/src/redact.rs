//! Removing personal data from text that is shown to the public: the
//! portal's published replies and tracking page show what citizens and
//! handlers wrote, which may contain phone and identity-card numbers.

/// Masks every phone number (7 or more digits in a row, with `-` or spaces
/// inside, in ASCII or full-width digits), identity-card number (17 digits
/// and a digit or X) and e-mail address in `text`, and every occurrence of
/// the `names` given (the caller's own), keeping the first three and last
/// two characters of a number so a citizen can still recognise their own:
/// `13812345678` → `138******78`, `１３８１２３４５６７８` → `１３８******７８`,
/// `zhang.san@qq.com` → `z***@**.com`, `张三丰` → `张**`.
pub fn redact_personal(text: &str, names: &[&str]) -> String {
    let text = redact_emails(text);
    let text = names.iter().filter(|n| n.chars().count() >= 2).fold(text, |t, name| t.replace(name, &mask_name(name)));
    redact_numbers(&text)
}

fn digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn separator(c: char) -> bool {
    matches!(c, '-' | ' ' | '－' | '　' | '—')
}

fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !digit(chars[i]) {
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
            if digit(c) {
                digits += 1;
                end += 1;
            } else if separator(c) && end + 1 < chars.len() && digit(chars[end + 1]) && digits > 0 {
                end += 1;
            } else if matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ') && digits == 17 {
                digits += 1;
                end += 1;
                break;
            } else {
                break;
            }
        }
        let run = &chars[start..end];
        if digits >= 7 {
            out.extend(mask(run));
        } else {
            out.extend(run);
        }
        i = end;
    }
    out
}

fn mask(run: &[char]) -> impl Iterator<Item = char> + '_ {
    let keep_head = 3.min(run.len());
    let keep_tail = 2.min(run.len() - keep_head);
    run.iter().enumerate().map(move |(i, c)| if i < keep_head || i >= run.len() - keep_tail || separator(*c) { *c } else { '*' })
}

fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().into_iter().chain(chars.map(|_| '*')).collect()
}

fn local_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn domain_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// `name@host.tld` → `n***@****.tld`: who wrote is hidden, that it was an
/// address stays readable.
fn redact_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' && chars[i] != '＠' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let local = out.iter().rev().take_while(|c| local_part(**c)).count();
        let domain = chars[i + 1..].iter().take_while(|c| domain_part(**c)).count();
        let host: String = chars[i + 1..i + 1 + domain].iter().collect();
        let host = host.trim_end_matches('.');
        match host.rsplit_once('.') {
            Some((name, tld)) if local > 0 && !name.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()) => {
                let first = out[out.len() - local];
                out.truncate(out.len() - local);
                out.push(first);
                out.extend("***@".chars());
                out.extend(name.chars().map(|c| if c == '.' { '.' } else { '*' }));
                out.push('.');
                out.extend(tld.chars());
                i += 1 + host.chars().count();
            }
            _ => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::redact_personal;

    fn redact(text: &str) -> String {
        redact_personal(text, &[])
    }

    #[test]
    fn masks_mobile_landline_and_identity_numbers() {
        assert_eq!(redact("请致电13812345678联系张先生"), "请致电138******78联系张先生");
        assert_eq!(redact("电话0769-22123456"), "电话076*-******56");
        assert_eq!(redact("身份证44190019900101123X已登记"), "身份证441*************3X已登记");
    }

    #[test]
    fn masks_full_width_and_mixed_digits() {
        assert_eq!(redact("请回电１３８１２３４５６７８"), "请回电１３８******７８");
        assert_eq!(redact("手机138１２３４5678。"), "手机138******78。");
        assert_eq!(redact("电话０７６９－２２１２３４５６"), "电话０７６*－******５６");
        assert_eq!(redact("证件４４１９００１９９００１０１１２３Ｘ"), "证件４４１*************３Ｘ");
    }

    #[test]
    fn masks_email_addresses_and_the_callers_name() {
        assert_eq!(redact("邮箱zhang.san@qq.com，谢谢"), "邮箱z***@**.com，谢谢");
        assert_eq!(redact("写信到 li_si+12345@mail.dg.gov.cn"), "写信到 l***@****.**.***.cn");
        assert_eq!(redact("@东城街道 请处理；邮件@"), "@东城街道 请处理；邮件@", "an @ without an address stays");
        assert_eq!(redact_personal("张三丰先生反映：张三丰家门口积水", &["张三丰"]), "张**先生反映：张**家门口积水");
        assert_eq!(redact_personal("王先生反映", &["王"]), "王先生反映", "a one-character name would mask every use of the character");
    }

    #[test]
    fn keeps_short_numbers_dates_and_addresses() {
        let text = "东城街道28号楼3单元，2026年11月28日，共5户，12345热线";
        assert_eq!(redact(text), text);
    }

    #[test]
    fn masks_every_number_in_a_text() {
        let out = redact("138 1234 5678 或 13912345678");
        assert!(!out.contains("1234 5678") && !out.contains("12345678"), "{out}");
        assert!(out.starts_with("138") && out.contains("或 139"), "{out}");
    }
}
