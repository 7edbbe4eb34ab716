//! Reference Path / JSONPath parse + evaluate + assign: [`expressway::fuzzing::path`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| expressway::fuzzing::path(data));
