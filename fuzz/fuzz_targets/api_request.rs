//! The API request decoder (X-Amz-Target + JSON body through the router):
//! [`expressway::fuzzing::api_requests`], on a runtime with a paused clock.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // A fresh runtime per input: nothing spawned by one input outlives it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a tokio runtime");
    runtime.block_on(expressway::fuzzing::api_requests(data));
});
