//! proptest conformance: random sequences of channel operations from several
//! simulated interpreters, run against the kernel and the sequential
//! reference model (`xikernel_verify::reference::channel`). After every
//! step the results, the set of items released, and the whole observable
//! state (`list_all`, and per channel `get_info` for every interpreter,
//! `get_count`, `list_interpreters`) must agree.

#![cfg(not(feature = "shuttle"))] // std threads and types; the shuttle runs are `lin-shuttle`

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use xikernel::channel::{ChannelError, ChannelId, Channels, End, Received, UnboundOp};
use xikernel::interp::InterpId;
use xikernel::wait::Wait;
use xikernel_verify::reference::channel::{RefChannels, RefRecv};

/// A kernel item: a token that logs its drop.
struct Token(u64, Arc<Mutex<Vec<u64>>>);

impl Drop for Token {
    fn drop(&mut self) {
        self.1.lock().unwrap().push(self.0);
    }
}

const INTERPS: u64 = 3;
const CHANNEL_IDS: u64 = 4;

#[derive(Clone, Debug)]
enum Op {
    Create(UnboundOp),
    Destroy(u64),
    Send(u64, u64, UnboundOp),
    SendWaitZero(u64, u64, UnboundOp),
    Recv(u64, u64),
    RecvWaitZero(u64, u64),
    Close(u64, End, bool),
    Release(u64, u64, End),
    ClearInterpreter(u64),
}

fn unbound() -> impl Strategy<Value = UnboundOp> {
    prop_oneof![
        Just(UnboundOp::Remove),
        Just(UnboundOp::Error),
        Just(UnboundOp::Replace)
    ]
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Send), Just(End::Recv), Just(End::Both)]
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0..INTERPS;
    let c = 0..CHANNEL_IDS;
    prop_oneof![
        2 => unbound().prop_map(Op::Create),
        1 => c.clone().prop_map(Op::Destroy),
        8 => (i.clone(), c.clone(), unbound()).prop_map(|(i, c, u)| Op::Send(i, c, u)),
        2 => (i.clone(), c.clone(), unbound()).prop_map(|(i, c, u)| Op::SendWaitZero(i, c, u)),
        6 => (i.clone(), c.clone()).prop_map(|(i, c)| Op::Recv(i, c)),
        1 => (i.clone(), c.clone()).prop_map(|(i, c)| Op::RecvWaitZero(i, c)),
        3 => (c.clone(), end(), any::<bool>()).prop_map(|(c, e, f)| Op::Close(c, e, f)),
        3 => (i.clone(), c, end()).prop_map(|(i, c, e)| Op::Release(i, c, e)),
        1 => i.prop_map(Op::ClearInterpreter),
    ]
}

struct Harness {
    kernel: Channels<Token>,
    model: RefChannels,
    log: Arc<Mutex<Vec<u64>>>,
    next_token: u64,
    /// Every drop seen so far, in order.
    dropped: Vec<u64>,
}

fn token(next: &mut u64, log: &Arc<Mutex<Vec<u64>>>) -> (Token, u64) {
    *next += 1;
    (Token(*next, log.clone()), *next)
}

impl Harness {
    /// Runs one op on both sides; returns (kernel, model) results as text
    /// plus the tokens each side released.
    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let k = &self.kernel;
        let m = &mut self.model;
        let mut delivered = None;
        let recv_k = |r: Result<Received<Token>, ChannelError>, delivered: &mut Option<u64>| {
            r.map(|r| match r {
                Received::Item(t) => {
                    *delivered = Some(t.0);
                    RefRecv::Token(t.0)
                }
                Received::Unbound(op) => RefRecv::Unbound(op),
            })
        };
        let (kr, mr) = match *op {
            Op::Create(u) => (format!("{:?}", k.create(u)), format!("{:?}", m.create(u))),
            Op::Destroy(c) => {
                let c = ChannelId(c);
                (format!("{:?}", k.destroy(c)), format!("{:?}", m.destroy(c)))
            }
            Op::Send(i, c, u) => {
                let (t, n) = token(&mut self.next_token, &self.log);
                let (i, c) = (InterpId(i), ChannelId(c));
                (
                    format!("{:?}", k.send(i, c, t, u).map_err(|e| e.error())),
                    format!("{:?}", m.send(i, c, n, u)),
                )
            }
            Op::SendWaitZero(i, c, u) => {
                let (t, n) = token(&mut self.next_token, &self.log);
                let (i, c) = (InterpId(i), ChannelId(c));
                let kr = k
                    .send_wait(i, c, t, u, Wait::timeout(Duration::ZERO))
                    .map_err(|e| e.error());
                (
                    format!("{kr:?}"),
                    format!("{:?}", m.send_wait_zero(i, c, n, u)),
                )
            }
            Op::Recv(i, c) => {
                let (i, c) = (InterpId(i), ChannelId(c));
                let kr = recv_k(k.try_recv(i, c), &mut delivered);
                (format!("{kr:?}"), format!("{:?}", m.recv(i, c)))
            }
            Op::RecvWaitZero(i, c) => {
                let (i, c) = (InterpId(i), ChannelId(c));
                let kr = recv_k(
                    k.recv_wait(i, c, Wait::timeout(Duration::ZERO)),
                    &mut delivered,
                );
                // A zero-timeout blocking receive is a receive that times out
                // instead of reporting Empty.
                let mr = match m.recv(i, c) {
                    Err(ChannelError::Empty(c)) => Err(ChannelError::Timeout(c)),
                    r => r,
                };
                (format!("{kr:?}"), format!("{mr:?}"))
            }
            Op::Close(c, e, f) => {
                let c = ChannelId(c);
                (
                    format!("{:?}", k.close(c, e, f)),
                    format!("{:?}", m.close(c, e, f)),
                )
            }
            Op::Release(i, c, e) => {
                let (i, c) = (InterpId(i), ChannelId(c));
                (
                    format!("{:?}", k.release(i, c, e)),
                    format!("{:?}", m.release(i, c, e)),
                )
            }
            Op::ClearInterpreter(i) => {
                k.clear_interpreter(InterpId(i));
                m.clear_interpreter(InterpId(i));
                (String::new(), String::new())
            }
        };
        prop_assert_eq!(kr, mr, "result of {:?}", op);
        // Released exactly the same items (a delivered item is dropped by us).
        let mut kd = std::mem::take(&mut *self.log.lock().unwrap());
        self.dropped.extend(&kd);
        let mut md = self.model.take_released();
        md.extend(delivered);
        kd.sort_unstable();
        md.sort_unstable();
        prop_assert_eq!(kd, md, "items released by {:?}", op);
        self.compare_state()
    }

    fn compare_state(&mut self) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.kernel.list_all(), self.model.list_all());
        for c in (0..CHANNEL_IDS + 1).map(ChannelId) {
            prop_assert_eq!(self.kernel.len(c), self.model.len(c));
            for send in [true, false] {
                prop_assert_eq!(
                    self.kernel.list_interpreters(c, send),
                    self.model.list_interpreters(c, send)
                );
            }
            for i in (0..INTERPS).map(InterpId) {
                prop_assert_eq!(self.kernel.info(i, c), self.model.info(i, c));
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 512 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn kernel_conforms_to_reference(ops in proptest::collection::vec(op(), 1..60)) {
        let mut h = Harness {
            kernel: Channels::new(),
            model: RefChannels::new(),
            log: Arc::new(Mutex::new(Vec::new())),
            next_token: 0,
            dropped: Vec::new(),
        };
        for op in &ops {
            h.step(op)?;
        }
        // Tearing down releases everything still queued, exactly once.
        let created = h.next_token as usize;
        drop(h.kernel);
        let mut all = h.dropped;
        all.extend(h.log.lock().unwrap().iter());
        let drops = all.len();
        all.sort_unstable();
        all.dedup();
        prop_assert_eq!(all.len(), drops, "an item was dropped twice");
        prop_assert_eq!(drops, created, "an item was never released");
    }
}
