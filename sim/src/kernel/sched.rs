//! The event queue that advances simulated time.
//!
//! Events are ordered by (time, insertion sequence): two events due at the
//! same instant pop in the order they were scheduled, so ties break the same
//! way on every run and every platform.

use crate::error::SimError;
use crate::time::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Limits every run carries, so that no setting can make a run hang.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLimits {
    /// How many events the run may pop before it stops with an error.
    pub events_max: u64,
    /// How many events may wait in the queue at once.
    pub queue_len_max: usize,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits { events_max: 5_000_000, queue_len_max: 1_000_000 }
    }
}

/// A discrete-event scheduler over events of type `E`.
#[derive(Debug)]
pub struct Scheduler<E> {
    now: SimTime,
    next_seq: u64,
    popped: u64,
    limits: RunLimits,
    heap: BinaryHeap<Reverse<(SimTime, u64, u32)>>,
    // Payloads live beside the heap in reusable slots (the heap's third
    // field names the slot), so that `E` needs no ordering of its own and the
    // heap moves small entries.
    slots: Vec<Option<E>>,
    free: Vec<u32>,
}

impl<E> Scheduler<E> {
    /// An empty queue at time zero.
    pub fn new(limits: RunLimits) -> Self {
        Scheduler {
            now: SimTime::ZERO,
            next_seq: 0,
            popped: 0,
            limits,
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// The current simulated time: the time of the last popped event.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// How many events have been popped so far.
    pub fn events_popped(&self) -> u64 {
        self.popped
    }

    /// The time of the next event, without popping it; `None` when the queue is empty.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// How many events wait in the queue.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `event` at the absolute time `at`.
    ///
    /// Scheduling into the past is a bug in the caller, so it is an error.
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<(), SimError> {
        if at < self.now {
            return Err(SimError::ScheduledInPast { now_us: self.now.0, at_us: at.0 });
        }
        if self.heap.len() >= self.limits.queue_len_max {
            return Err(SimError::QueueFull { len_max: self.limits.queue_len_max });
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Reverse((at, seq, slot)));
        // Every queued event has a payload, and no slot is both free and full.
        debug_assert!(self.heap.len() + self.free.len() == self.slots.len(), "each slot is queued or free");
        Ok(())
    }

    /// Schedules `event` after `delay` from now.
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> Result<(), SimError> {
        let at = self.now + delay;
        self.schedule_at(at, event)
    }

    /// Pops the next event and advances time to it; `Ok(None)` when the queue
    /// is empty, and an error once the run's event budget is spent.
    pub fn pop(&mut self) -> Result<Option<(SimTime, E)>, SimError> {
        let Some(Reverse((at, _, slot))) = self.heap.pop() else {
            return Ok(None);
        };
        if self.popped >= self.limits.events_max {
            return Err(SimError::EventBudgetExceeded { events_max: self.limits.events_max });
        }
        self.popped += 1;
        // schedule_at refuses the past, so the queue's head is never before now.
        debug_assert!(at >= self.now, "simulated time went back from {:?} to {at:?}", self.now);
        self.now = at;
        let event = self.slots[slot as usize].take().ok_or(SimError::Internal("event payload missing"))?;
        self.free.push(slot);
        Ok(Some((at, event)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn events_pop_in_time_order() {
        let mut s = Scheduler::new(RunLimits::default());
        s.schedule_at(SimTime(30), "c").unwrap();
        s.schedule_at(SimTime(10), "a").unwrap();
        s.schedule_at(SimTime(20), "b").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| s.pop().unwrap()).map(|(_, e)| e).collect();
        assert_eq!(order, vec!["a", "b", "c"]);
        assert_eq!(s.now(), SimTime(30));
    }

    #[test]
    fn ties_break_by_insertion_order() {
        let mut s = Scheduler::new(RunLimits::default());
        for i in 0..50 {
            s.schedule_at(SimTime(5), i).unwrap();
        }
        let order: Vec<_> = std::iter::from_fn(|| s.pop().unwrap()).map(|(_, e)| e).collect();
        assert_eq!(order, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn peek_names_the_next_time_and_len_counts_the_waiting_events() {
        let mut s = Scheduler::new(RunLimits::default());
        assert_eq!((s.peek_time(), s.len(), s.is_empty()), (None, 0, true));
        s.schedule_at(SimTime(30), "c").unwrap();
        s.schedule_at(SimTime(10), "a").unwrap();
        assert_eq!((s.peek_time(), s.len(), s.is_empty()), (Some(SimTime(10)), 2, false));
        assert_eq!(s.pop().unwrap(), Some((SimTime(10), "a")));
        assert_eq!((s.peek_time(), s.len()), (Some(SimTime(30)), 1));
    }

    #[test]
    fn scheduling_into_the_past_is_an_error() {
        let mut s = Scheduler::new(RunLimits::default());
        s.schedule_at(SimTime(100), ()).unwrap();
        s.pop().unwrap();
        let err = s.schedule_at(SimTime(99), ()).unwrap_err();
        assert_eq!(err, SimError::ScheduledInPast { now_us: 100, at_us: 99 });
        // The present itself is allowed.
        s.schedule_at(SimTime(100), ()).unwrap();
    }

    #[test]
    fn a_self_rescheduling_loop_stops_at_the_event_budget() {
        let mut s = Scheduler::new(RunLimits { events_max: 1_000, queue_len_max: 10 });
        s.schedule_at(SimTime(0), ()).unwrap();
        let err = loop {
            match s.pop() {
                Ok(Some(_)) => s.schedule_in(SimDuration(1), ()).unwrap(),
                Ok(None) => panic!("queue drained although every event reschedules"),
                Err(e) => break e,
            }
        };
        assert_eq!(err, SimError::EventBudgetExceeded { events_max: 1_000 });
        assert_eq!(s.events_popped(), 1_000);
    }

    #[test]
    fn the_queue_length_is_bounded() {
        let mut s = Scheduler::new(RunLimits { events_max: 100, queue_len_max: 3 });
        for i in 0..3 {
            s.schedule_at(SimTime(i), ()).unwrap();
        }
        assert_eq!(s.schedule_at(SimTime(9), ()), Err(SimError::QueueFull { len_max: 3 }));
    }

    proptest! {
        #[test]
        fn popped_times_never_decrease_and_equal_times_keep_insertion_order(
            times in proptest::collection::vec(0u64..50, 0..200)
        ) {
            let mut s = Scheduler::new(RunLimits::default());
            for (i, t) in times.iter().enumerate() {
                s.schedule_at(SimTime(*t), i).unwrap();
            }
            let mut last: Option<(SimTime, usize)> = None;
            let mut count = 0;
            while let Some((t, i)) = s.pop().unwrap() {
                prop_assert_eq!(t, SimTime(times[i]));
                if let Some((lt, li)) = last {
                    prop_assert!(lt < t || (lt == t && li < i));
                }
                last = Some((t, i));
                count += 1;
            }
            prop_assert_eq!(count, times.len());
        }
    }
}
