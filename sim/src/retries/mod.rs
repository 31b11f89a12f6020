//! The Retries lab: the study's optimistic-concurrency workload (`occ`), a
//! steady fleet against a server with finite capacity (`fleet`), the lab's
//! knob schema (`params`), presets, the compare view's figures per strategy
//! (`compare`), the engine contract (`lab`) and what the
//! fleet looks like after its outage (`recovery`).

#[cfg(test)]
mod claims;
pub mod compare;
pub mod fleet;
pub mod lab;
pub mod normal;
pub mod occ;
pub mod params;
pub mod presets;
pub mod queue;
pub mod recovery;
pub mod sources;
#[cfg(test)]
mod tests;

pub use lab::{RetriesLab, RetriesRun, StudyRun};
pub use params::{RetriesParams, StudyParams, View, COMPARE};
