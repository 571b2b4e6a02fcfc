//! Linux: the memfd segment, futexes, process liveness, fd passing.

pub mod fdpass;
pub mod owner;
pub mod segment;
