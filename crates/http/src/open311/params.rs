//! Open311's parameters: form fields and query strings, where an empty
//! value is no value at all, lists are comma-separated and attributes come
//! as `attribute[code]` (or `attribute[code][]` for several values).

use hotline_domain::FieldError;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(raw: &[u8]) -> Self {
        let pairs = form_urlencoded::parse(raw)
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .collect();
        Self { pairs }
    }

    /// Both sets of parameters (a query string and a form body).
    pub fn and(mut self, other: Params) -> Self {
        self.pairs.extend(other.pairs);
        self
    }

    /// A parameter given once; given twice with different values is an error.
    pub fn one(&self, name: &str) -> Result<Option<&str>, FieldError> {
        let mut values = self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = values.next();
        if values.any(|v| Some(v) != first) {
            return Err(FieldError::new(name, "is given twice with different values"));
        }
        Ok(first)
    }

    /// A comma-separated list, however often the parameter is repeated.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).flat_map(|(_, v)| v.split(',')).map(str::trim).filter(|v| !v.is_empty()).collect()
    }

    /// `attribute[code]=v` and `attribute[code][]=v`, by code.
    pub fn attributes(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in &self.pairs {
            let Some(rest) = k.strip_prefix("attribute[") else { continue };
            let code = rest.strip_suffix("][]").or_else(|| rest.strip_suffix(']')).unwrap_or(rest);
            out.entry(code.to_owned()).or_default().push(v.clone());
        }
        out
    }

    /// A whole number parameter.
    pub fn number(&self, name: &str) -> Result<Option<u32>, FieldError> {
        self.one(name)?.map(|v| v.parse::<u32>().map_err(|_| FieldError::new(name, format!("{v:?} is not a whole number")))).transpose()
    }

    /// A decimal number parameter.
    pub fn decimal(&self, name: &str) -> Result<Option<f64>, FieldError> {
        self.one(name)?
            .map(|v| v.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| FieldError::new(name, format!("{v:?} is not a number"))))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_absent_and_lists_split_on_commas() {
        let p = Params::parse(
            b"api_key=&service_code=1,%202&service_code=3&status=open&attribute[privacy][]=a&attribute[privacy][]=b&attribute[type]=help",
        );
        assert_eq!(p.one("api_key").unwrap(), None);
        assert_eq!(p.list("service_code"), vec!["1", "2", "3"]);
        assert_eq!(p.one("status").unwrap(), Some("open"));
        let attributes = p.attributes();
        assert_eq!(attributes["privacy"], vec!["a", "b"]);
        assert_eq!(attributes["type"], vec!["help"]);
        assert!(Params::parse(b"page=1&page=2").one("page").is_err());
        assert_eq!(Params::parse(b"page=x").number("page").unwrap_err().field, "page");
        assert_eq!(Params::parse(b"lat=23.5").decimal("lat").unwrap(), Some(23.5));
        assert!(Params::parse(b"lat=NaN").decimal("lat").is_err());
    }
}
