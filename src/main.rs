//! The `mlform` binary: parses arguments and runs the command.

/// mimalloc: the model server allocates per request on several threads at once, where
/// glibc's allocator spends its time in arena locks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let command = args.iter().skip(1).find(|a| !a.starts_with('-'));
    if command.map(String::as_str) != Some("serve") {
        // `mlform plan | head`: output to a closed pipe ends the process quietly, as other
        // command-line tools (and Terraform) do, instead of a panic in println!. The model
        // server keeps Rust's default, where a client that hangs up is an error to handle.
        // SAFETY: called before any other thread exists; SIG_DFL is a valid disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let code = mlform::cli::run(args);
    std::process::exit(code);
}
