//! Intrinsic Function parse + evaluate: [`expressway::fuzzing::intrinsic`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| expressway::fuzzing::intrinsic(data));
