//! The permalink: every state that matters lives in the URL's query string.
//!
//! This module is pure (no web API) so that hostile links can be tested
//! natively. Parsing never fails: a malformed part becomes a warning shown to
//! the learner, and the value falls back to its default.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Longest query string the app reads; the rest is ignored with a warning.
/// Room for the longest handler text the Races lab accepts with every byte
/// percent-encoded (checked in `races::limits`), so a link never carries
/// less of a handler than the editor and the CLI accept.
pub const QUERY_LEN_MAX: usize = 65_536;
/// Most parameters read from one link.
pub const PARAMS_MAX: usize = 64;

/// Parsed query parameters, in a stable order, plus what was wrong with them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    params: BTreeMap<String, String>,
    /// Problems found while reading the link, in words for the learner.
    pub warnings: Vec<String>,
}

impl Query {
    /// Parses `?a=1&b=two` (the leading `?` is optional). Never fails.
    pub fn parse(search: &str) -> Query {
        let mut q = Query::default();
        let mut s = search.strip_prefix('?').unwrap_or(search);
        if s.len() > QUERY_LEN_MAX {
            q.warnings.push(format!("The link is longer than {QUERY_LEN_MAX} characters; the rest was ignored."));
            let mut cut = QUERY_LEN_MAX;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s = &s[..cut];
        }
        for part in s.split('&').filter(|p| !p.is_empty()) {
            if q.params.len() >= PARAMS_MAX {
                q.warnings.push(format!("The link has more than {PARAMS_MAX} parameters; the rest were ignored."));
                break;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            match (percent_decode(k), percent_decode(v)) {
                (Some(k), Some(v)) => {
                    q.params.insert(k, v);
                }
                _ => q
                    .warnings
                    .push(format!("The link part {:?} is not valid percent-encoding; it was ignored.", clip(part))),
            }
        }
        q
    }

    /// Renders the query with a leading `?` (empty when there are no parameters).
    pub fn to_search(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.params {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(&percent_encode(k));
            out.push('=');
            out.push_str(&percent_encode(v));
        }
        out
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// Every key the link carries, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.params.keys().map(String::as_str)
    }

    /// Sets `key` to `value`.
    pub fn set(&mut self, key: &str, value: impl ToString) {
        self.params.insert(key.to_string(), value.to_string());
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.params.remove(key);
    }

    /// A copy with `key` set.
    pub fn with(&self, key: &str, value: impl ToString) -> Query {
        let mut q = self.clone();
        q.warnings.clear();
        q.set(key, value);
        q
    }

    /// Whether an embedder locked the control bound to `key`
    /// (`lock=seed,loss` locks those two; `lock=all` locks every control).
    pub fn locked(&self, key: &str) -> bool {
        self.get("lock").is_some_and(|l| l.split(',').any(|k| k == key || k == "all"))
    }

    /// An integer in `min..=max`; a missing value gives `default`, a malformed
    /// or out-of-range one gives `default` or the nearest bound, with a warning.
    pub fn int(&mut self, key: &str, default: i64, min: i64, max: i64) -> i64 {
        let Some(raw) = self.get(key).map(str::to_string) else { return default };
        match raw.trim().parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => v,
            Ok(v) => {
                let c = v.clamp(min, max);
                self.warnings.push(format!("{key}={v} is outside {min}..{max}; using {c}."));
                c
            }
            Err(_) => {
                self.warnings.push(format!("{key}={:?} is not a whole number; using {default}.", clip(&raw)));
                default
            }
        }
    }

    /// A seed: any u64, written in decimal.
    pub fn seed(&mut self, key: &str, default: u64) -> u64 {
        let Some(raw) = self.get(key).map(str::to_string) else { return default };
        match raw.trim().parse::<u64>() {
            Ok(v) => v,
            Err(_) => {
                self.warnings.push(format!(
                    "{key}={:?} is not a seed (a whole number from 0 to 2^64-1); using {default}.",
                    clip(&raw)
                ));
                default
            }
        }
    }

    /// A percentage `0..=100` as a fraction.
    pub fn pct(&mut self, key: &str, default_pct: i64) -> f64 {
        self.int(key, default_pct, 0, 100) as f64 / 100.0
    }

    /// A switch written as `1`/`0` (also `true`/`false`, `on`/`off`).
    pub fn flag(&mut self, key: &str, default: bool) -> bool {
        let Some(raw) = self.get(key).map(str::to_string) else { return default };
        match raw.as_str() {
            "1" | "true" | "on" | "yes" => true,
            "0" | "false" | "off" | "no" => false,
            _ => {
                self.warnings.push(format!("{key}={:?} is not 1 or 0; using {}.", clip(&raw), u8::from(default)));
                default
            }
        }
    }

    /// One of `choices` (by slug); the first is the default.
    pub fn choice<'a>(&mut self, key: &str, choices: &[&'a str]) -> &'a str {
        let first = choices.first().copied().unwrap_or("");
        let Some(raw) = self.get(key).map(str::to_string) else { return first };
        match choices.iter().find(|c| **c == raw) {
            Some(c) => c,
            None => {
                self.warnings.push(format!(
                    "{key}={:?} is not one of {}; using {first}.",
                    clip(&raw),
                    choices.join(", ")
                ));
                first
            }
        }
    }

    /// A comma-separated list of small integers each in `min..=max`, at most
    /// `len_max` long; a malformed list gives an empty one with a warning.
    pub fn int_list(&mut self, key: &str, min: i64, max: i64, len_max: usize) -> Vec<i64> {
        let Some(raw) = self.get(key).map(str::to_string) else { return Vec::new() };
        if raw.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for part in raw.split(',') {
            match part.trim().parse::<i64>() {
                Ok(v) if (min..=max).contains(&v) && out.len() < len_max => out.push(v),
                _ => {
                    self.warnings.push(format!(
                        "{key}={:?} must be at most {len_max} numbers from {min} to {max}, separated by commas; ignored.",
                        clip(&raw)
                    ));
                    return Vec::new();
                }
            }
        }
        out
    }
}

/// Shortens hostile input before it is echoed in a message.
pub fn clip(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~,".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_round_trips_through_its_search_string() {
        let mut q = Query::default();
        q.set("area", "races");
        q.set("schedule", "1,2,2,1");
        q.set("note", "a b&c=d");
        let back = Query::parse(&q.to_search());
        assert_eq!(back.get("note"), Some("a b&c=d"));
        assert_eq!(back.get("schedule"), Some("1,2,2,1"));
        assert!(back.warnings.is_empty());
    }

    #[test]
    fn hostile_values_fall_back_with_a_warning() {
        let mut q = Query::parse("?area=%ZZ&seed=-1&loss=999&x=%F0%28&area2=<script>&n=9999999999999999999999");
        assert_eq!(q.seed("seed", 7), 7);
        assert_eq!(q.pct("loss", 10), 1.0);
        assert_eq!(q.int("n", 5, 1, 10), 5);
        assert!(q.warnings.len() >= 3, "{:?}", q.warnings);
    }

    #[test]
    fn lock_names_the_controls_an_embedder_froze() {
        let q = Query::parse("lock=seed,loss");
        assert!(q.locked("seed") && q.locked("loss") && !q.locked("step"));
        assert!(Query::parse("lock=all").locked("anything"));
        assert!(!Query::default().locked("seed"));
    }

    #[test]
    fn huge_links_are_cut_and_bounded() {
        let long = "a=1&".repeat(QUERY_LEN_MAX / 4 + 1);
        let q = Query::parse(&long);
        assert!(q.warnings.iter().any(|w| w.contains("longer")));
        let many: String = (0..200).map(|i| format!("k{i}=1&")).collect();
        let q = Query::parse(&many);
        assert!(q.warnings.iter().any(|w| w.contains("parameters")));
    }

    #[test]
    fn lists_are_bounded_and_checked() {
        let mut q = Query::parse("s=1,2,2,1&bad=1,x&long=1,1,1,1");
        assert_eq!(q.int_list("s", 1, 2, 10), vec![1, 2, 2, 1]);
        assert!(q.int_list("bad", 1, 2, 10).is_empty());
        assert!(q.int_list("long", 1, 2, 3).is_empty());
        assert_eq!(q.warnings.len(), 2);
    }

    #[test]
    fn multibyte_input_is_cut_on_a_char_boundary() {
        let s = "é".repeat(QUERY_LEN_MAX);
        let _ = Query::parse(&s);
    }
}
