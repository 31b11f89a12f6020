//! The handler language: what a learner types, and what the shipped scenarios
//! are written in. SQL statements on `idempotency_keys` (each ends with `;`,
//! parsed by `sqlparser`'s PostgreSQL dialect) and a few control lines for
//! what happens outside the database:
//!
//! ```text
//! CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);  -- setup, before the handler
//! STORE DURABLE                  -- setup: the in-memory key map survives a crash
//! LANE name                      -- starts a lane's own handler (else every lane runs the one handler)
//! label:                         -- a place to jump to
//! IF NO ROW | ROW | ERROR [SQLSTATE] | STATUS STARTED | MAP HIT GOTO label   -- forward only
//! CHARGE                         -- call the payment provider
//! RESPOND 201 | 409 | 500 | STORED   -- answer the client and end
//! SEND 201 | STORED              -- answer over the network, a step of its own
//! RETRY n                        -- run the handler again from the top, at most n attempts, then 500
//! MAP GET | MAP PUT | CRASH | AWAIT Tn
//! ```
//!
//! A statement is accepted only when its syntax tree equals one the engine
//! models ([`Stmt::sql`] parsed by the same parser), so nothing is modelled
//! by a guess: anything else is refused with the line and the construct.

// Without the `parser` feature (the page's wasm) only the types and limits
// are used: the reading half is compiled out, its helpers are unused.
#![cfg_attr(not(feature = "parser"), allow(dead_code, reason = "the reading half is compiled out"))]

use super::*;
mod columns;
mod control;
#[cfg(feature = "parser")]
use control::{control_line, Control};
#[cfg(feature = "parser")]
mod sql;
#[cfg(feature = "parser")]
use sql::{sql_statement, Parsed, Templates};
use std::fmt;

use super::limits::{self, CONTROL_WORDS};
pub use super::limits::{
    HANDLER_INSTRS_MAX, HANDLER_LANES_MAX, HANDLER_LANES_MIN, HANDLER_TEXT_MAX, RETRY_ATTEMPTS_MAX,
};

/// The table every handler works on.
pub const TABLE: &str = "idempotency_keys";

/// Why a handler text was refused: the line (from 1; 0 for the whole text) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerError {
    /// The line, from 1; 0 when the text as a whole is refused.
    pub line: u32,
    /// What is wrong, naming the construct.
    pub message: String,
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for HandlerError {}

/// A parsed handler: the table, the store, and one program per lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Handler {
    /// Whether a `CREATE UNIQUE INDEX` on key came first.
    pub unique_index: bool,
    /// Whether `STORE DURABLE` was given.
    pub durable_store: bool,
    /// Whether any SQL statement runs.
    pub is_sql: bool,
    /// The programs, one per lane, and the text line of each instruction.
    pub lanes: Vec<(Program, Vec<u32>)>,
}

fn err<T>(line: u32, message: impl Into<String>) -> Result<T, HandlerError> {
    Err(HandlerError { line, message: message.into() })
}

/// The lane names of a handler every lane runs.
const REQUEST_NAMES: [&str; 4] = ["T1 (request A)", "T2 (request B)", "T3 (request C)", "T4 (request D)"];

/// A lane name for a `LANE` header: names are kept for the life of the
/// program (lane labels are `&'static str`), so each distinct name is stored
/// once and at most `NAMES_MAX` are kept; past that, lanes get numbered names.
pub(super) fn lane_name(text: &str, index: usize) -> &'static str {
    use std::sync::Mutex;
    const NAMES_MAX: usize = 64;
    const NUMBERED: [&str; 4] = ["T1", "T2", "T3", "T4"];
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let numbered = NUMBERED.get(index).copied().unwrap_or("T?");
    let Ok(mut names) = NAMES.lock() else { return numbered };
    if let Some(n) = names.iter().find(|n| **n == text) {
        return n;
    }
    if names.len() >= NAMES_MAX {
        return numbered;
    }
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    names.push(leaked);
    leaked
}

/// Removes a `--` comment, leaving string literals alone.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let b = line.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'\'' => quoted = !quoted,
            b'-' if !quoted && b.get(i + 1) == Some(&b'-') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// A line of the text, before labels are resolved.
enum Item {
    Label(String),
    Instr(Instr),
    /// A branch to a label, resolved once every label is known.
    Branch(Cond, String),
}

struct LaneDraft {
    name: Option<String>,
    line: u32,
    items: Vec<(Item, u32)>,
}

/// Parses a handler text. `lanes` is how many requests run it when the text
/// has no `LANE` sections (2 or 3); with sections, each section is a lane.
#[cfg(feature = "parser")]
pub fn parse_handler(text: &str, lanes: u8) -> Result<Handler, HandlerError> {
    limits::check_text(text)?;
    let Read { drafts, unique_index, durable_store } = read_lanes(text)?;
    let out = expand_lanes(&drafts, lanes)?;
    check_lanes(&out, unique_index)?;
    let is_sql = out.iter().any(|(p, _)| p.instrs.iter().any(|i| matches!(i, Instr::Sql { .. })));
    if is_sql && durable_store {
        return err(0, "STORE DURABLE is about the in-memory key map; a handler with SQL keeps its keys in the table");
    }
    Ok(Handler { unique_index, durable_store, is_sql, lanes: out })
}

/// A handler text read line by line: its lanes' items and its setup lines.
#[cfg(feature = "parser")]
struct Read {
    drafts: Vec<LaneDraft>,
    unique_index: bool,
    durable_store: bool,
}

/// Reads the text's lines into lanes: control lines (`LANE`, `STORE
/// DURABLE`, labels and answers) at once, SQL statements up to their `;`.
#[cfg(feature = "parser")]
fn read_lanes(text: &str) -> Result<Read, HandlerError> {
    let templates = Templates::new();
    let mut savepoint_names: Vec<String> = Vec::new();
    let mut unique_index = false;
    let mut durable_store = false;
    let mut drafts: Vec<LaneDraft> = vec![LaneDraft { name: None, line: 1, items: Vec::new() }];
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i as u32 + 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some((_, buf)) = pending.as_mut() {
            buf.push('\n');
            buf.push_str(line);
        } else if let Some(item) = control_line(line, n)? {
            match item {
                Control::Lane(name) => {
                    let first = drafts.len() == 1 && drafts[0].name.is_none() && drafts[0].items.is_empty();
                    if !first && drafts.iter().all(|d| d.name.is_none()) {
                        return err(n, "LANE must come before the handler's first line: every line belongs to a lane");
                    }
                    if first {
                        drafts.clear();
                    }
                    if drafts.len() >= ACTORS_MAX {
                        return err(n, format!("at most {ACTORS_MAX} lanes"));
                    }
                    drafts.push(LaneDraft { name: Some(name), line: n, items: Vec::new() });
                }
                Control::StoreDurable => {
                    if drafts.iter().any(|d| !d.items.is_empty()) {
                        return err(n, "STORE DURABLE is a setup line: put it before the handler");
                    }
                    durable_store = true;
                }
                Control::Item(item) => drafts.last_mut().map(|d| d.items.push((item, n))).unwrap_or(()),
            }
            continue;
        } else {
            pending = Some((n, line.to_string()));
        }
        if line.ends_with(';') {
            let Some((start, sql)) = pending.take() else { continue };
            match sql_statement(&sql, start, &templates, &mut savepoint_names)? {
                Parsed::Stmt(stmt) => {
                    let Some(d) = drafts.last_mut() else { continue };
                    let after_begin =
                        matches!(d.items.last(), Some((Item::Instr(Instr::Sql { stmt: Stmt::Begin { .. } }), _)));
                    if matches!(stmt, Stmt::SetIsolation { .. }) && !after_begin {
                        return err(start, "SET TRANSACTION must come right after BEGIN: PostgreSQL accepts it only before the transaction's first query (and ignores it outside a transaction)");
                    }
                    d.items.push((Item::Instr(Instr::Sql { stmt }), start));
                }
                setup @ (Parsed::UniqueIndex | Parsed::Table) => {
                    if drafts.iter().any(|d| !d.items.is_empty()) {
                        return err(start, "the table's definition and its unique index or primary key are setup lines: put them before the handler");
                    }
                    unique_index |= matches!(setup, Parsed::UniqueIndex);
                }
            }
        }
    }
    if let Some((start, _)) = pending {
        return err(start, "this SQL statement has no closing ';'");
    }
    Ok(Read { drafts, unique_index, durable_store })
}

/// One program per lane, with each instruction's line: a sectioned text's
/// lanes as written, or `lanes` copies of an unsectioned one.
#[cfg(feature = "parser")]
fn expand_lanes(drafts: &[LaneDraft], lanes: u8) -> Result<Vec<(Program, Vec<u32>)>, HandlerError> {
    let sectioned = drafts.iter().any(|d| d.name.is_some());
    if !sectioned && !(HANDLER_LANES_MIN..=HANDLER_LANES_MAX).contains(&lanes) {
        return err(0, format!("run the handler in {HANDLER_LANES_MIN} to {HANDLER_LANES_MAX} lanes, not {lanes}"));
    }
    let mut out = Vec::new();
    let copies = if sectioned { 1 } else { lanes as usize };
    for (k, d) in drafts.iter().enumerate() {
        let (instrs, lines) = resolve(d)?;
        for c in 0..copies {
            let index = k + c;
            let name = match &d.name {
                Some(n) => lane_name(n, index),
                None => REQUEST_NAMES[index.min(REQUEST_NAMES.len() - 1)],
            };
            out.push((Program { name, instrs: instrs.clone() }, lines.clone()));
        }
    }
    debug_assert!(out.len() <= ACTORS_MAX, "a handler has at most {ACTORS_MAX} lanes");
    Ok(out)
}

/// The checks that need every lane: AWAIT names a lane, SERIALIZABLE without
/// a unique index stays in what the SSI model covers, and no lane answers
/// inside an open transaction.
#[cfg(feature = "parser")]
fn check_lanes(out: &[(Program, Vec<u32>)], unique_index: bool) -> Result<(), HandlerError> {
    for (p, lines) in out {
        for (i, instr) in p.instrs.iter().enumerate() {
            if let Instr::AwaitUnanswered { actor } = instr {
                if *actor as usize >= out.len() {
                    return err(lines[i], format!("AWAIT T{}: there is no such lane", actor + 1));
                }
            }
        }
    }
    // Refused here, with its line, rather than by the scenario check without one.
    let serializable = |i: &Instr| {
        matches!(
            i,
            Instr::Sql {
                stmt: Stmt::Begin { isolation: Isolation::Serializable }
                    | Stmt::SetIsolation { isolation: Isolation::Serializable }
            }
        )
    };
    let first =
        |f: &dyn Fn(&Instr) -> bool| out.iter().find_map(|(p, lines)| p.instrs.iter().position(f).map(|i| lines[i]));
    if let (false, Some(line)) = (unique_index, first(&serializable)) {
        if out.len() > super::scenarios::SSI_LANES_MAX {
            return err(line, super::scenarios::SSI_THREE_LANES);
        }
        if let Some(at) = first(&|i| matches!(i, Instr::Sql { stmt: Stmt::Savepoint { .. } })) {
            return err(at, super::scenarios::SSI_SAVEPOINT);
        }
    }
    for (p, lines) in out {
        if let Some(i) = limits::answers_in_open_transaction(&p.instrs) {
            return err(lines[i], limits::OPEN_TRANSACTION_AT_ANSWER);
        }
    }
    Ok(())
}

/// Turns labels into instruction indexes and checks that every path answers.
fn resolve(d: &LaneDraft) -> Result<(Vec<Instr>, Vec<u32>), HandlerError> {
    let mut labels: Vec<(String, usize, u32)> = Vec::new();
    let mut count = 0usize;
    for (item, n) in &d.items {
        match item {
            Item::Label(l) => {
                if labels.iter().any(|(x, _, _)| x == l) {
                    return err(*n, format!("label {l} is defined twice"));
                }
                labels.push((l.clone(), count, *n));
            }
            Item::Instr(_) | Item::Branch(..) => count += 1,
        }
    }
    if count == 0 {
        return err(d.line, "this handler has no lines to run");
    }
    if count > HANDLER_INSTRS_MAX {
        return err(d.line, format!("this handler has {count} lines to run; at most {HANDLER_INSTRS_MAX}"));
    }
    let mut instrs = Vec::new();
    let mut lines = Vec::new();
    for (item, n) in &d.items {
        let instr = match item {
            Item::Label(_) => continue,
            Item::Instr(i) => *i,
            Item::Branch(cond, l) => {
                let Some(&(_, to, _)) = labels.iter().find(|(x, _, _)| x == l) else {
                    return err(*n, format!("GOTO {l}: there is no label {l}:"));
                };
                if to <= instrs.len() {
                    return err(
                        *n,
                        format!(
                            "GOTO {l} jumps backwards; handlers run top to bottom (use RETRY to run the handler again)"
                        ),
                    );
                }
                if to >= count {
                    return err(*n, format!("GOTO {l}: the label is at the end, with nothing after it to run"));
                }
                Instr::JumpIf { cond: *cond, to: to as u16 }
            }
        };
        instrs.push(instr);
        lines.push(*n);
    }
    check_reach(&instrs, &lines)?;
    columns::check_columns(&instrs, &lines)?;
    Ok((instrs, lines))
}

/// Every instruction that can be reached must lead to an answer, not past
/// the end, and every line must be reachable.
fn check_reach(instrs: &[Instr], lines: &[u32]) -> Result<(), HandlerError> {
    debug_assert!(!instrs.is_empty(), "resolve refuses a handler with no lines to run");
    debug_assert!(
        instrs.iter().all(|i| !matches!(i, Instr::JumpIf { to, .. } if usize::from(*to) >= instrs.len())),
        "resolve keeps every jump inside the handler"
    );
    let ends = |i: &Instr| {
        matches!(i, Instr::Respond { .. } | Instr::SendResponse { .. } | Instr::Crash | Instr::Retry { .. })
    };
    let mut reach = vec![false; instrs.len()];
    reach[0] = true;
    for i in 0..instrs.len() {
        if !reach[i] || ends(&instrs[i]) {
            continue;
        }
        if let Instr::JumpIf { to, .. } = instrs[i] {
            reach[to as usize] = true;
        }
        match reach.get_mut(i + 1) {
            Some(r) => *r = true,
            None => {
                return err(
                    lines[i],
                    "the handler can run past its last line without answering: end every path with RESPOND, SEND, RETRY or CRASH",
                )
            }
        }
    }
    if let Some(i) = (0..instrs.len()).find(|&i| !reach[i]) {
        return err(lines[i], "this line can never run: the line before it always answers or jumps");
    }
    Ok(())
}

impl SqlState {
    /// Every SQLSTATE the model raises.
    pub const ALL: [SqlState; 6] = [
        SqlState::UniqueViolation,
        SqlState::SerializationFailure,
        SqlState::InFailedTransaction,
        SqlState::DeadlockDetected,
        SqlState::LockNotAvailable,
        SqlState::InvalidColumnReference,
    ];

    /// The state with this five-character code.
    pub fn from_code(code: &str) -> Option<SqlState> {
        SqlState::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A scenario for a handler text, ready for [`run`] and [`explore`].
#[cfg(feature = "parser")]
pub fn handler_scenario(text: &str, lanes: u8) -> Result<Scenario, HandlerError> {
    let h = parse_handler(text, lanes)?;
    let s = Scenario {
        id: "handler",
        number: 0,
        title: "Your handler",
        explanation: "",
        sql: "",
        unique_index: h.unique_index,
        is_sql: h.is_sql,
        durable_store: h.durable_store,
        twin: SCENARIO_IDS[0],
        programs: h.lanes.into_iter().map(|(p, _)| p).collect(),
    };
    s.validate().map_err(|e| HandlerError { line: 0, message: limits::refusal_words(&e) })?;
    Ok(s)
}
