//! The two-level-locked registry on its own.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread;

use xikernel::__private::table::{Table, TableError, MAX_ID};

#[test]
fn ids_are_monotonic_from_the_first_and_never_reused() {
    let t: Table<&str> = Table::new(0);
    assert_eq!(t.insert_with(|_| "a").unwrap().0, 0);
    assert_eq!(t.insert_with(|_| "b").unwrap().0, 1);
    assert!(t.remove(1).is_some());
    assert!(t.remove(1).is_none());
    assert_eq!(t.insert_with(|_| "c").unwrap().0, 2, "id 1 is not reused");
    let q: Table<()> = Table::new(1);
    assert_eq!(q.insert_with(|_| ()).unwrap().0, 1, "queues start at 1");
}

#[test]
fn make_sees_its_own_id() {
    let t: Table<u64> = Table::new(7);
    let (id, e) = t.insert_with(|id| id * 10).unwrap();
    assert_eq!((id, *e), (7, 70));
}

#[test]
fn exhaustion_is_a_typed_error_and_sticks() {
    let t: Table<()> = Table::with_id_range(5, 6);
    t.insert_with(|_| ()).unwrap();
    t.insert_with(|_| ()).unwrap();
    assert_eq!(t.insert_with(|_| ()).unwrap_err(), TableError::IdsExhausted);
    t.remove(5);
    assert_eq!(t.insert_with(|_| ()).unwrap_err(), TableError::IdsExhausted);
    let top: Table<()> = Table::with_id_range(MAX_ID, MAX_ID);
    assert_eq!(top.insert_with(|_| ()).unwrap().0, MAX_ID);
    assert!(top.insert_with(|_| ()).is_err());
    let empty: Table<()> = Table::with_id_range(1, 0);
    assert!(empty.insert_with(|_| ()).is_err());
}

#[test]
fn handles_outlive_removal() {
    let t: Table<String> = Table::new(0);
    let (id, _) = t.insert_with(|_| "kept".into()).unwrap();
    let h = t.get(id).unwrap();
    assert!(t.remove(id).is_some());
    assert!(t.get(id).is_none());
    assert_eq!(*h, "kept");
}

#[test]
fn snapshot_and_drain() {
    let t: Table<u64> = Table::new(0);
    for _ in 0..4 {
        t.insert_with(|id| id).unwrap();
    }
    t.remove(2);
    let ids: Vec<u64> = t.snapshot().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, [0, 1, 3]);
    assert_eq!(t.len(), 3);
    assert_eq!(t.drain().len(), 3);
    assert!(t.is_empty());
}

#[test]
fn concurrent_inserts_get_unique_ids_and_snapshots_are_consistent() {
    let t: Arc<Table<u64>> = Arc::new(Table::new(0));
    let n = if cfg!(miri) { 20 } else { 2000 };
    thread::scope(|s| {
        for _ in 0..2 {
            let t = &t;
            s.spawn(move || {
                for _ in 0..n {
                    let (id, e) = t.insert_with(|id| id).unwrap();
                    assert_eq!(id, *e);
                }
            });
        }
        // Every snapshot is a set of ids that all existed at one instant:
        // sizes never shrink (nothing is removed here).
        let mut last = 0;
        for _ in 0..n / 10 {
            let snap = t.snapshot();
            assert!(snap.len() >= last);
            last = snap.len();
        }
    });
    let ids: BTreeSet<u64> = t.snapshot().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 2 * n);
    assert_eq!(ids.last(), Some(&(2 * n as u64 - 1)));
}
