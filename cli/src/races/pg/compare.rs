//! What each side saw at one step, in one form, and whether they agree.

use idemlab_sim::races::{RaceRecord, StmtResult};

/// One thing seen at a step, in a form both sides can state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Seen {
    Ran { lane: u8, result: String },
    Waits { lane: u8, on: Vec<u8> },
    Resumed { lane: u8, result: String },
    Answered { lane: u8, response: String },
}

pub(super) fn res(r: &StmtResult) -> String {
    match r {
        StmtResult::Ok => "ok".into(),
        StmtResult::Count { n } => format!("{n} written"),
        StmtResult::Bool { value } => value.to_string(),
        StmtResult::Rows { rows } => {
            let v: Vec<String> = rows.iter().map(|r| format!("{}/{:?}", r.status.sql(), r.response)).collect();
            format!("rows [{}]", v.join(", "))
        }
        StmtResult::Error { state } => format!("ERROR {}", state.code()),
        StmtResult::Returned { rows } => {
            let v: Vec<String> =
                rows.iter().map(|r| format!("{:?}/{:?}/{:?}", r.status, r.response, r.inserted)).collect();
            format!("returned [{}]", v.join(", "))
        }
    }
}

/// A result and the command tag that came with it: "1 written [INSERT 0 1]".
pub(super) fn said(r: &StmtResult, tag: Option<&str>) -> String {
    match tag {
        Some(t) => format!("{} [{t}]", res(r)),
        None => res(r),
    }
}

/// What the engine saw at one step, in the same form; `tags`: the command
/// tags of the step's statements that answered, in order (`races::frame_tags`).
pub(super) fn engine_seen(records: &[RaceRecord], tags: &[(u8, String)]) -> Vec<Seen> {
    let mut v = Vec::new();
    let mut tags = tags.iter();
    let mut tag_of = |a: u8, r: &StmtResult| match r {
        StmtResult::Error { .. } => None,
        StmtResult::Ok
        | StmtResult::Count { .. }
        | StmtResult::Rows { .. }
        | StmtResult::Bool { .. }
        | StmtResult::Returned { .. } => tags.next().filter(|(x, _)| *x == a).map(|(_, t)| t.clone()),
    };
    for r in records {
        match r {
            RaceRecord::Ran { actor, result, .. } => {
                let t = tag_of(*actor, result);
                v.push(Seen::Ran { lane: *actor, result: said(result, t.as_deref()) })
            }
            RaceRecord::WaitBegan { .. } => {}
            RaceRecord::Resumed { actor, result, .. } => {
                let t = tag_of(*actor, result);
                v.push(Seen::Resumed { lane: *actor, result: said(result, t.as_deref()) })
            }
            RaceRecord::Responded { actor, response } => {
                v.push(Seen::Answered { lane: *actor, response: response.label() })
            }
            RaceRecord::Began { .. }
            | RaceRecord::Charged { .. }
            | RaceRecord::MapLookedUp { .. }
            | RaceRecord::MapStored { .. }
            | RaceRecord::Crashed { .. }
            | RaceRecord::Killed { .. }
            | RaceRecord::Retrying { .. }
            | RaceRecord::SerializationFailure { .. } => {}
        }
    }
    v
}

/// Whether the server's and the engine's records of one step agree: the same
/// results, and each engine wait names a lane the server says blocks it.
pub(super) fn same(pg: &[Seen], engine: &[Seen]) -> bool {
    let key = |s: &Seen| match s {
        Seen::Waits { lane, .. } => Seen::Waits { lane: *lane, on: Vec::new() },
        other => other.clone(),
    };
    let mut a: Vec<Seen> = pg.iter().map(key).collect();
    let mut b: Vec<Seen> = engine.iter().map(key).collect();
    a.sort();
    b.sort();
    if a != b {
        return false;
    }
    engine.iter().all(|e| match e {
        Seen::Waits { lane, on } => pg
            .iter()
            .any(|p| matches!(p, Seen::Waits { lane: l, on: o } if l == lane && on.iter().all(|x| o.contains(x)))),
        Seen::Ran { .. } | Seen::Resumed { .. } | Seen::Answered { .. } => true,
    })
}

pub(super) fn words(v: &[Seen]) -> Vec<String> {
    v.iter()
        .map(|s| match s {
            Seen::Ran { lane, result } => format!("T{} → {result}", lane + 1),
            Seen::Waits { lane, on } => {
                format!(
                    "T{} waits on {}",
                    lane + 1,
                    on.iter().map(|o| format!("T{}", o + 1)).collect::<Vec<_>>().join("+")
                )
            }
            Seen::Resumed { lane, result } => format!("T{} resumes → {result}", lane + 1),
            Seen::Answered { lane, response } => format!("T{} answers {response}", lane + 1),
        })
        .collect()
}
