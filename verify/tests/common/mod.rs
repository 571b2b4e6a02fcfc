//! Drop accounting shared by the conformance tests: every value created is
//! dropped exactly once, whether it was popped, handed back in an error,
//! evicted by `force_push`, or still queued when the queue is dropped.

#![allow(dead_code)] // each test file uses a subset

use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use xikernel::PushError;

/// How many times each value id has been dropped.
#[derive(Debug, Default)]
pub struct Ledger(Mutex<Vec<u32>>);

impl Ledger {
    pub fn new() -> Arc<Self> {
        Arc::new(Ledger::default())
    }

    /// A new tracked value; ids are 0, 1, 2, ... in creation order.
    pub fn make(self: &Arc<Self>) -> Tracked {
        let mut drops = self.0.lock().unwrap();
        drops.push(0);
        Tracked {
            id: drops.len() as u32 - 1,
            ledger: Arc::clone(self),
        }
    }

    /// Ids created so far.
    pub fn created(&self) -> u32 {
        self.0.lock().unwrap().len() as u32
    }

    /// Ids dropped a number of times other than once (must be empty once
    /// everything is gone).
    pub fn not_dropped_once(&self) -> Vec<(u32, u32)> {
        let drops = self.0.lock().unwrap();
        (0..)
            .zip(drops.iter().copied())
            .filter(|&(_, n)| n != 1)
            .collect()
    }
}

/// A value whose drop is counted in its [`Ledger`].
#[derive(Debug)]
pub struct Tracked {
    pub id: u32,
    ledger: Arc<Ledger>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.ledger.0.lock().unwrap()[self.id as usize] += 1;
    }
}

/// A refused push must match the model's refusal: same kind, same value.
pub fn same_refusal(real: PushError<Tracked>, model: PushError<u32>) -> Result<(), TestCaseError> {
    prop_assert_eq!(real.is_full(), model.is_full());
    prop_assert_eq!(real.is_closed(), model.is_closed());
    prop_assert_eq!(real.into_inner().id, model.into_inner());
    Ok(())
}

/// Drops the queue and checks that every value was dropped exactly once.
pub fn all_dropped_once<Q>(queue: Q, ledger: &Ledger) -> Result<(), TestCaseError> {
    drop(queue);
    prop_assert_eq!(ledger.not_dropped_once(), vec![]);
    Ok(())
}
