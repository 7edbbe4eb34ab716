//! JSONata compile + evaluate under the evaluation budget: [`expressway::fuzzing::jsonata`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| expressway::fuzzing::jsonata(data));
