//! The `vigil` binary: argument parsing and dispatch. Each command lives in its
//! own module; library crates do the work.

mod args;
mod fields;
mod load;
mod output;
mod query_cmd;
mod report;
mod validate_cmd;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match &cli.command {
        args::Command::Query(q) => query_cmd::run(q),
        args::Command::Hunt(_) => {
            eprintln!("vigil: hunt is not available yet");
            ExitCode::from(2)
        }
        args::Command::Validate(v) => validate_cmd::run(v),
    }
}
