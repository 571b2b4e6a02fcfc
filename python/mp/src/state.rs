//! Per-interpreter module state: the Python objects the queue calls back
//! into (`queue.Full`, `queue.Empty`, the pickler), installed by
//! `xikernel.mp` through `_setup`.

use core::ffi::{c_int, c_void};
use core::ptr;

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;
use xikernel_py::ffi::{self as pf, FastArgs, Owned, PyErrSet, PyResult};
use xikernel_py::module;

/// `m_size` bytes, zeroed by CPython at module creation.
#[repr(C)]
pub struct State {
    pub full: *mut PyObject,
    pub empty: *mut PyObject,
    pub dumps: *mut PyObject,
    pub loads: *mut PyObject,
}

impl State {
    fn slots(&mut self) -> [*mut *mut PyObject; 4] {
        [
            &mut self.full,
            &mut self.empty,
            &mut self.dumps,
            &mut self.loads,
        ]
    }
}

/// The state of the module that defined `obj`'s type (found through the
/// MRO, so Python subclasses work).
///
/// # Safety
/// GIL held; `obj` live.
pub unsafe fn of(obj: *mut PyObject) -> PyResult<&'static State> {
    // SAFETY: GIL held; PyType_GetModuleByDef returns a borrowed module or
    // NULL + TypeError; our def's m_size is size_of::<State>(), and the
    // module outlives every instance of its types (they reference it).
    unsafe {
        let m = ffi::PyType_GetModuleByDef(ffi::Py_TYPE(obj), ptr::addr_of_mut!(crate::MODULE_DEF));
        if m.is_null() {
            return Err(PyErrSet);
        }
        let st = &*module::state::<State>(m);
        if st.full.is_null() {
            return Err(pf::runtime_error(
                "_xikernel_mp is not set up: import xikernel.mp",
            ));
        }
        Ok(st)
    }
}

/// `_setup(full, empty, dumps, loads)`.
///
/// # Safety
/// CPython calls it with the GIL held, our module and vectorcall arguments.
pub unsafe extern "C" fn setup(
    m: *mut PyObject,
    args: *const *mut PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut PyObject,
) -> *mut PyObject {
    let a = FastArgs {
        args,
        nargsf,
        kwnames,
    };
    // SAFETY: GIL held; the parsed arguments are borrowed for the call and
    // each stored slot takes its own reference.
    unsafe {
        let Ok(v) = a.parse(c"_setup", [c"full", c"empty", c"dumps", c"loads"], 4) else {
            return ptr::null_mut();
        };
        let st = &mut *module::state::<State>(m);
        for (slot, obj) in st.slots().into_iter().zip(v) {
            let o = Owned::from_borrowed(ptr::NonNull::new_unchecked(obj));
            module::set_slot(slot, Some(o));
        }
        pf::ret(Ok(pf::none()))
    }
}

/// # Safety
/// CPython calls it with a module of our def.
pub unsafe extern "C" fn traverse(
    m: *mut PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: GIL held by the collector; slots hold live references or NULL.
    unsafe {
        let st = module::state::<State>(m);
        if st.is_null() {
            return 0;
        }
        for slot in (*st).slots() {
            if !(*slot).is_null() {
                let r = visit(*slot, arg);
                if r != 0 {
                    return r;
                }
            }
        }
    }
    0
}

/// # Safety
/// CPython calls it with a module of our def.
pub unsafe extern "C" fn clear(m: *mut PyObject) -> c_int {
    // SAFETY: GIL held; set_slot drops the reference each slot owned.
    unsafe {
        let st = module::state::<State>(m);
        if st.is_null() {
            return 0;
        }
        for slot in (*st).slots() {
            module::set_slot(slot, None);
        }
    }
    0
}

/// # Safety
/// CPython calls it with a module of our def.
pub unsafe extern "C" fn free(m: *mut c_void) {
    // SAFETY: as `clear`.
    unsafe {
        clear(m.cast());
    }
}
