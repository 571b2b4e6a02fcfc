//! The extension-type registry: maps a numeric tag (what travels) to a
//! type name (what runtimes agree on) and an optional payload validator.
//!
//! Unlike CPython's registry (keyed by class object, one per interpreter
//! plus a global one), this one is keyed by *wire tag*: it is what both
//! sides of a queue must agree on. A runtime keeps its own class -> tag map.
//! Lookups take a short lock; registration is rare.

use super::error::DecodeErrorKind;
use crate::sync::Mutex;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Checks an extension payload; `false` rejects the value at decode time.
pub type Validator = fn(&[u8]) -> bool;

/// One registered extension type.
#[derive(Clone)]
pub struct ExtType {
    /// Wire tag.
    pub tag: u64,
    /// Unique name, e.g. `"interpreters.Queue"`.
    pub name: String,
    /// Optional payload check run by the decoder.
    pub validate: Option<Validator>,
}

impl fmt::Debug for ExtType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtType")
            .field("tag", &self.tag)
            .field("name", &self.name)
            .field("validate", &self.validate.is_some())
            .finish()
    }
}

/// Why a registration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The tag is already registered (under the given name).
    TagInUse(String),
    /// The name is already registered (under the given tag).
    NameInUse(u64),
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TagInUse(name) => write!(f, "tag already registered as {name:?}"),
            Self::NameInUse(tag) => write!(f, "name already registered with tag {tag}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for RegistryError {}

/// A table of extension types, sorted by tag.
#[derive(Debug, Default)]
pub struct Registry {
    types: Mutex<Vec<ExtType>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `name` under `tag`. Both must be unused.
    pub fn register(
        &self,
        tag: u64,
        name: &str,
        validate: Option<Validator>,
    ) -> Result<(), RegistryError> {
        let mut types = self.types.lock();
        if let Some(t) = types.iter().find(|t| t.name == name) {
            return Err(RegistryError::NameInUse(t.tag));
        }
        match types.binary_search_by_key(&tag, |t| t.tag) {
            Ok(i) => Err(RegistryError::TagInUse(types[i].name.clone())),
            Err(i) => {
                types.insert(
                    i,
                    ExtType {
                        tag,
                        name: name.into(),
                        validate,
                    },
                );
                Ok(())
            }
        }
    }

    /// Removes `tag`; returns the removed entry.
    pub fn unregister(&self, tag: u64) -> Option<ExtType> {
        let mut types = self.types.lock();
        let i = types.binary_search_by_key(&tag, |t| t.tag).ok()?;
        Some(types.remove(i))
    }

    /// The entry for `tag`.
    pub fn by_tag(&self, tag: u64) -> Option<ExtType> {
        let types = self.types.lock();
        let i = types.binary_search_by_key(&tag, |t| t.tag).ok()?;
        Some(types[i].clone())
    }

    /// The entry named `name`.
    pub fn by_name(&self, name: &str) -> Option<ExtType> {
        self.types.lock().iter().find(|t| t.name == name).cloned()
    }

    /// The decoder's check: registered, and the validator (if any) accepts.
    pub(crate) fn check(&self, tag: u64, payload: &[u8]) -> Result<(), DecodeErrorKind> {
        let validate = {
            let types = self.types.lock();
            match types.binary_search_by_key(&tag, |t| t.tag) {
                Ok(i) => types[i].validate,
                Err(_) => return Err(DecodeErrorKind::UnknownExtension(tag)),
            }
        };
        // Run user code outside the lock.
        match validate {
            Some(f) if !f(payload) => Err(DecodeErrorKind::InvalidExtensionPayload(tag)),
            _ => Ok(()),
        }
    }

    /// The process-wide default registry (std only, not under the model
    /// checkers, whose locks cannot live in statics).
    #[cfg(all(feature = "std", not(any(feature = "loom", feature = "shuttle"))))]
    pub fn global() -> &'static Registry {
        static GLOBAL: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
        GLOBAL.get_or_init(Registry::new)
    }
}
