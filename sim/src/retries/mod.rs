//! The Retries lab's engines: the study's optimistic-concurrency workload
//! (`occ`) and a steady fleet against a server with finite capacity (`fleet`).

pub mod fleet;
pub mod normal;
pub mod occ;
pub mod queue;
