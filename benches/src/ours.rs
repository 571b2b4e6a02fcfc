//! Our queues as [`SharedQueue`]s, and the blocking ring as a
//! [`BlockingFlavor`].

use crate::blocking::BlockingFlavor;
use crate::queues::SharedQueue;
use std::sync::Arc;
use xikernel::wait::BlockingRing;

/// xikernel's bounded ring.
pub type OurRing = xikernel::Ring<u64>;
/// xikernel's unbounded list.
pub type OurList = xikernel::List<u64>;

/// Both queues share the kernel's `try_push` / `try_pop` signatures.
macro_rules! our_queue {
    ($ty:ty, $name:literal, bounded: |$cap:ident| $bounded:expr, unbounded: $unbounded:expr) => {
        impl SharedQueue for $ty {
            const NAME: &'static str = $name;
            fn bounded($cap: usize) -> Option<Self> {
                $bounded
            }
            fn unbounded() -> Option<Self> {
                $unbounded
            }
            #[inline]
            fn push(&self, v: u64) -> Result<(), u64> {
                self.try_push(v).map_err(|e| e.into_inner())
            }
            #[inline]
            fn pop(&self) -> Option<u64> {
                self.try_pop().ok()
            }
        }
    };
}

our_queue!(OurRing, "xikernel_ring", bounded: |cap| Self::try_new(cap), unbounded: None);
our_queue!(OurList, "xikernel_list", bounded: |_cap| None, unbounded: Some(Self::new()));

/// xikernel's blocking layer over the ring (capacity 1024).
#[derive(Debug)]
pub struct OurBlocking;

impl BlockingFlavor for OurBlocking {
    const NAME: &'static str = "xikernel_blocking";
    type Tx = Arc<BlockingRing<u64>>;
    type Rx = Arc<BlockingRing<u64>>;
    fn build() -> (Self::Tx, Self::Rx) {
        let q = Arc::new(BlockingRing::new(OurRing::new(1024)));
        (q.clone(), q)
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.push(v).expect("open queue");
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.pop().ok()
    }
    fn close(tx: Self::Tx) {
        tx.close();
    }
}
