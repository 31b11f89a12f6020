//! A compact event queue for the fleet engine, with the same semantics as
//! `sched::Scheduler`: events pop in (time, insertion sequence) order, so
//! ties break the same way on every run; scheduling into the past is an
//! error; the run has an event budget and a queue bound.
//!
//! Why not the `Scheduler` itself: it keeps payloads in a `HashMap` keyed by
//! sequence number, so every event pays a hash insert and a hash remove, and
//! its heap entries are twice as wide. Here time and sequence number share
//! one `u64` key (32 bits each: runs are at most an hour of microseconds,
//! and the event budget is far below 2^32), the small `Copy` event rides
//! beside it, and events past the run's horizon are never stored, since they
//! could never pop. A minute of a thousand clients then fits in the few
//! milliseconds a slider drag allows.

use crate::error::SimError;
use crate::sched::RunLimits;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

struct Entry<E> {
    /// `time_us << 32 | sequence`.
    key: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Sequence numbers are unique, so keys are too and the order is total.
        self.key.cmp(&other.key)
    }
}

/// The latest horizon a queue accepts: 2^32 microseconds, about 71 minutes.
pub const HORIZON_US_MAX: u64 = (1 << 32) - 1;

/// A min-queue of `Copy` events by (time, insertion order), up to a horizon.
pub struct FastQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    /// One event kept beside the heap (see [`FastQueue::schedule_side_at`]).
    side: Option<Entry<E>>,
    horizon_us: u64,
    now_us: u64,
    next_seq: u64,
    popped: u64,
    limits: RunLimits,
}

impl<E: Copy> FastQueue<E> {
    /// An empty queue at time zero that keeps events due up to `horizon_us`
    /// (at most [`HORIZON_US_MAX`]), with room for `capacity` events.
    pub fn new(limits: RunLimits, horizon_us: u64, capacity: usize) -> Self {
        FastQueue {
            heap: BinaryHeap::with_capacity(capacity),
            side: None,
            horizon_us: horizon_us.min(HORIZON_US_MAX),
            now_us: 0,
            next_seq: 0,
            popped: 0,
            limits,
        }
    }

    /// The time of the last popped event, in microseconds.
    pub fn now_us(&self) -> u64 {
        self.now_us
    }

    /// How many events have been popped.
    pub fn popped(&self) -> u64 {
        self.popped
    }

    /// Schedules `event` at `at_us`; an event past the horizon is dropped,
    /// since the run ends before it.
    pub fn schedule_at(&mut self, at_us: u64, event: E) -> Result<(), SimError> {
        if let Some(key) = self.key_at(at_us)? {
            self.heap.push(Reverse(Entry { key, event }));
        }
        Ok(())
    }

    /// Schedules `event` like [`FastQueue::schedule_at`], in the same order
    /// with every other event, but keeps it beside the heap: for a stream
    /// that always has exactly one event pending (the fleet's next arrival),
    /// which then costs one comparison per pop instead of a heap's push and
    /// pop. A side event still pending goes into the heap.
    pub fn schedule_side_at(&mut self, at_us: u64, event: E) -> Result<(), SimError> {
        if let Some(key) = self.key_at(at_us)? {
            if let Some(old) = self.side.replace(Entry { key, event }) {
                self.heap.push(Reverse(old));
            }
        }
        Ok(())
    }

    /// Events waiting, in the heap and beside it.
    fn len(&self) -> usize {
        self.heap.len() + usize::from(self.side.is_some())
    }

    /// The key of an event at `at_us`, taking the next sequence number, or
    /// `None` past the horizon.
    fn key_at(&mut self, at_us: u64) -> Result<Option<u64>, SimError> {
        if at_us < self.now_us {
            return Err(SimError::ScheduledInPast { now_us: self.now_us, at_us });
        }
        if at_us > self.horizon_us {
            return Ok(None);
        }
        if self.len() >= self.limits.queue_len_max {
            return Err(SimError::QueueFull { len_max: self.limits.queue_len_max });
        }
        if self.next_seq > u64::from(u32::MAX) {
            return Err(SimError::EventBudgetExceeded { events_max: u64::from(u32::MAX) });
        }
        let key = (at_us << 32) | self.next_seq;
        self.next_seq += 1;
        Ok(Some(key))
    }

    /// Pops the next event.
    pub fn pop(&mut self) -> Result<Option<(u64, E)>, SimError> {
        // The side event goes first when its key is the smaller (keys are unique).
        let side_first = match (&self.side, self.heap.peek()) {
            (Some(side), Some(Reverse(top))) => side.key < top.key,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let next = if side_first { self.side.take() } else { self.heap.pop().map(|Reverse(e)| e) };
        let Some(e) = next else { return Ok(None) };
        if self.popped >= self.limits.events_max {
            return Err(SimError::EventBudgetExceeded { events_max: self.limits.events_max });
        }
        self.popped += 1;
        self.now_us = e.key >> 32;
        Ok(Some((self.now_us, e.event)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pop_by_time_then_insertion_order_up_to_the_horizon() {
        let mut q = FastQueue::new(RunLimits::default(), 50, 8);
        q.schedule_at(30, 'c').unwrap();
        q.schedule_at(10, 'a').unwrap();
        q.schedule_at(10, 'b').unwrap();
        q.schedule_at(99, 'z').unwrap();
        let mut got = Vec::new();
        while let Some((_, e)) = q.pop().unwrap() {
            got.push(e);
        }
        assert_eq!(got, vec!['a', 'b', 'c']);
        assert_eq!(q.schedule_at(29, 'x'), Err(SimError::ScheduledInPast { now_us: 30, at_us: 29 }));
    }

    #[test]
    fn a_side_event_pops_in_the_same_order_as_in_the_heap() {
        // The same schedule twice, once with every third event beside the
        // heap: the pops are the same, ties included.
        let run = |side: bool| {
            let mut rng = crate::rng::SimRng::stream(7, 1);
            let mut q = FastQueue::new(RunLimits::default(), 60_000_000, 16);
            let mut id = 0u32;
            let mut got = Vec::new();
            q.schedule_at(0, id).unwrap();
            while let Some((now, e)) = q.pop().unwrap() {
                got.push((now, e));
                // A growing queue up to 5,000 pops, then it drains.
                let children = if got.len() < 5_000 { rng.between_u64(1, 2) } else { 0 };
                for _ in 0..children {
                    let ahead = [0, 1, rng.between_u64(0, 50_000), rng.between_u64(0, 5_000_000)];
                    let at = now + ahead[rng.between_u64(0, 3) as usize];
                    id += 1;
                    if side && id % 3 == 0 {
                        q.schedule_side_at(at, id).unwrap();
                    } else {
                        q.schedule_at(at, id).unwrap();
                    }
                }
            }
            got
        };
        let (plain, with_side) = (run(false), run(true));
        assert!(plain.len() > 5_000, "{}", plain.len());
        assert!(plain.windows(2).any(|w| w[0].0 == w[1].0), "no ties were tested");
        assert_eq!(plain, with_side);
    }

    #[test]
    fn the_event_budget_and_queue_bound_are_errors() {
        let mut q = FastQueue::new(RunLimits { events_max: 2, queue_len_max: 3 }, 100, 3);
        for t in 0..3 {
            q.schedule_at(t, ()).unwrap();
        }
        assert_eq!(q.schedule_at(5, ()), Err(SimError::QueueFull { len_max: 3 }));
        q.pop().unwrap();
        q.pop().unwrap();
        assert_eq!(q.pop(), Err(SimError::EventBudgetExceeded { events_max: 2 }));
    }
}
