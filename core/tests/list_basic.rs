//! Unit-level behaviour of `List`: FIFO, close, len, drop (incl. panicking
//! drops), Debug.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use xikernel::List;
use xikernel::{PopError, PushError};

#[test]
fn fifo_across_many_blocks() {
    let list = List::new();
    assert!(list.is_empty());
    assert_eq!(list.try_pop(), Err(PopError::Empty));
    for i in 0..1000 {
        list.try_push(i).unwrap();
        assert_eq!(list.len(), i + 1);
    }
    for i in 0..1000 {
        assert_eq!(list.try_pop(), Ok(i));
        assert_eq!(list.len(), 999 - i);
    }
    assert!(list.is_empty());
    assert_eq!(list.try_pop(), Err(PopError::Empty));
}

#[test]
fn interleaved_push_pop_len() {
    let list = List::new();
    let mut expected = std::collections::VecDeque::new();
    let mut next = 0u32;
    for round in 0..200 {
        for _ in 0..(round % 7) {
            list.try_push(next).unwrap();
            expected.push_back(next);
            next += 1;
        }
        for _ in 0..(round % 5) {
            assert_eq!(list.try_pop().ok(), expected.pop_front());
        }
        assert_eq!(list.len(), expected.len());
        assert_eq!(list.is_empty(), expected.is_empty());
    }
}

#[test]
fn close_drains_then_reports_closed() {
    let list = List::new();
    for i in 0..40 {
        list.try_push(i).unwrap();
    }
    assert!(!list.is_closed());
    assert!(list.close());
    assert!(!list.close(), "close is idempotent and reports who closed");
    assert!(list.is_closed());
    match list.try_push(99) {
        Err(PushError::Closed(v)) => assert_eq!(v, 99),
        other => panic!("push after close: {other:?}"),
    }
    assert_eq!(list.len(), 40);
    for i in 0..40 {
        assert_eq!(list.try_pop(), Ok(i));
    }
    assert_eq!(list.try_pop(), Err(PopError::Closed));
    assert_eq!(list.try_pop(), Err(PopError::Closed));
    assert!(list.is_empty());
}

#[test]
fn close_empty_and_unused() {
    let list: List<String> = List::new();
    assert!(list.close());
    assert_eq!(list.try_pop(), Err(PopError::Closed));
    assert_eq!(list.try_push("x".into()).unwrap_err().into_inner(), "x");
    assert_eq!(list.len(), 0);
}

#[test]
fn close_at_block_boundary() {
    // Close exactly when the tail sits at the end of a block (31 values).
    for n in [30usize, 31, 32, 62, 63] {
        let list = List::new();
        for i in 0..n {
            list.try_push(i).unwrap();
        }
        list.close();
        assert!(list.try_push(0).is_err());
        assert_eq!(list.len(), n);
        for i in 0..n {
            assert_eq!(list.try_pop(), Ok(i));
        }
        assert_eq!(list.try_pop(), Err(PopError::Closed));
    }
}

/// Counts drops of the values it is cloned from.
#[derive(Debug)]
struct Counted(Rc<Cell<usize>>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn drop_drops_each_remaining_value_once() {
    for pushed in [0usize, 1, 30, 31, 32, 100] {
        for popped in [0usize, 1, 31, 40] {
            let popped = popped.min(pushed);
            let drops = Rc::new(Cell::new(0));
            {
                let list = List::new();
                for _ in 0..pushed {
                    list.try_push(Counted(drops.clone())).unwrap();
                }
                for _ in 0..popped {
                    drop(list.try_pop().unwrap());
                }
                assert_eq!(drops.get(), popped);
            }
            assert_eq!(drops.get(), pushed, "pushed {pushed}, popped {popped}");
        }
    }
}

/// Panics in `Drop` when its flag is set; counts every drop.
struct Bomb {
    explode: bool,
    drops: Arc<AtomicUsize>,
}
impl Drop for Bomb {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
        if self.explode {
            panic!("bomb");
        }
    }
}

#[test]
fn drop_continues_after_a_panicking_value() {
    let drops = Arc::new(AtomicUsize::new(0));
    let list = List::new();
    for i in 0..70 {
        let explode = i == 5;
        list.try_push(Bomb {
            explode,
            drops: drops.clone(),
        })
        .unwrap();
    }
    let result = panic::catch_unwind(AssertUnwindSafe(move || drop(list)));
    assert!(result.is_err(), "the value's panic is resumed");
    assert_eq!(
        drops.load(Ordering::Relaxed),
        70,
        "every value dropped once"
    );
}

#[test]
fn values_are_moved_not_copied() {
    let list = List::new();
    list.try_push(vec![1, 2, 3]).unwrap();
    list.try_push(Vec::new()).unwrap();
    assert_eq!(list.try_pop().unwrap(), vec![1, 2, 3]);
    assert_eq!(list.try_pop().unwrap(), Vec::<i32>::new());
}

#[test]
fn zero_sized_values() {
    let list = List::new();
    for _ in 0..100 {
        list.try_push(()).unwrap();
    }
    assert_eq!(list.len(), 100);
    for _ in 0..100 {
        list.try_pop().unwrap();
    }
    assert_eq!(list.try_pop(), Err(PopError::Empty));
}

#[test]
fn debug_without_t_debug() {
    struct Opaque;
    let list = List::default();
    list.try_push(Opaque).unwrap();
    list.close();
    assert_eq!(format!("{list:?}"), "List { len: 1, closed: true }");
}

#[test]
fn const_new_and_static() {
    static LIST: List<u8> = List::new();
    LIST.try_push(7).unwrap();
    assert_eq!(LIST.try_pop(), Ok(7));
}

#[test]
fn send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<List<std::cell::Cell<u8>>>();
}
