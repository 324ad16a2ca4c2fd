//! The `nadoo-flow` command.
//!
//! ```text
//! nadoo-flow backends [--json]
//! nadoo-flow run FILE [--backend NAME] [--config FILE] [--set key=value]... [--json]
//! nadoo-flow validate FILE [--json]
//! nadoo-flow graph FILE [--format dot|mermaid]
//! nadoo-flow worker [--backend NAME] [--config FILE]
//! ```
//!
//! Exit codes: 0 success; 1 workflow failed, interrupted or invalid; 2 usage, configuration or
//! registry error.

mod backends;
mod failure;
mod graph;
mod run;
mod validate;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::failure::Failure;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Run workflows written in TOML on any linked backend.
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
    /// Run a workflow file.
    Run {
        /// The workflow file (TOML).
        file: PathBuf,
        /// The backend to run on (default: from --config, NADOO_BACKEND, else `native`).
        #[arg(long, value_name = "NAME")]
        backend: Option<String>,
        /// A nadoo.toml with the default backend, engine options and backend settings.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Set a global: `--set topic=rust`. Values are read as JSON when they parse
        /// (`--set n=3`, `--set tags='["a"]'`), as text otherwise. Repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Print one JSON object: status, outputs, globals, path, error.
        #[arg(long)]
        json: bool,
    },
    /// Check a workflow file without running it.
    Validate {
        /// The workflow file (TOML).
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Serve a distributed backend's node executions until interrupted (Ctrl-C).
    Worker {
        /// The backend (default: from --config, NADOO_BACKEND, else the registry's default).
        #[arg(long, value_name = "NAME")]
        backend: Option<String>,
        /// A nadoo.toml with the backend's settings.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Draw a workflow file's graph.
    Graph {
        /// The workflow file (TOML).
        file: PathBuf,
        /// The output language.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
}

/// Graph languages `graph` can write.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// Graphviz: `nadoo-flow graph wf.toml | dot -Tsvg > wf.svg`.
    Dot,
    /// Mermaid, for Markdown that renders it (GitHub, GitLab, docs sites).
    Mermaid,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Backends { json } => backends::run(json),
        Command::Run {
            file,
            backend,
            config,
            set,
            json,
        } => run::run(&run::Args {
            file,
            backend,
            config,
            set,
            json,
        }),
        Command::Validate { file, json } => validate::run(&file, json),
        Command::Graph { file, format } => graph::run(&file, format),
        Command::Worker { backend, config } => worker::run(backend, config),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
