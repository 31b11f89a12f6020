//! `shipped.rs` is the parser's output for the eight scenario texts, kept as
//! Rust data so the page's wasm runs them without `sqlparser`. These tests
//! prove the data is exactly what the texts compile to; with IDEMLAB_BLESS=1
//! they write the file again from the texts.

use super::compiled::Shipped;
use super::scenarios::words;
use super::*;

const SHIPPED_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/races/shipped.rs");

/// The file `shipped.rs` should hold: every scenario's text, parsed.
fn generated() -> String {
    let mut out = String::from(
        "//! GENERATED from the scenario texts in `scenarios.rs` by the handler parser:
//! do not edit. Regenerate with `IDEMLAB_BLESS=1 cargo test -p idemlab-sim --lib shipped`;
//! `shipped_tests.rs` fails when a text and this data differ.

#![allow(unused_imports, reason = \"generated: the import list covers every kind of step, used or not\")]

use super::compiled::Shipped;
use super::Cond::*;
use super::Instr::*;
use super::Isolation::*;
use super::KeyStatus::*;
use super::Reply::*;
use super::SqlState::*;
use super::Stmt::*;
use super::{Instr, SCENARIO_IDS};

/// Every shipped scenario's compiled handler, in [`SCENARIO_IDS`] order.
#[rustfmt::skip]
pub(super) static SHIPPED: [Shipped; SCENARIO_IDS.len()] = [
",
    );
    for id in SCENARIO_IDS {
        let (_, _, _, text, _) = words(id).expect("every id has words");
        let h = parse_handler(text, 2).unwrap_or_else(|e| panic!("{id}: {e}"));
        out.push_str(&format!(
            "    Shipped {{\n        id: {id:?},\n        unique_index: {},\n        is_sql: {},\n        durable_store: {},\n        lanes: &[\n",
            h.unique_index, h.is_sql, h.durable_store
        ));
        for (p, _) in &h.lanes {
            out.push_str(&format!("            ({:?}, &[\n", p.name));
            for i in &p.instrs {
                out.push_str(&format!("                {i:?},\n"));
            }
            out.push_str("            ]),\n");
        }
        out.push_str("        ],\n    },\n");
    }
    out.push_str("];\n");
    out
}

fn same(s: &Shipped, h: &Handler) -> bool {
    s.unique_index == h.unique_index
        && s.is_sql == h.is_sql
        && s.durable_store == h.durable_store
        && s.lanes.len() == h.lanes.len()
        && s.lanes
            .iter()
            .zip(&h.lanes)
            .all(|((name, instrs), (p, _))| *name == p.name && *instrs == p.instrs.as_slice())
}

#[test]
fn shipped_data_is_exactly_what_the_parser_makes_of_each_scenario_text() {
    if std::env::var_os("IDEMLAB_BLESS").is_some() {
        std::fs::write(SHIPPED_FILE, generated()).expect("write shipped.rs");
        return;
    }
    assert_eq!(super::shipped::SHIPPED.len(), SCENARIO_IDS.len());
    for (id, s) in SCENARIO_IDS.iter().zip(&super::shipped::SHIPPED) {
        assert_eq!(s.id, *id, "shipped.rs is out of order: rerun with IDEMLAB_BLESS=1");
        let (_, _, _, text, _) = words(id).expect("every id has words");
        let h = parse_handler(text, 2).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(
            same(s, &h),
            "{id}: its text no longer compiles to shipped.rs: rerun with IDEMLAB_BLESS=1 after review"
        );
        let sc = scenario(id).expect("the scenario");
        assert_eq!(sc.sql, text, "{id}: the text shown is the text compiled");
        sc.validate().unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}

#[test]
fn shipped_rs_is_the_generators_output_byte_for_byte() {
    // So a hand edit, or a generator change without a bless, shows.
    let kept = std::fs::read_to_string(SHIPPED_FILE).expect("read shipped.rs");
    assert!(kept == generated(), "shipped.rs differs from what the generator writes: rerun with IDEMLAB_BLESS=1");
}

#[test]
fn a_compiled_handler_sent_as_json_runs_as_the_parsed_one_does() {
    // The page's worker sends `Compiled` as JSON; the page runs what arrives.
    let (_, _, _, text, _) = words("select-then-insert").unwrap();
    let direct = handler_scenario(text, 3).unwrap();
    let json = serde_json::to_string(&compile(text, 3).unwrap()).unwrap();
    let back: Compiled = serde_json::from_str(&json).unwrap();
    let s = back.scenario().unwrap();
    assert_eq!(s.programs, direct.programs);
    assert_eq!(explore(&s, EXPLORE_STATES_MAX).unwrap(), explore(&direct, EXPLORE_STATES_MAX).unwrap());
}

#[test]
fn compiled_data_that_breaks_the_model_is_refused_not_run() {
    let mut c = compile("BEGIN;\nCOMMIT;\nRESPOND 201", 2).unwrap();
    c.lanes[0].instrs[0] = Instr::JumpIf { cond: Cond::Row, to: 60 };
    assert!(c.scenario().is_err());
    c.lanes.clear();
    assert!(c.scenario().is_err());
}
