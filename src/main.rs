//! The `expressway` command.
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() {
    eprintln!("expressway: in progress");
}
