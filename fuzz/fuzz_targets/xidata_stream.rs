//! Differential: the streaming decoder and the owned decoder must accept
//! the same inputs, build the same value, and fail with the same error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xikernel::xidata::decode;
use xikernel_fuzz::via_events;

fuzz_target!(|data: &[u8]| {
    assert_eq!(decode(data), via_events(data));
});
