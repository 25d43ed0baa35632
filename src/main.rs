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
    let args = match chdir(args) {
        Ok(a) => a,
        Err(message) => {
            eprintln!("Error: {message}");
            std::process::exit(1);
        }
    };
    let code = mlform::cli::run(args);
    std::process::exit(code);
}

/// As Terraform: `-chdir=DIR` (before the command) switches the process's working directory
/// first, so relative paths in the configuration (`path.module`, `file()`, an object's
/// `source`) and on the command line are the root module's. The flag is consumed here.
fn chdir(mut args: Vec<String>) -> Result<Vec<String>, String> {
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        if !a.starts_with('-') {
            break;
        }
        let (dir, taken) = match a.split_once('=') {
            Some(("-chdir" | "--chdir", d)) => (Some(d.to_string()), 1),
            None if a == "-chdir" || a == "--chdir" => (args.get(i + 1).cloned(), 2),
            _ => (None, 0),
        };
        if taken > 0 {
            let dir = dir.ok_or("-chdir needs a directory: -chdir=DIR")?;
            std::env::set_current_dir(&dir)
                .map_err(|e| format!("cannot use directory {dir}: {e}"))?;
            args.drain(i..i + taken);
            continue;
        }
        i += 1;
    }
    Ok(args)
}
