//! The `mlform` binary: parses arguments and runs the command.

fn main() -> anyhow::Result<()> {
    let code = mlform::cli::run(std::env::args().collect());
    std::process::exit(code);
}
