//! A handler as data: what the parser makes of a text, in a form that can be
//! stored (the shipped scenarios, `shipped.rs`) or sent (the page's Web
//! Worker compiles a learner's text and posts this back). Turning it into a
//! [`Scenario`] needs no parser, so the page's wasm runs handlers without
//! carrying `sqlparser` (issue 13).

use super::handler::lane_name;
use super::*;
use crate::error::SimError;

/// One lane of a compiled handler: its label and its instructions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompiledLane {
    /// Lane label, e.g. "T1 (request A)".
    pub name: String,
    /// The instructions, as [`Program::instrs`].
    pub instrs: Vec<Instr>,
}

/// A handler text after parsing: the setup lines and one program per lane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Compiled {
    /// Whether a `CREATE UNIQUE INDEX` on key came first.
    pub unique_index: bool,
    /// Whether `STORE DURABLE` was given.
    pub durable_store: bool,
    /// Whether any SQL statement runs.
    pub is_sql: bool,
    /// One program per lane.
    pub lanes: Vec<CompiledLane>,
}

impl Compiled {
    /// The compiled form of a parsed handler.
    pub fn of(h: &Handler) -> Compiled {
        Compiled {
            unique_index: h.unique_index,
            durable_store: h.durable_store,
            is_sql: h.is_sql,
            lanes: h
                .lanes
                .iter()
                .map(|(p, _)| CompiledLane { name: p.name.to_string(), instrs: p.instrs.clone() })
                .collect(),
        }
    }

    /// The learner's handler as a scenario ready for [`run`] and [`explore`],
    /// checked as a composed scenario is, so data that did not come from the
    /// parser still cannot drive the engine off its model.
    pub fn scenario(&self) -> Result<Scenario, SimError> {
        let s = Scenario {
            id: "handler",
            number: 0,
            title: "Your handler",
            explanation: "",
            sql: "",
            unique_index: self.unique_index,
            is_sql: self.is_sql,
            durable_store: self.durable_store,
            twin: SCENARIO_IDS[0],
            programs: self
                .lanes
                .iter()
                .enumerate()
                .map(|(i, l)| Program { name: lane_name(&l.name, i), instrs: l.instrs.clone() })
                .collect(),
        };
        s.validate()?;
        Ok(s)
    }
}

/// Compiles a handler text for `lanes` requests (see [`Handler`]); a refusal
/// names the line and the construct.
#[cfg(feature = "parser")]
pub fn compile(text: &str, lanes: u8) -> Result<Compiled, HandlerError> {
    super::parse_handler(text, lanes).map(|h| Compiled::of(&h))
}

/// Without the `parser` feature (the page's wasm) no text is read here: the
/// page has its Web Worker compile it and runs [`Compiled`] data.
#[cfg(not(feature = "parser"))]
pub fn compile(_text: &str, _lanes: u8) -> Result<Compiled, HandlerError> {
    Err(HandlerError {
        line: 0,
        message: "this build has no handler parser: the page compiles handler texts in its Web Worker".into(),
    })
}

/// A shipped scenario's compiled handler, kept as Rust data in `shipped.rs`
/// (generated from the scenario's text by the parser).
pub(super) struct Shipped {
    /// The scenario's id.
    pub id: &'static str,
    /// Whether a `CREATE UNIQUE INDEX` on key came first.
    pub unique_index: bool,
    /// Whether any SQL statement runs.
    pub is_sql: bool,
    /// Whether `STORE DURABLE` was given.
    pub durable_store: bool,
    /// Each lane's label and instructions.
    pub lanes: &'static [(&'static str, &'static [Instr])],
}
