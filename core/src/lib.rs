//! # xikernel
//!
//! A small, formally tested concurrency kernel for moving values between
//! isolated interpreters (CPython's PEP 734 sub-interpreters are the model)
//! and between threads.
//!
//! Layers, bottom up (see `docs/architecture.md`):
//!
//! - [`sync`]: the one facade over atomics, cells, locks and threads
//!   (core/std, loom or shuttle by feature);
//! - [`ring`] and [`list`]: lock-free bounded and unbounded MPMC queues;
//! - `wait` (std): blocking push/pop with deadlines and real wake-ups;
//! - [`table`], [`channel`], [`queue`], [`interp`]: CPython's
//!   `_interpchannels` / `_interpqueues` semantics on a two-level-locked table;
//! - [`xidata`]: the canonical, versioned wire format for cross-interpreter
//!   values.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod sync;

pub mod error;
pub mod list;
pub mod ring;

#[cfg(feature = "std")]
pub mod wait;

pub mod channel;
pub mod interp;
pub mod lockorder;
pub mod queue;
pub mod table;

pub mod xidata;

pub use error::{PopError, PushError};

pub use channel::{ChannelError, ChannelId, ChannelInfo, Channels, End, Received, UnboundOp};
pub use interp::InterpId;
pub use interp::{ClearInterpreter, InterpError, Interpreters, Whence};
pub use list::List;
pub use queue::{QueueDefaults, QueueError, QueueHandle, QueueId, Queues};
pub use ring::Ring;
pub use table::{Table, TableError};
#[cfg(feature = "std")]
pub use wait::{Blocking, BlockingList, BlockingRing, Notifier, TryQueue};

/// The README's Rust blocks, compiled and run as doctests (`cargo test
/// --workspace`), so the "Use it from Rust" snippet cannot rot.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
