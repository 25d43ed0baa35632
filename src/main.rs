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
        // Transparent huge pages make mimalloc's arenas resident 2 MiB at a time: worth it
        // for the long-running model server, not for a command that lives for seconds (a
        // 2000-resource plan peaks 14 MiB lower without them; docs/benchmarks.md).
        // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag on this process.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
    let code = mlform::cli::run(args);
    std::process::exit(code);
}
