//! Which events a stage sees, said by their type.
//!
//! The analysis runs a partition of users at a time (a run held in memory
//! is one partition of every user), and scoring and the outputs run on the
//! evidence kept from the partitions. [`Partition`] and [`Evidence`] wrap
//! [`Events`] so that a function's signature says which of the two it
//! reads; both dereference to the columns.
//!
//! Invariants: a partition holds every event of the users in its range and
//! no other; evidence is in run order (the order of a run over all events
//! at once), and `index` maps each kept event to its index in that run.

use std::ops::{Deref, Range};
use std::sync::Arc;

use super::dictionary::Code;
use super::events::Events;

/// The events of one partition of the run's users: every event of the
/// users whose codes are in `users`, sorted by (user, time, input order).
/// Cloning shares the events (a run in memory hands its one partition to
/// every pass).
#[derive(Debug, Clone, Default)]
pub struct Partition {
    /// The user codes of the partition, a contiguous range.
    pub users: Range<Code>,
    events: Arc<Events>,
}

impl Partition {
    /// The events of the users in `users` (the caller guarantees they hold
    /// every event of those users and no other).
    pub fn new(users: Range<Code>, events: Events) -> Partition {
        Partition { users, events: Arc::new(events) }
    }

    /// The one partition of a run held in memory: every event, of the
    /// `n_users` users the dictionary knows.
    pub fn whole(events: Events, n_users: usize) -> Partition {
        Partition::new(0..Code::try_from(n_users).unwrap_or(Code::MAX), events)
    }

    /// The events themselves (copied only if another holder shares them).
    pub fn into_events(self) -> Events {
        Arc::try_unwrap(self.events).unwrap_or_else(|shared| (*shared).clone())
    }

    /// The events themselves when no other holder shares them (their
    /// columns to be reused), else `None` (and this holder's share dropped).
    pub fn into_unshared(self) -> Option<Events> {
        Arc::try_unwrap(self.events).ok()
    }
}

impl Deref for Partition {
    type Target = Events;

    fn deref(&self) -> &Events {
        &self.events
    }
}

/// The events a run keeps for scoring and the outputs once the rules
/// have run: every finding's evidence and, for the report's timelines,
/// each flagged user's other accesses to the same patients. In run order;
/// findings index into it.
#[derive(Debug, Default)]
pub struct Evidence {
    events: Events,
    index: Vec<usize>,
}

impl Evidence {
    /// Kept events and each one's index in the whole run (ascending, one per
    /// event).
    pub fn new(events: Events, index: Vec<usize>) -> Evidence {
        debug_assert_eq!(events.len(), index.len());
        Evidence { events, index }
    }

    /// Every event kept: the evidence of a run held in memory that keeps
    /// them all (benchmarks and tests that score without a selection).
    pub fn every(events: Events) -> Evidence {
        let index = (0..events.len()).collect();
        Evidence { events, index }
    }

    /// Each kept event's index in the whole run, ascending.
    pub fn run_index(&self) -> &[usize] {
        &self.index
    }

    /// The position among the kept events of the run's `i`-th event, if
    /// it was kept.
    pub fn position(&self, i: usize) -> Option<usize> {
        self.index.binary_search(&i).ok()
    }
}

impl Deref for Evidence {
    type Target = Events;

    fn deref(&self) -> &Events {
        &self.events
    }
}
