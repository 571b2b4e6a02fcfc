//! The queue in one process: semantics, limits, wrap-around, batches,
//! deadlines, interruption, and threads standing in for processes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use xikernel_ipc::{Batch, Deadline, Every, PopError, PushError, Queue, Wait};

fn msg(i: usize) -> Vec<u8> {
    // Lengths 0..=40 so records straddle the end of the ring in every way.
    let len = (i * 7) % 41;
    (0..len).map(|k| (i + k) as u8).collect()
}

#[test]
fn fifo_across_many_wraps() {
    let q = Queue::create(256, 1000).unwrap();
    let mut next_pop = 0;
    for i in 0..2000 {
        loop {
            match q.try_push(&msg(i)) {
                Ok(()) => break,
                Err(PushError::Full) => {
                    assert_eq!(q.try_pop().unwrap(), msg(next_pop));
                    next_pop += 1;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    while next_pop < 2000 {
        assert_eq!(q.try_pop().unwrap(), msg(next_pop));
        next_pop += 1;
    }
    assert_eq!(q.try_pop(), Err(PopError::Empty));
    assert!(q.is_empty());
}

#[test]
fn full_by_bytes_and_by_items() {
    let q = Queue::create(64, 100).unwrap();
    // 64 bytes: four 8-byte messages (16 bytes each with headers).
    for _ in 0..4 {
        q.try_push(b"12345678").unwrap();
    }
    assert_eq!(q.try_push(b""), Err(PushError::Full));
    assert_eq!(q.len(), 4);
    let q = Queue::create(4096, 3).unwrap();
    for _ in 0..3 {
        q.try_push(b"x").unwrap();
    }
    assert_eq!(q.try_push(b"x"), Err(PushError::Full));
    assert_eq!(q.len(), 3);
    q.try_pop().unwrap();
    q.try_push(b"y").unwrap();
}

#[test]
fn too_large_is_refused_at_once() {
    let q = Queue::create(64, 10).unwrap();
    assert_eq!(q.max_message(), 56);
    q.try_push(&[0; 56]).unwrap(); // exactly the whole ring
    assert_eq!(q.try_push(&[0; 1]), Err(PushError::Full));
    let e = q.push(&[0; 57], Deadline::never()); // must not wait
    assert_eq!(e, Err(PushError::TooLarge { len: 57, max: 56 }));
    assert_eq!(q.try_pop().unwrap(), vec![0; 56]);
}

#[test]
fn small_buffer_keeps_the_message() {
    let q = Queue::create(256, 10).unwrap();
    q.try_push(b"hello world").unwrap();
    let mut small = [0u8; 4];
    assert_eq!(
        q.try_pop_into(&mut small),
        Err(PopError::BufferTooSmall { needed: 11 })
    );
    let mut big = [0u8; 64];
    assert_eq!(q.try_pop_into(&mut big), Ok(11));
    assert_eq!(&big[..11], b"hello world");
}

#[test]
fn close_refuses_pushes_and_drains() {
    let q = Queue::create(256, 10).unwrap();
    q.try_push(b"a").unwrap();
    assert!(q.close());
    assert!(!q.close());
    assert!(q.is_closed());
    assert_eq!(q.try_push(b"b"), Err(PushError::Closed));
    assert_eq!(q.try_pop().unwrap(), b"a");
    assert_eq!(q.try_pop(), Err(PopError::Closed));
    assert_eq!(q.pop(Deadline::never()), Err(PopError::Closed));
}

#[test]
fn batches_pay_once_and_keep_order() {
    let q = Queue::create(128, 100).unwrap();
    let msgs: Vec<Vec<u8>> = (0..20).map(msg).collect();
    let refs: Vec<&[u8]> = msgs.iter().map(|m| &m[..]).collect();
    // Only a prefix fits in 128 bytes.
    let n = q.try_push_many(&refs).unwrap();
    assert!((1..20).contains(&n), "{n}");
    assert_eq!(q.len(), n);
    let mut batch = Batch::new();
    assert_eq!(q.try_pop_many(&mut batch, 100).unwrap(), n);
    for (i, m) in batch.iter().enumerate() {
        assert_eq!(m, &msgs[i][..]);
    }
    assert_eq!(q.try_pop_many(&mut batch, 100), Err(PopError::Empty));
    assert_eq!(q.try_push_many(&[]), Ok(0));
    // A limit below what is queued.
    q.try_push_many(&refs[..3]).unwrap();
    assert_eq!(q.try_pop_many(&mut batch, 2).unwrap(), 2);
    assert_eq!(batch.get(1), Some(&msgs[1][..]));
    assert_eq!(q.len(), 1);
}

#[test]
fn deadlines_time_out() {
    let q = Queue::create(64, 1).unwrap();
    let d = Deadline::after(Duration::from_millis(30));
    assert_eq!(q.pop(d), Err(PopError::Timeout));
    assert!(d.is_expired());
    q.try_push(b"x").unwrap();
    let d = Deadline::after(Duration::from_millis(30));
    assert_eq!(q.push(b"y", d), Err(PushError::Timeout));
    assert!(d.is_expired());
    let e = q.push_many(&[b"y", b"z"], Deadline::after(Duration::from_millis(10)));
    assert_eq!(e.unwrap_err().pushed, 0);
}

#[test]
fn interruption_stops_a_sleeper() {
    let q = Queue::create(64, 1).unwrap();
    let calls = AtomicUsize::new(0);
    let mut check = Every::new(Duration::from_millis(5), || {
        calls.fetch_add(1, Ordering::Relaxed) >= 2
    });
    let w = Wait::forever().interruptible(&mut check);
    assert_eq!(q.pop(w), Err(PopError::Interrupted));
    assert_eq!(calls.load(Ordering::Relaxed), 3);
    q.try_push(b"x").unwrap();
    let mut stop = Every::new(Duration::from_millis(5), || true);
    let w = Wait::forever().interruptible(&mut stop);
    assert_eq!(q.push(b"y", w), Err(PushError::Interrupted));
    assert_eq!(q.len(), 1);
}

#[test]
fn threads_exactly_once_fifo_per_producer() {
    const P: usize = 3;
    const N: usize = 3000;
    let q = Arc::new(Queue::create(512, 64).unwrap());
    let producers: Vec<_> = (0..P)
        .map(|p| {
            let q = q.clone();
            std::thread::spawn(move || {
                for i in 0..N {
                    let mut m = vec![p as u8];
                    m.extend_from_slice(&(i as u32).to_le_bytes());
                    m.resize(5 + i % 37, 0xEE);
                    q.push(&m, Deadline::never()).unwrap();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let q = q.clone();
            std::thread::spawn(move || {
                let mut last = [None::<u32>; P];
                let mut got = Vec::new();
                let mut batch = Batch::new();
                loop {
                    match q.pop_many(&mut batch, 7, Deadline::never()) {
                        Ok(_) => {}
                        Err(PopError::Closed) => return got,
                        Err(e) => panic!("{e}"),
                    }
                    for m in batch.iter() {
                        let p = m[0] as usize;
                        let i = u32::from_le_bytes(m[1..5].try_into().unwrap());
                        assert_eq!(m.len(), 5 + i as usize % 37);
                        assert!(last[p].map_or(true, |l| l < i), "FIFO per producer");
                        last[p] = Some(i);
                        got.push((p, i));
                    }
                }
            })
        })
        .collect();
    for t in producers {
        t.join().unwrap();
    }
    q.close();
    let mut all: Vec<(usize, u32)> = consumers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    let want: Vec<(usize, u32)> = (0..P)
        .flat_map(|p| (0..N as u32).map(move |i| (p, i)))
        .collect();
    assert_eq!(all, want);
}

#[test]
fn blocked_pop_is_woken_by_push() {
    let q = Arc::new(Queue::create(256, 8).unwrap());
    let rx = q.clone();
    let t = std::thread::spawn(move || rx.pop(Deadline::after(Duration::from_secs(60))));
    std::thread::sleep(Duration::from_millis(20));
    q.try_push(b"wake").unwrap();
    assert_eq!(t.join().unwrap().unwrap(), b"wake");
}
