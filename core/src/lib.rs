//! # xikernel
//!
//! A small, formally tested concurrency kernel for moving values between
//! isolated interpreters (CPython's PEP 734 sub-interpreters are the model)
//! and between threads. `no_std` + `alloc`; the `std` feature (default)
//! adds blocking calls.
//!
//! Layers, bottom up (each module imports only the ones above it in this
//! list):
//!
//! - [`Ring`] and [`List`]: lock-free bounded and unbounded MPMC queues
//!   (`try_push` / `try_pop`, close, values handed back on failure);
//! - [`wait`] (std): the blocking toolkit — [`Deadline`](wait::Deadline),
//!   [`Interrupt`](wait::Interrupt), [`Wait`](wait::Wait), the
//!   [`Notifier`] every waiter parks on — and [`Blocking`] queues built on
//!   it;
//! - [`owner`]: the ownership vocabulary ([`InterpId`], [`UnboundOp`],
//!   [`Received`], [`ReleaseFn`], [`ClearInterpreter`]);
//! - [`queue`] and [`channel`]: registries with CPython's
//!   `_interpqueues` / `_interpchannels` semantics (ids, bindings, ends,
//!   unbound items), safe to share between threads;
//! - [`interp`]: interpreter lifecycle and release routing;
//! - [`xidata`]: the canonical, versioned wire format for cross-interpreter
//!   values and the [`XiData`](xidata::XiData) record.
//!
//! ```
//! use xikernel::{InterpId, QueueDefaults, Queues, Received, UnboundOp, MAIN};
//!
//! let queues = Queues::new();
//! let q = queues.create(8, QueueDefaults::default()).unwrap();
//! queues.try_push(MAIN, q, "hello", UnboundOp::Replace).unwrap();
//! queues.try_push(InterpId(1), q, "from 1", UnboundOp::Remove).unwrap();
//! // Interpreter 1 is destroyed: its REMOVE item vanishes.
//! queues.clear_interpreter(InterpId(1));
//! assert_eq!(queues.len(q), Ok(1));
//! assert_eq!(queues.try_pop(q), Ok(Received::Item("hello")));
//! ```
//!
//! The models (loom, shuttle), the reference implementations and the
//! planted-bug audit that check this crate live next to it in the project
//! (`models/`, `verify/`); `#[doc(hidden)] __private` exists only for them.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod sync;

pub mod error;
mod list;
mod ring;

#[cfg(feature = "std")]
pub mod wait;

mod lockorder;
mod table;

pub mod owner;

pub mod channel;
pub mod queue;

pub mod interp;

pub mod xidata;

pub use error::{PopError, PushError};

pub use channel::{ChannelError, ChannelId, ChannelInfo, Channels, End, SendError};
pub use interp::{InterpError, Interpreters, Whence};
pub use list::List;
pub use owner::{ClearInterpreter, InterpId, Received, ReleaseFn, UnboundOp, MAIN};
pub use queue::{QueueDefaults, QueueError, QueueHandle, QueueId, QueuePushError, Queues};
pub use ring::{Ring, MIN_LAP_BITS};
#[cfg(feature = "std")]
pub use wait::{Blocking, BlockingList, BlockingRing, Notifier, TryQueue};

/// The README's Rust blocks, compiled and run as doctests (`cargo test
/// --workspace`), so the "Use it from Rust" snippet cannot rot.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Internals re-exported for the project's own models, verification,
/// benchmarks and the `ipc` crate. Not part of the API: no stability, no
/// docs, may change in any release.
#[doc(hidden)]
pub mod __private {
    /// The sync facade (core/std, loom or shuttle by feature).
    pub mod sync {
        pub use crate::sync::*;
    }
    /// The debug-build lock-rank checker.
    pub mod lockorder {
        pub use crate::lockorder::*;
    }
    /// The two-level-locked id registry.
    pub mod table {
        pub use crate::table::*;
    }
    /// The codec's LEB128 varints.
    pub mod varint {
        pub use crate::xidata::varint::*;
    }
    /// Largest registry-queue bound backed by a ring (larger: the list).
    pub use crate::queue::store::RING_LIMIT;
}
