//! The shared library of the `xikernel` Python package: one cdylib that
//! exports the init function of every extension module of the binding.
//!
//! CPython finds an extension module's init function by the *last
//! component of the name it imports*, not by the file name: an
//! `ExtensionFileLoader("_interpqueues", path)` looks up
//! `PyInit__interpqueues` in `path`. The package's import hook
//! (`xikernel/_hook.py`) therefore serves `_interpqueues` and
//! `_interpchannels` from this one file, which the dynamic loader maps
//! once per process. Two cdylibs (one per module) would each carry their
//! own copy of the kernel and of `xikernel-py`'s statics, so a value
//! released by one module could be queued for a drain the other never
//! runs; here there is exactly one copy.
//!
//! The re-exports below are what keeps the init functions in the export
//! table: an rlib's `#[no_mangle]` item that nothing names could be left
//! out of the link.

pub use xikernel_interpchannels::PyInit__interpchannels;
pub use xikernel_interpqueues::PyInit__interpqueues;
pub use xikernel_mp::PyInit__xikernel_mp;
