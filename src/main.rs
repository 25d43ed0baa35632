//! The `mlform` binary: parses arguments and runs the command.

/// mimalloc: the model server allocates per request on several threads at once, where
/// glibc's allocator spends its time in arena locks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let code = mlform::cli::run(std::env::args().collect());
    std::process::exit(code);
}
