//! Exception snapshots: what CPython carries when an exception crosses
//! interpreters (`_PyXI_excinfo`). The class never crosses, only strings.

use super::pystr::{PyString, StrRef};
use alloc::vec::Vec;

/// An exception captured in one interpreter, rebuilt as plain strings in
/// another (CPython exposes it as `ExecutionFailed.excinfo`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExceptionSnapshot {
    /// `type(exc).__name__`.
    pub type_name: PyString,
    /// `type(exc).__qualname__`.
    pub qualname: PyString,
    /// `type(exc).__module__`.
    pub module: PyString,
    /// `str(exc)`.
    pub msg: PyString,
    /// The one-liner, e.g. `json.decoder.JSONDecodeError: bad`
    /// (see [`format_oneliner`]).
    pub formatted: PyString,
    /// `traceback.TracebackException(...).format()` joined, without the
    /// trailing newline; `None` when formatting failed in the source.
    pub traceback: Option<PyString>,
}

/// Borrowed [`ExceptionSnapshot`], as the streaming decoder yields it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExceptionRef<'a> {
    /// `type(exc).__name__`.
    pub type_name: StrRef<'a>,
    /// `type(exc).__qualname__`.
    pub qualname: StrRef<'a>,
    /// `type(exc).__module__`.
    pub module: StrRef<'a>,
    /// `str(exc)`.
    pub msg: StrRef<'a>,
    /// The formatted one-liner.
    pub formatted: StrRef<'a>,
    /// The traceback text, if any.
    pub traceback: Option<StrRef<'a>>,
}

impl ExceptionRef<'_> {
    /// An owned copy.
    pub fn to_snapshot(&self) -> ExceptionSnapshot {
        ExceptionSnapshot {
            type_name: self.type_name.to_owned(),
            qualname: self.qualname.to_owned(),
            module: self.module.to_owned(),
            msg: self.msg.to_owned(),
            formatted: self.formatted.to_owned(),
            traceback: self.traceback.map(|t| t.to_owned()),
        }
    }
}

impl ExceptionSnapshot {
    /// A snapshot whose `formatted` field follows CPython's rule
    /// ([`format_oneliner`]).
    pub fn new(
        type_name: PyString,
        qualname: PyString,
        module: PyString,
        msg: PyString,
        traceback: Option<PyString>,
    ) -> Self {
        let formatted = format_oneliner(qualname.as_ref(), module.as_ref(), msg.as_ref());
        Self {
            type_name,
            qualname,
            module,
            msg,
            formatted,
            traceback,
        }
    }

    /// Borrowed view.
    pub fn as_ref(&self) -> ExceptionRef<'_> {
        ExceptionRef {
            type_name: self.type_name.as_ref(),
            qualname: self.qualname.as_ref(),
            module: self.module.as_ref(),
            msg: self.msg.as_ref(),
            formatted: self.formatted.as_ref(),
            traceback: self.traceback.as_ref().map(PyString::as_ref),
        }
    }
}

/// CPython's `_format_TracebackException` one-liner: `module.qualname: msg`,
/// the module omitted for `builtins` and `__main__`, the `: msg` part
/// omitted when `msg` is empty.
pub fn format_oneliner(qualname: StrRef<'_>, module: StrRef<'_>, msg: StrRef<'_>) -> PyString {
    let mut out = Vec::new();
    let m = module.as_bytes();
    if m != b"builtins" && m != b"__main__" {
        out.extend_from_slice(m);
        out.push(b'.');
    }
    out.extend_from_slice(qualname.as_bytes());
    if !msg.as_bytes().is_empty() {
        out.extend_from_slice(b": ");
        out.extend_from_slice(msg.as_bytes());
    }
    // Concatenating generalized UTF-8 with ASCII stays generalized UTF-8.
    PyString::from_generalized_utf8(out).unwrap_or_default()
}
