//! `expressway-loadtest`: open-loop load generator for expressway.
fn main() {
    eprintln!("expressway-loadtest: not built yet (see issue 3)");
    std::process::exit(2);
}
