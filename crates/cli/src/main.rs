//! The `nadoo-flow` command.
//!
//! ```text
//! nadoo-flow backends [--json]    list linked backends
//! ```
//!
//! Exit codes: 0 success; 1 workflow failed, interrupted or invalid; 2 usage, configuration or
//! registry error.

mod backends;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run workflows on any linked backend.
#[derive(Debug, Parser)]
#[command(name = "nadoo-flow", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the linked backends: name, version, crate, capabilities, description.
    Backends {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// How a command ended, mapped onto the exit codes of the CLI contract.
#[derive(Debug)]
enum Failure {
    /// Usage, configuration or registry error: exit code 2.
    Usage(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Backends { json } => backends::run(json),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
