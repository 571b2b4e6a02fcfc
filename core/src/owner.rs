//! The ownership vocabulary every registry shares: who owns an item
//! ([`InterpId`]), what happens to it when its owner is destroyed
//! ([`UnboundOp`], [`Received`]), how data nobody receives is released
//! ([`ReleaseFn`]) and how a registry is told that an interpreter is gone
//! ([`ClearInterpreter`]).
//!
//! A leaf: it imports nothing else of the kernel, so `queue`, `channel` and
//! `interp` all build on it without importing each other.
//!
//! ```
//! use xikernel::{InterpId, Received, UnboundOp, MAIN};
//!
//! let sub = InterpId(7);
//! assert_ne!(sub, MAIN);
//! assert_eq!(UnboundOp::default(), UnboundOp::Replace);
//! assert_eq!(UnboundOp::try_from(2), Ok(UnboundOp::Error));
//! let r: Received<&str> = Received::Unbound(UnboundOp::Replace);
//! assert_eq!(r.item(), None);
//! ```

use alloc::boxed::Box;
use core::fmt;

/// An interpreter id. CPython numbers interpreters from 0 (the main
/// interpreter) upwards and never reuses an id.
///
/// ```
/// use xikernel::{InterpId, MAIN};
/// assert_eq!(MAIN, InterpId(0));
/// assert_eq!(InterpId(5).to_string(), "5");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct InterpId(pub u64);

/// The main interpreter.
pub const MAIN: InterpId = InterpId(0);

impl fmt::Display for InterpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What happens to an item when the interpreter that sent it is destroyed
/// before it is received (CPython's `UNBOUND_*` constants).
///
/// ```
/// use xikernel::UnboundOp;
/// assert_eq!(UnboundOp::default(), UnboundOp::Replace);
/// assert_eq!(UnboundOp::try_from(1), Ok(UnboundOp::Remove));
/// assert_eq!(UnboundOp::Error as u8, 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[repr(u8)]
pub enum UnboundOp {
    /// The item disappears from the queue or channel.
    Remove = 1,
    /// The item stays; receiving it reports that its interpreter was
    /// destroyed.
    Error = 2,
    /// The item stays; receiving it yields the `UNBOUND` marker (CPython's
    /// default for queues and channels, hence ours).
    #[default]
    Replace = 3,
}

/// An `unboundop` outside {1, 2, 3} (CPython: `ValueError: unsupported
/// unboundop N`).
///
/// ```
/// use xikernel::UnboundOp;
/// let e = UnboundOp::try_from(9).unwrap_err();
/// assert_eq!(e.to_string(), "unsupported unboundop 9");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct UnsupportedUnboundOp(pub i64);

impl fmt::Display for UnsupportedUnboundOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unsupported unboundop {}", self.0)
    }
}

impl core::error::Error for UnsupportedUnboundOp {}

impl TryFrom<i64> for UnboundOp {
    type Error = UnsupportedUnboundOp;

    fn try_from(raw: i64) -> Result<Self, UnsupportedUnboundOp> {
        match raw {
            1 => Ok(UnboundOp::Remove),
            2 => Ok(UnboundOp::Error),
            3 => Ok(UnboundOp::Replace),
            _ => Err(UnsupportedUnboundOp(raw)),
        }
    }
}

/// What a receive yields: the item, or the policy of an item whose owner
/// was destroyed (CPython's `(None, op)`).
///
/// ```
/// use xikernel::{Received, UnboundOp};
/// assert_eq!(Received::Item(5).item(), Some(5));
/// assert_eq!(Received::<i32>::Unbound(UnboundOp::Error).item(), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Received<T> {
    /// A live item.
    Item(T),
    /// An item whose sender was destroyed, with its unbound policy.
    Unbound(UnboundOp),
}

impl<T> Received<T> {
    /// The item, if it is a live one.
    pub fn item(self) -> Option<T> {
        match self {
            Received::Item(t) => Some(t),
            Received::Unbound(_) => None,
        }
    }
}

/// The one release path: how a registry releases data that no receiver
/// will get (a failed blocking send withdrawn by nobody, a destroy, a
/// forced close, an owner's destruction), called with the data and its
/// **owner** — the interpreter that put it, which travels with every item.
///
/// It is called outside every kernel lock, on the thread that discarded
/// the data. The default (no release function) drops the data there. A
/// runtime whose data must be released in its owner passes
/// [`Interpreters::router`](crate::Interpreters::router), which releases
/// inline where the owner is current, queues the release for the owner
/// otherwise, and frees the data once the owner is gone.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use xikernel::{InterpId, Queues, QueueDefaults, ReleaseFn, UnboundOp};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let release: ReleaseFn<&str> = Box::new(move |data, owner| log.lock().unwrap().push((data, owner)));
/// let queues = Queues::new().with_release(release);
/// let q = queues.create(4, QueueDefaults::default()).unwrap();
/// queues.try_push(InterpId(3), q, "left behind", UnboundOp::Replace).unwrap();
/// queues.destroy(q).unwrap();
/// assert_eq!(*seen.lock().unwrap(), [("left behind", InterpId(3))]);
/// ```
pub type ReleaseFn<T> = Box<dyn Fn(T, InterpId) + Send + Sync>;

/// A registry whose items must be unbound when an interpreter is
/// destroyed (queues, channels; a runtime's own containers too).
/// [`Interpreters::destroy`](crate::Interpreters::destroy) calls it.
///
/// ```
/// use std::sync::Mutex;
/// use xikernel::{ClearInterpreter, InterpId, Interpreters};
///
/// /// A runtime's own container of per-interpreter state.
/// #[derive(Default)]
/// struct Sessions(Mutex<Vec<InterpId>>);
/// impl ClearInterpreter for Sessions {
///     fn clear_interpreter(&self, interp: InterpId) {
///         self.0.lock().unwrap().retain(|&i| i != interp);
///     }
/// }
///
/// let interps = Interpreters::new();
/// let sub = interps.create().unwrap();
/// let sessions = Sessions::default();
/// sessions.0.lock().unwrap().push(sub);
/// interps.destroy_from(xikernel::MAIN, sub, &[&sessions]).unwrap();
/// assert!(sessions.0.lock().unwrap().is_empty());
/// ```
pub trait ClearInterpreter {
    /// `interp` is being destroyed: apply its items' [`UnboundOp`]s and
    /// release their data.
    fn clear_interpreter(&self, interp: InterpId);
}
