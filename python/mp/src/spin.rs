//! Polling before sleeping (see [`SPIN`]).

use core::time::Duration;

/// How long a blocking call polls (GIL held) before it sleeps. A
/// consumer that keeps up with its producers finds the queue empty most of
/// the time: sleeping at once would cost each item a futex wait and a
/// futex wake (microseconds each); a short poll sees the next item arrive
/// instead. Bounded and yielding, so an idle queue costs one slice of CPU
/// per call, then sleeps.
pub(crate) const SPIN: Duration = Duration::from_micros(50);

/// Polls `ready` for up to [`SPIN`]; true as soon as it says so.
pub(crate) fn spin(ready: impl Fn() -> bool) -> bool {
    let start = std::time::Instant::now();
    let mut i = 0u32;
    loop {
        if ready() {
            return true;
        }
        i += 1;
        if i & 63 == 0 {
            if start.elapsed() >= SPIN {
                return false;
            }
            // Two cores shared by many processes: let the producer run.
            std::thread::yield_now();
        } else {
            core::hint::spin_loop();
        }
    }
}
