//! Our queues as [`SharedQueue`]s (and, below, as a [`BlockingFlavor`]).

use crate::queues::SharedQueue;

/// xikernel's unbounded list.
pub type OurList = xikernel::list::List<u64>;

impl SharedQueue for OurList {
    const NAME: &'static str = "xikernel_list";
    fn bounded(_: usize) -> Option<Self> {
        None
    }
    fn unbounded() -> Option<Self> {
        Some(Self::new())
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
