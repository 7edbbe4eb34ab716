//! The `expressway` command; see [`expressway::cli`].

use expressway::allocator::Allocator;

#[global_allocator]
static GLOBAL: Allocator = Allocator;

fn main() -> std::process::ExitCode {
    expressway::cli::main()
}
