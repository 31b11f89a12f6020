//! A small, strict flag parser shared by every subcommand. Unknown flags and
//! malformed values are errors with a message, never a panic.

use std::collections::BTreeMap;

/// Parsed arguments of one subcommand.
#[derive(Debug, Default)]
pub struct Args {
    /// Words that are not flags, in order.
    pub positional: Vec<String>,
    flags: BTreeMap<String, Option<String>>,
}

impl Args {
    /// Parses `words`, accepting only the flags in `known`. Flags listed in
    /// `switches` take no value; every other flag takes one (`--k v` or `--k=v`).
    pub fn parse(words: &[String], known: &[&str], switches: &[&str]) -> Result<Args, String> {
        let mut out = Args::default();
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            if let Some(stripped) = w.strip_prefix("--") {
                let (name, inline) = match stripped.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (stripped.to_string(), None),
                };
                let flag = format!("--{name}");
                if !known.contains(&flag.as_str()) && !switches.contains(&flag.as_str()) {
                    return Err(format!("unknown flag {flag}; known: {}", [known, switches].concat().join(" ")));
                }
                if switches.contains(&flag.as_str()) {
                    out.flags.insert(flag, None);
                } else {
                    let value = match inline {
                        Some(v) => v,
                        None => {
                            i += 1;
                            words.get(i).cloned().ok_or_else(|| format!("{flag} needs a value"))?
                        }
                    };
                    out.flags.insert(flag, Some(value));
                }
            } else {
                out.positional.push(w.clone());
            }
            i += 1;
        }
        Ok(out)
    }

    /// Whether a switch was given.
    pub fn has(&self, flag: &str) -> bool {
        self.flags.contains_key(flag)
    }

    /// The raw value of a flag.
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.flags.get(flag).and_then(|v| v.as_deref())
    }

    /// A parsed value, or `default` when the flag is absent.
    pub fn get<T: std::str::FromStr>(&self, flag: &str, default: T) -> Result<T, String> {
        match self.value(flag) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("{flag}: cannot read {v:?} as a {}", std::any::type_name::<T>())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_take_values_in_both_spellings() {
        let a = Args::parse(&words("run x --seed 5 --ops=7 --csv"), &["--seed", "--ops"], &["--csv"]).unwrap();
        assert_eq!(a.positional, vec!["run", "x"]);
        assert_eq!(a.get("--seed", 0u64).unwrap(), 5);
        assert_eq!(a.get("--ops", 0u32).unwrap(), 7);
        assert!(a.has("--csv"));
    }

    #[test]
    fn unknown_flags_and_bad_values_are_errors() {
        assert!(Args::parse(&words("--nope 1"), &["--seed"], &[]).is_err());
        assert!(Args::parse(&words("--seed"), &["--seed"], &[]).is_err());
        let a = Args::parse(&words("--seed abc"), &["--seed"], &[]).unwrap();
        assert!(a.get("--seed", 0u64).is_err());
    }
}
