//! One set of limits and rules for a handler text, whoever reads it: the
//! page's editor (through the Web Worker), the page's link and the CLI all
//! call these, so a text one accepts the others accept too.
//!
//! Labels follow PostgreSQL's rule for an unquoted identifier (docs 4.1.1,
//! "Identifiers and Key Words"): a letter (any alphabet, with or without
//! diacritical marks) or `_`, then letters, digits, `_` or `$`, at most 63
//! bytes (NAMEDATALEN - 1). A word the handler language or PostgreSQL
//! reserves is refused as a keyword, by name.

use super::handler::HandlerError;
use super::{Instr, Stmt};
use crate::error::SimError;

/// Longest handler text accepted, in bytes (UTF-8).
pub const HANDLER_TEXT_MAX: usize = 20_000;
// A link carries any text the parser accepts, even with every byte percent-encoded.
const _: () = assert!(
    crate::permalink::QUERY_LEN_MAX >= 3 * HANDLER_TEXT_MAX + 4_096,
    "a link must carry the longest handler text, percent-encoded"
);

/// Most instructions in one lane's handler (the engine's limit).
pub const HANDLER_INSTRS_MAX: usize = 64;
/// Fewest lanes a handler without `LANE` sections runs in (a race needs two).
pub const HANDLER_LANES_MIN: u8 = 2;
/// Most lanes a handler without `LANE` sections runs in (the `lanes` knob's bound).
pub const HANDLER_LANES_MAX: u8 = 3;
/// Most attempts `RETRY` may ask for.
pub const RETRY_ATTEMPTS_MAX: u8 = 5;
/// Most lines in a handler text.
pub const HANDLER_LINES_MAX: usize = 1_000;
/// Longest lane name (`LANE name`), in characters: the page shows it whole on a lane's header.
pub const LANE_NAME_MAX: usize = 24;
/// Longest label, in bytes: PostgreSQL's identifier limit (NAMEDATALEN - 1).
pub const LABEL_BYTES_MAX: usize = 63;

/// The words that start a control line of the handler language.
pub const CONTROL_WORDS: [&str; 12] =
    ["IF", "CHARGE", "RESPOND", "SEND", "RETRY", "MAP", "CRASH", "AWAIT", "LANE", "STORE", "GOTO", "ELSE"];

/// PostgreSQL 15's reserved key words (docs, Appendix C, "reserved" and
/// "reserved (can be function or type)"): never an unquoted identifier.
pub const POSTGRES_RESERVED: [&str; 99] = [
    "ALL",
    "ANALYSE",
    "ANALYZE",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "ASYMMETRIC",
    "AUTHORIZATION",
    "BINARY",
    "BOTH",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLLATION",
    "COLUMN",
    "CONCURRENTLY",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_SCHEMA",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DEFAULT",
    "DEFERRABLE",
    "DESC",
    "DISTINCT",
    "DO",
    "ELSE",
    "END",
    "EXCEPT",
    "FALSE",
    "FETCH",
    "FOR",
    "FOREIGN",
    "FREEZE",
    "FROM",
    "FULL",
    "GRANT",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INITIALLY",
    "INNER",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LATERAL",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NATURAL",
    "NOT",
    "NOTNULL",
    "NULL",
    "OFFSET",
    "ON",
    "ONLY",
    "OR",
    "ORDER",
    "OUTER",
    "OVERLAPS",
    "PLACING",
    "PRIMARY",
    "REFERENCES",
    "RETURNING",
    "RIGHT",
    "SELECT",
    "SESSION_USER",
    "SIMILAR",
    "SOME",
    "SYMMETRIC",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TO",
    "TRAILING",
    "TRUE",
    "UNION",
    "UNIQUE",
    "USER",
    "USING",
    "VARIADIC",
    "VERBOSE",
    "WHEN",
    "WHERE",
    "WINDOW",
];

/// The limits and rules in one sentence, for the editor's help (the same
/// numbers the parser enforces, on the page and in the CLI).
pub fn rules_words() -> String {
    format!(
        "At most {} bytes and {} lines, {} lines to run per lane, {} or {} requests (or one lane per LANE section), lane names of up to {} characters; a label is a name PostgreSQL accepts (letters of any alphabet, digits, _ or $, up to {} bytes) and not a keyword; a transaction ends (COMMIT or ROLLBACK) before the handler answers.",
        super::thousands(HANDLER_TEXT_MAX),
        super::thousands(HANDLER_LINES_MAX),
        HANDLER_INSTRS_MAX,
        2,
        HANDLER_LANES_MAX,
        LANE_NAME_MAX,
        LABEL_BYTES_MAX
    )
}

/// Checks a whole text before it is read line by line: its size, its line
/// count, and that it has something to run.
pub fn check_text(text: &str) -> Result<(), HandlerError> {
    let whole = |message: String| Err(HandlerError { line: 0, message });
    if text.len() > HANDLER_TEXT_MAX {
        return whole(format!("the text has {} bytes; at most {HANDLER_TEXT_MAX} are accepted", text.len()));
    }
    let lines = text.lines().count();
    if lines > HANDLER_LINES_MAX {
        return whole(format!("the text has {lines} lines; at most {HANDLER_LINES_MAX} are accepted"));
    }
    if text.trim().is_empty() {
        return whole("the handler is empty: write the lines each request runs, or pick a preset".into());
    }
    if without_comments(text).trim().is_empty() {
        return whole("the handler has only comments: nothing to run".into());
    }
    Ok(())
}

/// The text with `--` and `/* … */` comments blanked, string literals kept.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut quoted, mut block, mut line) = (false, 0u32, false);
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        if line {
            line = c != '\n';
        } else if block > 0 {
            if c == '*' && next == Some('/') {
                chars.next();
                block -= 1;
            } else if c == '/' && next == Some('*') {
                chars.next();
                block += 1;
            }
        } else if quoted {
            quoted = c != '\'';
            out.push(c);
        } else if c == '-' && next == Some('-') {
            line = true;
        } else if c == '/' && next == Some('*') {
            chars.next();
            block = 1;
        } else {
            quoted = c == '\'';
            out.push(c);
        }
    }
    out
}

/// Why `word` cannot be a label, or None when PostgreSQL would accept it as an identifier.
pub fn label_refusal(word: &str) -> Option<String> {
    let mut chars = word.chars();
    let Some(first) = chars.next() else { return Some("a label needs a name before the colon".into()) };
    let up = word.to_uppercase();
    if CONTROL_WORDS.contains(&up.as_str()) {
        return Some(format!("{up} is a keyword of the handler language, so it cannot be a label"));
    }
    if POSTGRES_RESERVED.contains(&up.as_str()) {
        return Some(format!("{up} is a reserved key word of PostgreSQL, so it cannot be a label"));
    }
    if !(first.is_alphabetic() || first == '_') {
        return Some(format!("{word:?} is not a label: a label starts with a letter or _"));
    }
    if let Some(bad) = chars.find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '$')) {
        return Some(format!("{word:?} is not a label: {bad:?} is not a letter, digit, _ or $"));
    }
    if word.len() > LABEL_BYTES_MAX {
        return Some(format!("the label has {} bytes; PostgreSQL's names have at most {LABEL_BYTES_MAX}", word.len()));
    }
    None
}

/// Why a lane name cannot be used, or None.
pub fn lane_name_refusal(name: &str) -> Option<String> {
    let n = name.chars().count();
    (n > LANE_NAME_MAX).then(|| format!("the lane name has {n} characters; at most {LANE_NAME_MAX}"))
}

/// An engine refusal in the learner's words: what is wrong, without the
/// engine's internal name for the parameter it checked.
pub fn refusal_words(e: &SimError) -> String {
    match e {
        SimError::InvalidParameter { reason, .. } => reason.clone(),
        SimError::EventBudgetExceeded { .. }
        | SimError::QueueFull { .. }
        | SimError::ScheduledInPast { .. }
        | SimError::Internal(_) => e.to_string(),
    }
}

/// Why a handler that answers with its transaction open is refused.
pub const OPEN_TRANSACTION_AT_ANSWER: &str = "this line answers (or starts the handler again) while a path to it leaves its transaction open: on PostgreSQL the connection would sit idle in transaction, holding its row and advisory locks and hiding its rows until something ended it. End the transaction with COMMIT or ROLLBACK first";

/// The first instruction that answers the client (or starts the handler
/// again) while a path to it may still have a transaction open, or None.
///
/// A real handler that answers with its transaction open leaves the
/// connection idle in transaction, holding its locks and hiding its rows
/// until something ends it; the lab does not model that wait, so such a
/// handler is refused with this reason instead of being shown ending well.
pub fn answers_in_open_transaction(instrs: &[Instr]) -> Option<usize> {
    // Bit 0: reachable with no transaction open; bit 1: with one open.
    let mut state = vec![0u8; instrs.len()];
    if let Some(s) = state.first_mut() {
        *s = 1;
    }
    for i in 0..instrs.len() {
        let here = state[i];
        if here == 0 {
            continue;
        }
        let after = match instrs[i] {
            Instr::Sql { stmt: Stmt::Begin { .. } } => 2,
            Instr::Sql { stmt: Stmt::Commit | Stmt::Rollback } => 1,
            // ROLLBACK TO SAVEPOINT and RELEASE SAVEPOINT leave the transaction open.
            Instr::Sql { stmt: Stmt::RollbackToSavepoint { .. } | Stmt::ReleaseSavepoint { .. } } => here,
            Instr::Respond { .. } | Instr::SendResponse { .. } | Instr::Retry { .. } if here & 2 != 0 => {
                return Some(i)
            }
            Instr::Respond { .. } | Instr::SendResponse { .. } | Instr::Retry { .. } | Instr::Crash => continue,
            Instr::JumpIf { to, .. } => {
                if let Some(s) = state.get_mut(to as usize) {
                    *s |= here;
                }
                here
            }
            Instr::Sql { .. } | Instr::Charge | Instr::MapGet | Instr::MapPut | Instr::AwaitUnanswered { .. } => here,
        };
        if let Some(s) = state.get_mut(i + 1) {
            *s |= after;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_any_identifier_postgresql_accepts() {
        for ok in ["fresh", "prisé", "_x1", "a$b", "Ünïcode_ß", "deux_requêtes"] {
            assert_eq!(label_refusal(ok), None, "{ok}");
        }
    }

    #[test]
    fn a_keyword_used_as_a_label_is_refused_as_a_keyword() {
        let retry = label_refusal("retry").unwrap();
        assert!(retry.contains("RETRY is a keyword of the handler language"), "{retry}");
        let select = label_refusal("select").unwrap();
        assert!(select.contains("reserved key word of PostgreSQL"), "{select}");
        assert!(label_refusal("1x").unwrap().contains("starts with a letter"));
        assert!(label_refusal("a-b").unwrap().contains("'-'"));
        assert!(label_refusal(&"x".repeat(64)).unwrap().contains("63"));
    }

    #[test]
    fn empty_and_comment_only_texts_are_refused_for_what_they_are() {
        assert!(check_text("").unwrap_err().message.contains("empty"));
        assert!(check_text("  \n\n").unwrap_err().message.contains("empty"));
        let only = check_text("-- a note\n/* and\n another */\n").unwrap_err();
        assert!(only.message.contains("only comments"), "{}", only.message);
        assert_eq!(check_text("-- note\nCHARGE\nRESPOND 201"), Ok(()));
        assert!(check_text("SELECT '--';").is_ok());
    }

    #[test]
    fn size_and_line_limits_are_errors_with_the_numbers() {
        let big = "CHARGE\n".repeat(HANDLER_TEXT_MAX / 7 + 1);
        assert!(check_text(&big).unwrap_err().message.contains(&HANDLER_TEXT_MAX.to_string()));
        let tall = "\n".repeat(HANDLER_LINES_MAX) + "CHARGE\n";
        assert!(check_text(&tall).unwrap_err().message.contains("lines"));
    }

    #[test]
    fn the_editors_rules_sentence_states_the_numbers_the_parser_enforces() {
        let w = rules_words();
        assert!(w.contains("20,000 bytes") && w.contains("1,000 lines") && w.contains("64 lines to run"), "{w}");
    }

    #[test]
    fn refusals_do_not_name_internal_parameters() {
        let e = SimError::InvalidParameter { name: "program", reason: "a handler must end by answering".into() };
        assert_eq!(refusal_words(&e), "a handler must end by answering");
    }
}
