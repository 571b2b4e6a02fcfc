//! Reference models, history recording, linearizability checking and the
//! verification campaign for xikernel.

pub mod reference;
