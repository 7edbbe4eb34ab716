//! The API integration tests: one test binary, every module sharing one
//! harness ([`harness`]: the real router on 127.0.0.1:0). Unit tests that
//! need private items stay beside their code in `src/`.

mod harness;

mod activities;
mod admission;
mod callbacks;
mod key_order;
mod logging;
mod nested;
mod operations;
mod parity;
mod stop;
mod test_state;
mod versions;
