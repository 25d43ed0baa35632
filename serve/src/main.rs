//! `mlform-serve`: the serving image's entrypoint. Takes the same flags as `mlform serve`;
//! a leading `serve` word is accepted, since SageMaker starts containers as `IMAGE serve`.
//! With no model named it serves every `.onnx` file under /opt/ml/model.

use clap::Parser;

/// mimalloc: requests allocate on several threads at once, where glibc's allocator spends
/// its time in arena locks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "mlform-serve",
    version,
    about = "Serve ONNX models over KServe V2 and SageMaker's container contract"
)]
struct Cli {
    #[command(flatten)]
    args: mlform_serve::args::ServeArgs,
}

fn main() {
    let mut argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("serve") {
        argv.remove(1);
    }
    let cli = Cli::parse_from(argv);
    let options = match cli.args.into_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mlform-serve: {e}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mlform-serve: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let names: Vec<String> = options
        .models
        .iter()
        .map(|(n, p)| format!("{n} ({})", p.display()))
        .collect();
    let result = runtime.block_on(mlform_serve::serve(options, |addr, grpc| {
        eprintln!(
            "mlform-serve: listening on http://{addr}; {}models: {}",
            grpc.map(|g| format!("gRPC on {g}; ")).unwrap_or_default(),
            names.join(", ")
        )
    }));
    if let Err(e) = result {
        eprintln!("mlform-serve: {e}");
        std::process::exit(1);
    }
    eprintln!("mlform-serve: stopped");
}
