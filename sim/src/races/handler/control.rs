//! The handler's control lines: LANE sections, STORE DURABLE, labels, and
//! the steps that are not SQL (CHARGE, RESPOND, SEND, RETRY, MAP, CRASH,
//! AWAIT, IF … GOTO).

use super::*;

pub(super) enum Control {
    Lane(String),
    StoreDurable,
    Item(Item),
}

/// A control line, or None when the line starts a SQL statement.
pub(super) fn control_line(line: &str, n: u32) -> Result<Option<Control>, HandlerError> {
    let words: Vec<String> = line.split_whitespace().map(str::to_ascii_uppercase).collect();
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    debug_assert!(!w.is_empty(), "the caller skips blank lines");
    if let Some(label) = line.strip_suffix(':') {
        if let Some(why) = limits::label_refusal(label) {
            return err(n, why);
        }
        return Ok(Some(Control::Item(Item::Label(label.to_string()))));
    }
    if !CONTROL_WORDS.contains(&w[0]) {
        return Ok(None);
    }
    let item = |i: Instr| Ok(Some(Control::Item(Item::Instr(i))));
    let reply = |word: Option<&&str>| match word.copied() {
        Some("201") => Some(Reply::Created),
        Some("409") => Some(Reply::Conflict),
        Some("500") => Some(Reply::ServerError),
        Some("STORED") => Some(Reply::ReplayStored),
        Some(_) | None => None,
    };
    match w.as_slice() {
        ["CHARGE"] => item(Instr::Charge),
        ["RESPOND", ..] if w.len() == 2 => match reply(w.get(1)) {
            Some(reply) => item(Instr::Respond { reply }),
            None => err(n, format!("RESPOND {}: answer 201, 409, 500 or STORED", w[1])),
        },
        ["SEND", "201" | "STORED"] => item(Instr::SendResponse { reply: reply(w.get(1)).unwrap_or(Reply::Created) }),
        ["SEND", ..] => err(n, "SEND answers 201 or STORED over the network as a step of its own"),
        ["RETRY", k] => match k.parse::<u8>() {
            Ok(a) if (2..=RETRY_ATTEMPTS_MAX).contains(&a) => item(Instr::Retry { attempts_max: a }),
            Ok(_) | Err(_) => err(n, format!("RETRY {k}: give the most attempts, 2 to {RETRY_ATTEMPTS_MAX}")),
        },
        ["MAP", "GET"] => item(Instr::MapGet),
        ["MAP", "PUT"] => item(Instr::MapPut),
        ["CRASH"] => item(Instr::Crash),
        ["AWAIT", t] => match t.strip_prefix('T').and_then(|d| d.parse::<u8>().ok()) {
            Some(k) if (1..=ACTORS_MAX as u8).contains(&k) => item(Instr::AwaitUnanswered { actor: k - 1 }),
            Some(_) | None => err(n, format!("AWAIT {t}: name a lane, T1 to T{ACTORS_MAX}")),
        },
        ["LANE", ..] if w.len() >= 2 => {
            let name = line[4..].trim();
            if let Some(why) = limits::lane_name_refusal(name) {
                return err(n, why);
            }
            Ok(Some(Control::Lane(name.to_string())))
        }
        ["STORE", "DURABLE"] => Ok(Some(Control::StoreDurable)),
        ["IF", rest @ ..] => if_line(line, rest, n),
        ["GOTO", ..] => err(n, "a GOTO needs a condition (IF … GOTO label); the next line runs otherwise"),
        ["ELSE", ..] => err(n, "there is no ELSE: the line after IF … GOTO is the else branch"),
        _ => err(n, format!("{}: not a control line; see the list above the editor", w.join(" "))),
    }
}

/// An `IF <condition> GOTO <label>` line; `rest` is its upper-cased words after IF.
fn if_line(line: &str, rest: &[&str], n: u32) -> Result<Option<Control>, HandlerError> {
    let Some(goto) = rest.iter().position(|x| *x == "GOTO") else {
        return err(n, "IF needs GOTO label: IF NO ROW GOTO label");
    };
    if goto + 2 != rest.len() {
        return err(n, "IF … GOTO takes one label after GOTO");
    }
    let label = line.split_whitespace().last().unwrap_or("").to_string();
    let cond = match &rest[..goto] {
        ["NO", "ROW"] => Cond::NoRow,
        ["ROW"] => Cond::Row,
        ["ERROR"] => Cond::Failed,
        ["ERROR", code] => match SqlState::from_code(code) {
            Some(state) => Cond::ErrorCode(state),
            None => {
                return err(
                    n,
                    format!(
                        "IF ERROR {code}: the model raises {}",
                        SqlState::ALL.map(SqlState::code).join(", ")
                    ),
                )
            }
        },
        ["STATUS", "STARTED"] => Cond::StatusStarted,
        ["MAP", "HIT"] => Cond::MapHit,
        ["NOT", "LOCKED"] => Cond::NotLocked,
        ["INSERTED"] => Cond::Inserted,
        ["COUNT", k] => match k.parse::<u8>() {
            Ok(n) => Cond::Count { n },
            Err(_) => return err(n, format!("IF COUNT {k}: give the row count, a whole number (IF COUNT 0 GOTO label)")),
        },
        other => {
            return err(
                n,
                format!(
                    "IF {}: test NO ROW, ROW, COUNT n, INSERTED, ERROR, ERROR <SQLSTATE>, STATUS STARTED, NOT LOCKED or MAP HIT",
                    other.join(" ")
                ),
            )
        }
    };
    Ok(Some(Control::Item(Item::Branch(cond, label))))
}
