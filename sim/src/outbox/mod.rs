//! The outbox lab: why a database write plus a broker publish (a "dual write")
//! loses or invents events, and how a transactional outbox, a relay and an
//! inbox make each effect happen once.
//!
//! The actors, each with its own random stream:
//! - a service that handles "place order" commands against its database
//!   (an `orders` table and, in the outbox modes, an `outbox` table with
//!   Debezium's outbox columns: id, aggregatetype, aggregateid, type, payload);
//! - a relay (outbox modes) that polls the outbox table, or tails the
//!   database log, publishes each row and then marks it sent;
//! - a broker with one partition per aggregate (the message key is the
//!   aggregate id), so order holds per aggregate and not globally;
//! - a consumer ("shipping") with its own database: an `effects` table and,
//!   in the idempotent modes, an `inbox` table keyed by (consumer, message id)
//!   written in the same transaction as the effect.
//!
//! Every loop in a run has a cap that is part of the parameters: the service
//! retries a publish at most `publish_attempts_max` times, the broker delivers
//! a message at most `deliveries_max` times before dead-lettering it, and
//! nothing happens after `horizon_ms`. So a run always ends.

mod engine;
mod lab;
mod model;
pub mod params;
pub mod presets;
mod view;

pub use engine::run;
pub use lab::OutboxLab;
pub use model::*;
pub use params::{Inbox, Mode, OutboxParams};
pub use view::*;

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
