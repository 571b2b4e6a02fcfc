//! Arbitrary bytes -> decode. Never panics; whatever is accepted must
//! re-encode to exactly the same bytes (canonical format).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xikernel::xidata::{decode, encoded_len, to_vec};

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = decode(data) {
        let again = to_vec(&v).expect("a decoded value always encodes");
        assert_eq!(again, data, "accepted a non-canonical encoding");
        assert_eq!(encoded_len(&v), Ok(data.len()));
    }
});
