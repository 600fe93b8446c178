//! `pipeline-pulse`: parse the command line, run it, map the outcome to an
//! exit code (0 ok, 1 job failed, 2 configuration or usage, 3 data warnings).

use std::process::ExitCode;

use clap::Parser;
use pipeline_pulse::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}
