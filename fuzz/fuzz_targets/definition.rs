//! Definition load + validate + compile: [`expressway::fuzzing::definition`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| expressway::fuzzing::definition(data));
