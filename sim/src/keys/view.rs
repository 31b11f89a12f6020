//! The sequence diagram and the ledger as plain data: one step per trace
//! record, each with the items it adds, a sentence for the event log, and the
//! key's state badge. The web app only maps these onto its components.

use serde::Serialize;

pub use super::ledger::{decisive_step, ledger, LedgerLine, Tone};
pub use super::steps::steps;

/// The lanes of the sequence diagram, top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Lane {
    /// The client making charges.
    Client,
    /// The network between client and server (lost messages stop here).
    Network,
    /// The server.
    Server,
    /// The server's key store.
    Store,
    /// The payment provider.
    Provider,
}

impl Lane {
    /// Every lane in order.
    pub const ALL: [Lane; 5] = [Lane::Client, Lane::Network, Lane::Server, Lane::Store, Lane::Provider];

    /// The lane's row.
    pub fn index(self) -> usize {
        match self {
            Lane::Client => 0,
            Lane::Network => 1,
            Lane::Server => 2,
            Lane::Store => 3,
            Lane::Provider => 4,
        }
    }

    /// The lane's label.
    pub fn title(self) -> &'static str {
        match self {
            Lane::Client => "client",
            Lane::Network => "network",
            Lane::Server => "server",
            Lane::Store => "key store",
            Lane::Provider => "provider",
        }
    }
}

/// The shape of a diagram item (mapped onto the shared timeline's kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Shape {
    /// Ordinary work.
    Block,
    /// Waiting (timeout, backoff).
    Wait,
    /// Something that went right.
    Good,
    /// Something that went wrong.
    Bad,
    /// A message that arrived.
    Arrow,
    /// A message the network lost.
    LostArrow,
    /// A crash.
    Marker,
}

/// One item of the diagram.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeqItem {
    /// Where it starts (for arrows: the sender).
    pub lane: Lane,
    /// For arrows: the receiver.
    pub to: Option<Lane>,
    /// Start, in microseconds of simulated time.
    pub x0_us: u64,
    /// End, in microseconds.
    pub x1_us: u64,
    /// A short label.
    pub label: String,
    /// Its shape.
    pub shape: Shape,
}

/// The state badge of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Badge {
    /// No record.
    Absent,
    /// Claimed by a running request.
    InProgress,
    /// Claimed, and the charge is recorded (`charge_created`).
    ChargeRecorded,
    /// A response is stored and will be replayed.
    Completed(u16),
    /// Released: the next request resumes from the recovery point.
    Released,
    /// Pruned for age.
    Expired,
    /// Lost with a volatile store.
    Forgotten,
}

impl Badge {
    /// The badge text.
    pub fn text(self) -> String {
        match self {
            Badge::Absent => "absent".into(),
            Badge::InProgress => "in progress".into(),
            Badge::ChargeRecorded => "in progress · charge_created".into(),
            Badge::Completed(s) => format!("completed · {s} stored"),
            Badge::Released => "released".into(),
            Badge::Expired => "expired".into(),
            Badge::Forgotten => "forgotten (store wiped)".into(),
        }
    }

    /// A CSS-safe slug.
    pub fn slug(self) -> &'static str {
        match self {
            Badge::Absent => "absent",
            Badge::InProgress => "in-progress",
            Badge::ChargeRecorded => "charge-recorded",
            Badge::Completed(_) => "completed",
            Badge::Released => "released",
            Badge::Expired => "expired",
            Badge::Forgotten => "forgotten",
        }
    }
}

/// One step of the step-through: what the record adds to the picture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepView {
    /// When it happened, in microseconds.
    pub at_us: u64,
    /// The event log's sentence.
    pub line: String,
    /// The items it draws.
    pub items: Vec<SeqItem>,
    /// A key whose state changed, and the new state.
    pub badge: Option<(u32, Badge)>,
}

pub(super) fn money(cents: u32) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}
