//! # xikernel-py
//!
//! What xikernel's CPython 3.13 extension modules (`_interpqueues`,
//! `_interpchannels`) share, over raw `pyo3-ffi` (high-level pyo3 refuses
//! sub-interpreters with their own GIL):
//!
//! - [`ffi`]: an owned reference with `Py_DECREF` on drop, exception
//!   helpers, CPython-exact argument parsing;
//! - [`convert`]: Python objects ⇄ kernel XI data (the codec, plus CPython's
//!   own cross-interpreter data for what the codec does not carry);
//! - [`crossinterp`]: the one module bound to CPython 3.13's private
//!   `_PyCrossInterpreterData` API;
//! - [`interp`]: interpreter ids, the per-interpreter finalisation hook,
//!   releasing the GIL around kernel waits;
//! - [`module`]: multi-phase initialisation and module-state helpers.
//!
//! Every function touching Python objects requires the GIL of the calling
//! interpreter; they say so in `# Safety`.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod convert;
pub mod crossinterp;
pub mod ffi;
pub mod interp;
pub mod module;
