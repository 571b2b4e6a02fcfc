#![cfg(feature = "loom")]
//! The XI-data record's release is exactly-once under every interleaving:
//! two threads race `release()` while the record is shared, then the last
//! owner drops it. Exactly one caller wins and the hook runs exactly once.

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use xikernel::xidata::XiData;
use xikernel::InterpId;
use xikernel_models::loom_model;

fn record(owner: InterpId, runs: &Arc<AtomicUsize>) -> XiData {
    let r = runs.clone();
    XiData::new(
        b"XI\x01\x00".to_vec(),
        owner,
        Some(Box::new(move |got| {
            assert_eq!(got, owner);
            r.fetch_add(1, Ordering::Relaxed);
        })),
    )
}

#[test]
fn release_is_exactly_once() {
    loom_model(|| {
        let runs = Arc::new(AtomicUsize::new(0));
        let rec = Arc::new(record(InterpId(7), &runs));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let rec = rec.clone();
                thread::spawn(move || rec.release())
            })
            .collect();
        let wins = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|&w| w)
            .count();
        assert_eq!(wins, 1, "release() must report exactly one winner");
        drop(rec); // the drop must not release again
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    });
}

#[test]
fn drop_releases_when_nobody_did() {
    loom_model(|| {
        let runs = Arc::new(AtomicUsize::new(0));
        let rec = Arc::new(record(InterpId(1), &runs));
        let other = rec.clone();
        // Whichever owner drops last releases.
        let h = thread::spawn(move || drop(other));
        drop(rec);
        h.join().unwrap();
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    });
}
