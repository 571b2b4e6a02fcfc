//! Locks, yields and thread-locals for the planted-bug queues and the
//! channel workload (`stress_channel`): `std`'s normally, shuttle's
//! under the `shuttle` feature, so the same queues race under real threads
//! (`stress`) and under shuttle's controlled schedules (`shuttle_lin`).
//!
//! Under shuttle a `std` lock would be invisible to the scheduler (a
//! contended one would block the only OS thread) and `std`'s `yield_now`
//! would not be a scheduling point, so the bugs could never show.

#[cfg(feature = "shuttle")]
pub use shuttle::thread_local;
#[cfg(feature = "shuttle")]
pub use shuttle::{
    sync::{Mutex, TryLockError},
    thread::yield_now,
};
#[cfg(not(feature = "shuttle"))]
pub use std::thread_local;
#[cfg(not(feature = "shuttle"))]
pub use std::{
    sync::{Mutex, TryLockError},
    thread::yield_now,
};
