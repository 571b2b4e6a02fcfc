//! Prerequisites a row may need beyond stable Rust, probed once per
//! campaign: a row whose prerequisite is missing is SKIPPED with the reason
//! (console and report), never run into a failure.
//!
//! Catalogue entries name theirs with `requires = "<name>"`
//! (`verify/mutations/README.md`); the tool rows probe their own.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use super::exec;

/// The prerequisites a catalogue entry may name.
pub const KNOWN: &[&str] = &[CPYTHON, MIRI, CARGO_FUZZ];

/// CPython 3.13 as `python/build.sh` finds it.
pub const CPYTHON: &str = "cpython3.13";
/// A nightly toolchain with Miri.
pub const MIRI: &str = "miri";
/// `cargo fuzz`.
pub const CARGO_FUZZ: &str = "cargo-fuzz";

/// The same search as `python/build.sh` and `python/run-cpython-tests.sh`:
/// `PYO3_PYTHON`, else pyenv's 3.13.0, else `python3` with
/// `PYENV_VERSION=3.13.0`; it must report version 3.13.
const FIND_CPYTHON: &str = r#"
py="${PYO3_PYTHON:-}"
if [ -z "$py" ] && command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.13.0/bin/python3" ]; then
  py="$(pyenv root)/versions/3.13.0/bin/python3"
fi
[ -n "$py" ] || py="$(PYENV_VERSION=3.13.0 python3 -c 'import sys; print(sys.executable)')"
"$py" -c 'import sys; assert sys.version_info[:2] == (3, 13)'
"#;

fn probe_script(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        CPYTHON => (
            FIND_CPYTHON,
            "no CPython 3.13 (pyenv's 3.13.0 or PYO3_PYTHON): `pyenv install 3.13.0`",
        ),
        MIRI => (
            "cargo +nightly miri --version",
            "nightly Miri not installed (rustup component add miri --toolchain nightly)",
        ),
        CARGO_FUZZ => (
            "cargo fuzz --version",
            "cargo-fuzz not installed (cargo install cargo-fuzz --locked)",
        ),
        _ => return None,
    })
}

/// Probe results, cached for the campaign.
#[derive(Default)]
pub struct Prereqs {
    seen: RefCell<BTreeMap<String, Result<(), String>>>,
}

impl Prereqs {
    /// `Ok` if `name` is available here, else the reason to print.
    pub fn check(&self, name: &str, root: &Path) -> Result<(), String> {
        if let Some(r) = self.seen.borrow().get(name) {
            return r.clone();
        }
        let r = match probe_script(name) {
            None => Err(format!("unknown prerequisite {name:?}")),
            Some((script, reason)) if !exec::probe(script, root) => Err(reason.to_string()),
            Some(_) => Ok(()),
        };
        self.seen.borrow_mut().insert(name.to_string(), r.clone());
        r
    }
}
