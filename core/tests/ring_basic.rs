//! Sequential behaviour of `Ring`: construction, full/empty, close, force_push,
//! drop accounting (including a panicking item), Debug.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use xikernel::Ring;
use xikernel::{PopError, PushError};

#[test]
fn try_new_rejects_zero_and_overflow() {
    assert!(Ring::<u8>::try_new(0).is_none());
    assert!(Ring::<u8>::try_new(usize::MAX).is_none());
    assert!(Ring::<u8>::try_new(usize::MAX / 2).is_none());
    if !cfg!(miri) {
        // Unallocatable: `None`, not an abort (Miri stops at such requests).
        assert!(Ring::<u64>::try_new(usize::MAX >> 12).is_none());
        assert!(Ring::<()>::try_new(1 << 40).is_none());
    }
    assert_eq!(Ring::<u8>::try_new(3).unwrap().capacity(), 3);
}

#[test]
#[should_panic(expected = "capacity")]
fn new_panics_on_zero() {
    let _ = Ring::<u8>::new(0);
}

#[test]
fn full_empty_every_small_capacity() {
    for cap in 1..=9usize {
        let r = Ring::new(cap);
        for lap in 0..3 {
            assert!(r.is_empty());
            assert_eq!(r.try_pop(), Err(PopError::Empty));
            for i in 0..cap {
                assert_eq!(r.try_push(lap * 100 + i), Ok(()));
                assert_eq!(r.len(), i + 1);
            }
            assert!(r.is_full());
            assert!(matches!(r.try_push(7), Err(PushError::Full(7))));
            for i in 0..cap {
                assert_eq!(r.try_pop(), Ok(lap * 100 + i));
            }
        }
    }
}

#[test]
fn force_push_overwrites_exactly_the_oldest() {
    for cap in 1..=5usize {
        let r = Ring::new(cap);
        for i in 0..cap {
            assert_eq!(r.force_push(i), Ok(None));
        }
        for i in cap..cap * 4 {
            assert_eq!(r.force_push(i), Ok(Some(i - cap)), "cap {cap}");
            assert_eq!(r.len(), cap);
        }
        for i in cap * 3..cap * 4 {
            assert_eq!(r.try_pop(), Ok(i));
        }
        assert_eq!(r.try_pop(), Err(PopError::Empty));
    }
}

#[test]
fn close_drains_then_reports_closed() {
    let r = Ring::new(3);
    r.try_push(1).unwrap();
    r.try_push(2).unwrap();
    assert!(!r.is_closed());
    assert!(r.close());
    assert!(!r.close());
    assert!(r.is_closed());
    assert!(matches!(r.try_push(3), Err(PushError::Closed(3))));
    assert!(matches!(r.force_push(3), Err(PushError::Closed(3))));
    assert_eq!(r.len(), 2);
    assert_eq!(r.try_pop(), Ok(1));
    assert_eq!(r.try_pop(), Ok(2));
    assert_eq!(r.try_pop(), Err(PopError::Closed));
    assert_eq!(r.try_pop(), Err(PopError::Closed));
    assert!(r.is_empty());
}

#[test]
fn close_when_full_reports_closed_not_full() {
    let r = Ring::new(1);
    r.try_push(1).unwrap();
    r.close();
    assert!(matches!(r.try_push(2), Err(PushError::Closed(2))));
    assert!(matches!(r.force_push(2), Err(PushError::Closed(2))));
    assert_eq!(r.try_pop(), Ok(1));
    assert_eq!(r.try_pop(), Err(PopError::Closed));
}

#[test]
fn zero_sized_items() {
    let r = Ring::new(2);
    r.try_push(()).unwrap();
    r.try_push(()).unwrap();
    assert!(r.try_push(()).is_err());
    assert_eq!(r.force_push(()), Ok(Some(())));
    assert_eq!(r.try_pop(), Ok(()));
    assert_eq!(r.len(), 1);
}

/// Counts its drops in a shared counter; optionally panics when dropped.
#[derive(Debug)]
struct Tracked {
    drops: Rc<Cell<usize>>,
    panic: bool,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
        if self.panic {
            panic!("planted panic in Drop");
        }
    }
}

fn tracked(drops: &Rc<Cell<usize>>, panic: bool) -> Tracked {
    Tracked {
        drops: drops.clone(),
        panic,
    }
}

#[test]
fn drop_drops_each_remaining_item_once_across_the_wrap() {
    for cap in 1..=6usize {
        for shift in 0..cap {
            let drops = Rc::new(Cell::new(0));
            let r = Ring::new(cap);
            // Move head/tail to `shift` so the remaining items wrap around.
            for _ in 0..shift {
                r.try_push(tracked(&drops, false)).unwrap();
                drop(r.try_pop().unwrap());
            }
            assert_eq!(drops.get(), shift);
            for _ in 0..cap {
                r.try_push(tracked(&drops, false)).unwrap();
            }
            drop(r.force_push(tracked(&drops, false)).unwrap()); // drops one
            drop(r.try_pop().unwrap());
            drop(r);
            assert_eq!(drops.get(), shift + cap + 1, "cap {cap} shift {shift}");
        }
    }
}

#[test]
fn drop_keeps_dropping_after_an_item_panics() {
    for bad in 0..5 {
        let drops = Rc::new(Cell::new(0));
        let r = Ring::new(5);
        for i in 0..5 {
            r.try_push(tracked(&drops, i == bad)).unwrap();
        }
        let result = catch_unwind(AssertUnwindSafe(move || drop(r)));
        assert!(result.is_err(), "the panic is resumed");
        assert_eq!(drops.get(), 5, "every item dropped once (bad = {bad})");
    }
}

#[test]
fn rejected_values_are_returned_not_dropped() {
    let drops = Rc::new(Cell::new(0));
    let r = Ring::new(1);
    r.try_push(tracked(&drops, false)).unwrap();
    let back = r.try_push(tracked(&drops, false)).unwrap_err().into_inner();
    assert_eq!(drops.get(), 0);
    r.close();
    let back2 = r.force_push(back).unwrap_err().into_inner();
    assert_eq!(drops.get(), 0);
    drop(back2);
    drop(r);
    assert_eq!(drops.get(), 2);
}

#[test]
fn debug_does_not_need_item_debug() {
    struct Opaque;
    let r = Ring::new(2);
    r.try_push(Opaque).unwrap();
    assert_eq!(
        format!("{r:?}"),
        "Ring { len: 1, capacity: 2, closed: false }"
    );
}

#[test]
fn ring_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Ring<Box<u8>>>();
}
