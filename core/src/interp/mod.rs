//! Interpreter identities and lifecycle (CPython's `_interpreters`).
//!
//! [`Interpreters`] is the registry: the main interpreter (id 0, created
//! with the registry, always running), `create` / `destroy` / `list_all`,
//! the running mark the runtime sets while code executes in an
//! interpreter's `__main__`, and the per-interpreter **pending-release
//! queue** that routes [`XiData`] releases to their owner (CPython's
//! pending calls).
//!
//! ## Destroy
//!
//! `destroy` refuses the current interpreter and a running one (typed
//! errors), then, in this order: marks it destroying (so it cannot be
//! marked running again), unlinks it (so release routing stops targeting
//! it), closes and drains its pending-release queue (releasing each datum
//! here: the owner will never run again), and asks every registry it is
//! given ([`ClearInterpreter`]: queues, channels) to apply the unbound
//! policy of its items.
//!
//! ## Release routing, exactly once
//!
//! [`release_data`](Interpreters::release_data) releases inline when the
//! caller is the owner or the owner is gone; otherwise it pushes the datum
//! on the owner's pending list (lock-free) and signals the runtime. A push
//! that races the owner's destroy either lands before the close (and the
//! destroy drains it) or is refused (and the caller releases it): the
//! list's close is one atomic step, so no datum is dropped twice or never.
//!
//! [`Interpreters::router`] makes this the release function of a queue or
//! channel registry ([`ReleaseFn`]): the one release path of the kernel.

mod current;

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

pub use self::current::{enter, thread_current, Entered};
use crate::list::List;
use crate::lockorder::{OrderedMutex, Rank};
use crate::owner::ReleaseFn;
#[doc(no_inline)]
pub use crate::owner::{ClearInterpreter, InterpId, MAIN};
use crate::sync::Arc;
use crate::table::Table;
use crate::xidata::XiData;

/// Who created an interpreter (CPython's `WHENCE_*`).
///
/// ```
/// use xikernel::{Interpreters, Whence, MAIN};
/// let interps = Interpreters::new();
/// let sub = interps.create().unwrap();
/// assert_eq!(interps.whence(MAIN), Ok(Whence::Runtime));
/// assert_eq!(interps.whence(sub), Ok(Whence::Stdlib));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub enum Whence {
    /// Not known.
    Unknown = 0,
    /// The runtime itself (the main interpreter).
    Runtime = 1,
    /// `Py_NewInterpreter`.
    LegacyCapi = 2,
    /// `Py_NewInterpreterFromConfig`.
    Capi = 3,
    /// The cross-interpreter machinery.
    Xi = 4,
    /// The `interpreters` module (our `create`).
    Stdlib = 5,
}

/// Why an interpreter operation failed (CPython's `InterpreterError` /
/// `InterpreterNotFoundError` messages).
///
/// ```
/// use xikernel::{InterpError, InterpId, Interpreters};
///
/// let interps = Interpreters::new();
/// let err = interps.whence(InterpId(99)).unwrap_err();
/// assert!(err.is_not_found());
/// assert_eq!(err.to_string(), "unrecognized interpreter ID 99");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum InterpError {
    /// `InterpreterNotFoundError`: unknown or destroyed.
    NotFound(InterpId),
    /// Destroying the calling interpreter.
    Current(InterpId),
    /// Destroying an interpreter that is running.
    Running(InterpId),
    /// Marking a running interpreter running again.
    AlreadyRunning(InterpId),
    /// Every interpreter id has been used.
    IdsExhausted,
}

impl InterpError {
    /// Whether Python raises `InterpreterNotFoundError` (else
    /// `InterpreterError`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, InterpError::NotFound(_))
    }
}

impl fmt::Display for InterpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterpError::NotFound(id) => write!(f, "unrecognized interpreter ID {id}"),
            InterpError::Current(_) => f.write_str("cannot destroy the current interpreter"),
            InterpError::Running(_) => f.write_str("interpreter running"),
            InterpError::AlreadyRunning(_) => f.write_str("interpreter already running"),
            InterpError::IdsExhausted => f.write_str("interpreter creation failed"),
        }
    }
}

impl core::error::Error for InterpError {}

#[derive(Debug, Default)]
struct State {
    running: bool,
    destroying: bool,
}

struct Interp {
    whence: Whence,
    state: OrderedMutex<State>,
    /// Releases routed here from other interpreters, drained by the runtime.
    pending: List<XiData>,
}

type CurrentHook = Box<dyn Fn() -> InterpId + Send + Sync>;
type PendingSignal = Box<dyn Fn(InterpId) + Send + Sync>;

/// The interpreter registry. See the module docs.
///
/// ```
/// use xikernel::{InterpError, Interpreters, Queues, Channels, MAIN};
///
/// let interps = Interpreters::new();
/// let (queues, chans) = (Queues::<u8>::new(), Channels::<u8>::new());
/// let sub = interps.create().unwrap();
/// interps.set_running(sub, true).unwrap();
/// assert_eq!(interps.destroy_from(MAIN, sub, &[&queues, &chans]), Err(InterpError::Running(sub)));
/// interps.set_running(sub, false).unwrap();
/// interps.destroy_from(MAIN, sub, &[&queues, &chans]).unwrap();
/// assert_eq!(interps.list_all().len(), 1); // main only
/// ```
pub struct Interpreters {
    table: Table<Interp>,
    current: Option<CurrentHook>,
    signal: Option<PendingSignal>,
}

impl fmt::Debug for Interpreters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interpreters")
            .field("table", &self.table)
            .finish()
    }
}

impl Default for Interpreters {
    fn default() -> Self {
        Self::new()
    }
}

impl Interpreters {
    /// A registry holding only the main interpreter (id 0, running).
    pub fn new() -> Self {
        let table = Table::new(MAIN.0);
        // A fresh table always has id 0 free.
        let _ = table.insert_with(|_| Interp::new(Whence::Runtime, true));
        Self {
            table,
            current: None,
            signal: None,
        }
    }

    /// Answers [`get_current`](Self::get_current) with `hook` instead of the
    /// thread-local default.
    pub fn with_current_hook(mut self, hook: CurrentHook) -> Self {
        self.current = Some(hook);
        self
    }

    /// Calls `signal(owner)` after a release was queued for `owner`, so the
    /// runtime can schedule [`run_pending`](Self::run_pending) there
    /// (CPython: `_PyEval_SignalReceived`). It runs on the releasing thread.
    pub fn with_pending_signal(mut self, signal: PendingSignal) -> Self {
        self.signal = Some(signal);
        self
    }

    /// The calling code's interpreter: the hook's answer, else the
    /// thread-local one ([`enter`]).
    pub fn get_current(&self) -> InterpId {
        match &self.current {
            Some(hook) => hook(),
            None => thread_current(),
        }
    }

    pub fn get_main(&self) -> InterpId {
        MAIN
    }

    /// Creates an interpreter (`Whence::Stdlib`), not running.
    pub fn create(&self) -> Result<InterpId, InterpError> {
        self.create_with(Whence::Stdlib)
    }

    pub fn create_with(&self, whence: Whence) -> Result<InterpId, InterpError> {
        self.table
            .insert_with(|_| Interp::new(whence, false))
            .map(|(id, _)| InterpId(id))
            .map_err(|_| InterpError::IdsExhausted)
    }

    fn lookup(&self, id: InterpId) -> Result<Arc<Interp>, InterpError> {
        self.table.get(id.0).ok_or(InterpError::NotFound(id))
    }

    /// Every interpreter with its whence, in creation order (main first).
    pub fn list_all(&self) -> Vec<(InterpId, Whence)> {
        self.table
            .snapshot()
            .into_iter()
            .map(|(id, i)| (InterpId(id), i.whence))
            .collect()
    }

    pub fn whence(&self, id: InterpId) -> Result<Whence, InterpError> {
        Ok(self.lookup(id)?.whence)
    }

    pub fn is_running(&self, id: InterpId) -> Result<bool, InterpError> {
        Ok(self.lookup(id)?.state.lock().running)
    }

    /// The runtime marks `id` running while code executes in its
    /// `__main__` (`AlreadyRunning` if it is), and not running after.
    pub fn set_running(&self, id: InterpId, running: bool) -> Result<(), InterpError> {
        let interp = self.lookup(id)?;
        let mut st = interp.state.lock();
        if st.destroying {
            return Err(InterpError::NotFound(id));
        }
        if running && st.running {
            return Err(InterpError::AlreadyRunning(id));
        }
        st.running = running;
        Ok(())
    }

    /// Destroys `id` as seen from the current interpreter; see
    /// [`destroy_from`](Self::destroy_from).
    pub fn destroy(
        &self,
        id: InterpId,
        clear: &[&dyn ClearInterpreter],
    ) -> Result<(), InterpError> {
        self.destroy_from(self.get_current(), id, clear)
    }

    /// Destroys `id`, called from interpreter `current`: refuses `current`
    /// itself and a running interpreter; releases its pending data and
    /// applies the unbound policies in every registry of `clear`.
    pub fn destroy_from(
        &self,
        current: InterpId,
        id: InterpId,
        clear: &[&dyn ClearInterpreter],
    ) -> Result<(), InterpError> {
        if id == current {
            return Err(InterpError::Current(id));
        }
        let interp = self.lookup(id)?;
        {
            let mut st = interp.state.lock();
            if st.destroying {
                return Err(InterpError::NotFound(id));
            }
            if st.running {
                return Err(InterpError::Running(id));
            }
            st.destroying = true;
        }
        self.table.remove(id.0);
        interp.pending.close();
        while let Ok(data) = interp.pending.try_pop() {
            data.release();
        }
        for registry in clear {
            registry.clear_interpreter(id);
        }
        Ok(())
    }

    /// Releases `data` in its owner: inline if `current` owns it or the
    /// owner is gone, else queued on the owner's pending list. Exactly once.
    pub fn release_data(&self, data: XiData, current: InterpId) {
        let owner = data.owner();
        if owner == current {
            data.release();
            return;
        }
        let Ok(interp) = self.lookup(owner) else {
            data.release();
            return;
        };
        match interp.pending.try_push(data) {
            Ok(()) => {
                if let Some(signal) = &self.signal {
                    signal(owner);
                }
            }
            // Closed: the owner is being destroyed and has drained (or is
            // draining) its list; it will not see this one.
            Err(refused) => {
                refused.into_inner().release();
            }
        }
    }

    /// Runs `id`'s pending releases (the runtime calls this in `id`).
    /// Returns how many ran.
    pub fn run_pending(&self, id: InterpId) -> Result<usize, InterpError> {
        let interp = self.lookup(id)?;
        let mut n = 0;
        while let Ok(data) = interp.pending.try_pop() {
            data.release();
            n += 1;
        }
        Ok(n)
    }

    /// Number of releases waiting for `id`.
    pub fn pending_count(&self, id: InterpId) -> Result<usize, InterpError> {
        Ok(self.lookup(id)?.pending.len())
    }

    /// The release function for a registry of [`XiData`]
    /// ([`Queues::with_release`](crate::Queues::with_release),
    /// [`Channels::with_release`](crate::Channels::with_release)): releases
    /// each datum through [`release_data`](Self::release_data), with the
    /// releasing interpreter from [`get_current`](Self::get_current).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use xikernel::xidata::{Value, XiData};
    /// use xikernel::{InterpId, Interpreters, QueueDefaults, Queues, UnboundOp};
    ///
    /// let interps = Arc::new(Interpreters::new());
    /// let sub = interps.create().unwrap();
    /// let queues = Queues::new().with_release(Interpreters::router(&interps));
    /// let q = queues.create(0, QueueDefaults::default()).unwrap();
    /// let data = XiData::encode(&Value::from(1), sub, None).unwrap();
    /// queues.try_push(sub, q, data, UnboundOp::Replace).unwrap();
    /// // Destroyed from main: the datum is queued for `sub` to release.
    /// queues.destroy(q).unwrap();
    /// assert_eq!(interps.pending_count(sub), Ok(1));
    /// assert_eq!(interps.run_pending(sub), Ok(1));
    /// ```
    pub fn router(interps: &Arc<Self>) -> ReleaseFn<XiData> {
        let interps = interps.clone();
        Box::new(move |data, owner| {
            debug_assert_eq!(owner, data.owner(), "an item's owner is its data's owner");
            interps.release_data(data, interps.get_current())
        })
    }

    /// Number of live interpreters (main included).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

impl Interp {
    fn new(whence: Whence, running: bool) -> Self {
        Self {
            whence,
            state: OrderedMutex::new(
                Rank::ENTRY,
                State {
                    running,
                    destroying: false,
                },
            ),
            pending: List::new(),
        }
    }
}
