//! Interpreter identities.
//!
//! Every channel (and later queue) operation names the interpreter that
//! performs it: ends are associated per interpreter on first use, and items
//! remember the interpreter that sent them so they can be unbound when it is
//! destroyed. The full interpreter lifecycle (registry, `whence`, running
//! state) comes with a later issue and will extend this module.

use core::fmt;

/// An interpreter id. CPython numbers interpreters from 0 (the main
/// interpreter) upwards and never reuses an id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct InterpId(pub u64);

/// The main interpreter.
pub const MAIN: InterpId = InterpId(0);

impl fmt::Display for InterpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
