//! # xikernel-ipc
//!
//! A bounded MPMC queue of byte messages in shared memory, between
//! processes, that survives any participant being SIGKILLed at any
//! instruction.
//!
//! - **Segment**: a `memfd` sealed against resizing, mapped shared; hand it
//!   to children by `fork` or over a Unix socket (`SCM_RIGHTS`). A
//!   versioned header (magic, layout version, sizes, checksum) is checked
//!   on open: a wrong, truncated or corrupted segment is a typed
//!   [`SegmentError`], never UB, a panic or a hang.
//! - **Queue**: bounded in bytes and in items, FIFO per producer,
//!   `try_push`/`try_pop`, blocking `push`/`pop` with the kernel's blocking
//!   toolkit ([`Wait`]: a [`Deadline`] and an optional [`Interrupt`]), batch `push_many`/`pop_many` that pay
//!   one synchronisation for many messages, `close`, `len`. A message
//!   that can never fit is refused at once ([`PushError::TooLarge`]).
//!   Sleepers sleep on futexes in the segment (shared, not private).
//! - **Crash robustness**: each side (producers, consumers) has one lock
//!   word holding its owner (pid and start time); a process finding the
//!   owner dead takes the lock over. Only one store publishes a push (the
//!   tail) or completes a pop (the head), so a process killed before it
//!   changed nothing anyone reads, and killed after it has done its whole
//!   operation. Hence: every completed push is delivered exactly once; a
//!   killed producer's unfinished message is discarded, never half-read; a
//!   killed consumer loses at most the messages of the pop it was inside
//!   (those whose head store completed before it died); nobody waits
//!   forever on a dead process.
//!
//! `docs/ipc.md` has the layout, the protocol and the crash argument step
//! by step; the loom and shuttle models run the same algorithm
//! ([`__private::RawQueue`]) over a model region with threads standing in
//! for processes and crashing at every step.
//!
//! ```
//! use xikernel_ipc::{Deadline, Queue};
//! let q = Queue::create(1 << 16, 1024).unwrap();
//! // In a real program: fork, or q.send_fd(&unix_socket) to another process.
//! q.push_many(&[b"a", b"bb", b"ccc"], Deadline::never()).unwrap();
//! let mut batch = xikernel_ipc::Batch::new();
//! assert_eq!(q.try_pop_many(&mut batch, 10).unwrap(), 3);
//! assert_eq!(batch.get(2), Some(&b"ccc"[..]));
//! ```
//!
//! Linux only for now (memfd, futex, /proc); docs/ipc.md sketches macOS
//! and Windows.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

// loom/shuttle atomics cannot live in mmap'd bytes: when the facade is a
// model checker's, only the model region is built. A build that switched
// the facade without this crate's feature would cast shared memory to
// loom types: refuse it.
const _: () = assert!(
    !xikernel::__private::sync::MODEL_CHECKING || cfg!(any(feature = "loom", feature = "shuttle")),
    "xikernel's facade is a model checker's: enable xikernel-ipc's `loom`/`shuttle` feature too"
);

mod error;
mod layout;
mod model;
mod raw;
mod region;

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
mod queue;
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
mod shm;

pub use error::{Corruption, PopError, PushError, SegmentError};
pub use raw::sink::Batch;
pub use xikernel::wait::{Deadline, Every, Interrupt, InterruptToken, Wait, WaitError};

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub use queue::{PushManyError, Queue};
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub use shm::fdpass::{recv_fd, send_fd};

/// Internals for the models, the fuzz target and the benches: not a stable
/// API.
#[doc(hidden)]
pub mod __private {
    pub use crate::layout::{
        pack, record_size, unpack, Control, HEADER_SIZE, MAGIC, RECORD_HEADER, VERSION,
    };
    pub use crate::model::{ModelRegion, ModelSegment};
    pub use crate::raw::sink::{BufSink, Sink, VecSink};
    pub use crate::raw::sync::{Stop, DATA_SLICE, LIVENESS_SLICE};
    pub use crate::raw::{Raw, RawQueue};
    pub use crate::region::{Region, Step};
}
