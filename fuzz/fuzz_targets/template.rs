//! Payload Template compile + render: [`expressway::fuzzing::template`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| expressway::fuzzing::template(data));
