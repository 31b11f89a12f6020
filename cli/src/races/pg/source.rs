//! The learner's statement texts, as written: what `--pg` sends the server.
//!
//! The handler parser records the line each instruction starts on; a SQL
//! statement runs from that line to the first line that ends with `;`
//! (comments aside), the same rule the parser reads it by. Setup lines
//! (`CREATE …`, `ALTER TABLE …`) are sent as written too, before the first replay.

use idemlab_sim::races::{Handler, Instr};

/// Every statement text of a handler, by lane and instruction, and its setup.
pub struct Source {
    /// `(line, text)` of each lane's SQL instructions; None for the other lines.
    pub lanes: Vec<Vec<Option<(u32, String)>>>,
    /// `(line, text)` of each setup statement.
    pub setup: Vec<(u32, String)>,
}

/// A line without its `--` comment (string literals kept), trimmed.
fn code_of(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '-' if !quoted && line[i + 1..].starts_with('-') => return line[..i].trim(),
            _ => {}
        }
    }
    line.trim()
}

/// The statement that starts on `line` (from 1), as written, up to its `;`.
fn statement_at(lines: &[&str], line: u32) -> Option<String> {
    let start = (line as usize).checked_sub(1)?;
    let end = (start..lines.len()).find(|&i| code_of(lines[i]).ends_with(';'))?;
    Some(lines[start..=end].join("\n"))
}

impl Source {
    pub fn of(text: &str, h: &Handler) -> Source {
        let lines: Vec<&str> = text.lines().collect();
        let lanes = h
            .lanes
            .iter()
            .map(|(p, at)| {
                p.instrs
                    .iter()
                    .zip(at)
                    .map(|(i, &n)| {
                        matches!(i, Instr::Sql { .. }).then(|| statement_at(&lines, n).map(|t| (n, t))).flatten()
                    })
                    .collect()
            })
            .collect();
        let setup = (0..lines.len())
            .filter(|&i| {
                let code = code_of(lines[i]).to_ascii_uppercase();
                code.starts_with("CREATE") || code.starts_with("ALTER")
            })
            .filter_map(|i| statement_at(&lines, i as u32 + 1).map(|t| (i as u32 + 1, t)))
            .collect();
        Source { lanes, setup }
    }

    /// Whether a setup line creates the table itself (then the checker does not).
    pub fn creates_table(&self) -> bool {
        self.setup.iter().any(|(_, t)| {
            let words: Vec<String> = t.split_whitespace().take(2).map(str::to_ascii_uppercase).collect();
            words == ["CREATE", "TABLE"]
        })
    }

    /// The line, in the handler text, of character `position` (from 1) of the statement on `line`.
    pub fn line_of(&self, line: u32, text: &str, position: Option<u32>) -> u32 {
        let Some(p) = position else { return line };
        let before: String = text.chars().take(p.saturating_sub(1) as usize).collect();
        line + before.matches('\n').count() as u32
    }
}
