//! Benches of xikernel against its peers (being written).
