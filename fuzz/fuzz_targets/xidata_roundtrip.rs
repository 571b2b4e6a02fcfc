//! Arbitrary `Value` -> encode -> decode must give the same value
//! (bit-exact floats), through both decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xikernel::xidata::{decode, encode_to_slice, encoded_len, to_vec};
use xikernel_fuzz::{arb_value, via_events};

fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(v) = arb_value(&mut u, 0) else { return };
    let bytes = to_vec(&v).expect("generated values are shallow");
    assert_eq!(encoded_len(&v), Ok(bytes.len()));
    assert_eq!(decode(&bytes).as_ref(), Ok(&v));
    assert_eq!(via_events(&bytes).as_ref(), Ok(&v));
    let mut buf = vec![0u8; bytes.len()];
    assert_eq!(encode_to_slice(&v, &mut buf), Ok(bytes.len()));
    assert_eq!(buf, bytes);
});
