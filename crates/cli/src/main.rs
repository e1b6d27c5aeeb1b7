//! The `vigil` binary: argument parsing and dispatch. Each command lives in its
//! own module; library crates do the work.

mod allocator;
mod args;
mod fields;
mod hunt_cmd;
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
        args::Command::Hunt(h) => hunt_cmd::run(h),
        args::Command::Validate(v) => validate_cmd::run(v),
    }
}
