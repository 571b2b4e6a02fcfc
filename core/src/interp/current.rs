//! "Which interpreter is running this code": a runtime hook, defaulting to
//! a thread-local under std.
//!
//! A runtime that knows the answer itself (CPython's thread state) installs
//! a hook with [`Interpreters::with_current_hook`](super::Interpreters::with_current_hook).
//! Otherwise the answer is the calling thread's [`enter`]ed interpreter, or
//! [`MAIN`](super::MAIN) if it entered none (and always `MAIN` without std
//! or under the model checkers, whose threads share OS thread-locals: models
//! pass interpreter ids explicitly).

use super::InterpId;

#[cfg(all(feature = "std", not(any(feature = "loom", feature = "shuttle"))))]
mod slot {
    use super::super::MAIN;
    use super::InterpId;
    use core::cell::Cell;

    std::thread_local! {
        static CURRENT: Cell<InterpId> = const { Cell::new(MAIN) };
    }

    pub(super) fn get() -> InterpId {
        CURRENT.with(Cell::get)
    }

    pub(super) fn replace(id: InterpId) -> InterpId {
        CURRENT.with(|c| c.replace(id))
    }
}

#[cfg(not(all(feature = "std", not(any(feature = "loom", feature = "shuttle")))))]
mod slot {
    use super::super::MAIN;
    use super::InterpId;

    pub(super) fn get() -> InterpId {
        MAIN
    }

    pub(super) fn replace(_id: InterpId) -> InterpId {
        MAIN
    }
}

/// The calling thread's interpreter, as set by [`enter`].
pub fn thread_current() -> InterpId {
    slot::get()
}

/// Makes `id` the calling thread's interpreter until the guard drops
/// (which restores the previous one; guards nest).
pub fn enter(id: InterpId) -> Entered {
    Entered {
        prev: slot::replace(id),
    }
}

/// Restores the previous current interpreter on drop.
///
/// ```
/// use xikernel::interp::{enter, thread_current};
/// use xikernel::{InterpId, MAIN};
/// {
///     let _in_sub = enter(InterpId(3));
///     assert_eq!(thread_current(), InterpId(3));
/// }
/// assert_eq!(thread_current(), MAIN); // restored when the guard dropped
/// ```
#[derive(Debug)]
#[must_use = "the interpreter is current only while the guard lives"]
pub struct Entered {
    prev: InterpId,
}

impl Drop for Entered {
    fn drop(&mut self) {
        slot::replace(self.prev);
    }
}
