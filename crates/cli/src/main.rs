//! The `nadoo-flow` command.
//!
//! ```text
//! nadoo-flow backends [--json]
//! nadoo-flow stores [--json]
//! nadoo-flow run FILE [--backend NAME] [--config FILE] [--set key=value]... [--json [--events]]
//!                     [--store URL|none] [--run-id ID] [--quiet]
//! nadoo-flow resume ID [--store URL] [--set key=value]... [--backend NAME] [--json [--events]]
//!                      [--quiet]
//! nadoo-flow runs [--store URL] [--status STATUS] [--json]
//! nadoo-flow runs show ID [--store URL] [--json]
//! nadoo-flow runs prune --older-than DURATION [--store URL]
//! nadoo-flow validate FILE [--json]
//! nadoo-flow graph FILE [--format dot|mermaid]
//! nadoo-flow worker [--backend NAME] [--config FILE]
//! nadoo-flow serve [--store URL] [--addr 127.0.0.1:7777] [--token TOKEN]
//! ```
//!
//! Exit codes: 0 success; 1 workflow failed, interrupted or invalid; 2 usage, configuration or
//! registry error.

mod backends;
mod failure;
mod graph;
mod progress;
mod resume;
mod run;
mod runs;
#[cfg(feature = "serve")]
mod serve;
mod store;
mod stores;
mod validate;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::failure::Failure;
use crate::progress::Output;

/// What `run --help` and `resume --help` say after the flags: the progress and event output.
const PROGRESS_HELP: &str = "\
Progress (stderr): `run ID` first; then, on a terminal, a progress bar (nodes done / total,
elapsed time, the nodes running now) under a line per node; elsewhere one plain line per node
finished, failed or retried, with its duration:
  draft: success in 1.2ms
  fetch: retrying in 100.0ms (attempt 2): upstream returned 503
  fetch: failed in 305.1ms: upstream returned 503
--json shows no progress; --quiet shows nothing on stderr but errors.

Events (--json --events, stdout): one JSON object per line as the run goes, each with the run
id and an `event` tag; durations are numbers of milliseconds:
  {\"run_id\":\"r1\",\"event\":\"node_started\",\"node\":\"draft\",\"attempt\":1}
  {\"run_id\":\"r1\",\"event\":\"node_event\",\"node\":\"draft\",\"name\":\"token\",\"data\":\"Hel\"}
  {\"run_id\":\"r1\",\"event\":\"node_finished\",\"node\":\"draft\",\"status\":\"success\",\"duration_ms\":1.2}
  {\"run_id\":\"r1\",\"event\":\"workflow_finished\",\"status\":\"success\",\"error\":null}
Other events: node_retried (attempt, error, delay_ms), node_failed (error, duration_ms unless
cancelled), node_skipped. The last line is the report --json prints, on one line and without
an `event` key: {\"run_id\":...,\"status\":...,\"outputs\":...,\"globals\":...,\"path\":...,\"error\":...}";

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
    /// List the linked run stores: URL scheme, crate, description.
    Stores {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run a workflow file.
    #[command(after_help = PROGRESS_HELP)]
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
        /// Print one JSON object: run id, status, outputs, globals, path, error.
        #[arg(long)]
        json: bool,
        /// With --json: print each event of the run as it happens, one JSON object per line,
        /// then the report on one line.
        #[arg(long, requires = "json")]
        events: bool,
        /// Print nothing on stderr but errors: no `run ID` line, no progress.
        #[arg(long, short)]
        quiet: bool,
        /// Keep the run in this store (`sqlite://FILE`, `nats://HOST:PORT`, `memory://`), or
        /// `none`. Default: NADOO_STORE, `[store] url`, else an SQLite file under the user's
        /// state directory.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// Name the run (default: a new UUID); an id the store already holds is refused.
        #[arg(long, value_name = "ID")]
        run_id: Option<String>,
    },
    /// Continue a stored run that crashed or waits for input.
    #[command(after_help = PROGRESS_HELP)]
    Resume {
        /// The run's id, as `run` printed it.
        run_id: String,
        /// The store that keeps it (default: as for `run`).
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// A value for the node that interrupted the run: `--set approved=true`. The values
        /// become that node's output. Repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// The backend to run on (default: as for `run`).
        #[arg(long, value_name = "NAME")]
        backend: Option<String>,
        /// A nadoo.toml with the default backend, engine options and store.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Print one JSON object, as `run --json` does.
        #[arg(long)]
        json: bool,
        /// With --json: print each event as one line of JSON first, as `run` does.
        #[arg(long, requires = "json")]
        events: bool,
        /// Print nothing on stderr but errors: no `run ID` line, no progress.
        #[arg(long, short)]
        quiet: bool,
    },
    /// List the runs a store keeps, newest first; `runs show ID`, `runs prune`.
    Runs {
        #[command(subcommand)]
        command: Option<RunsCommand>,
        /// The store (default: as for `run`).
        #[arg(long, value_name = "URL", global = true)]
        store: Option<String>,
        /// Only runs with this status: running, success, failed, interrupted.
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long, global = true)]
        json: bool,
        /// A nadoo.toml that names the store.
        #[arg(long, value_name = "FILE", global = true)]
        config: Option<PathBuf>,
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
    /// Serve a web dashboard of the stored runs: list, graph, time line, live progress, and
    /// a form that resumes interrupted runs.
    #[cfg(feature = "serve")]
    Serve {
        /// The store whose runs it shows (default: as for `run`).
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// Where to listen. Any address but a loopback one needs --token.
        #[arg(long, value_name = "ADDR", default_value = nadoo_flow_dashboard::DEFAULT_ADDR)]
        addr: String,
        /// Require this token of every request (`Authorization: Bearer TOKEN`, or the page's
        /// sign-in form). Default: NADOO_DASHBOARD_TOKEN, which keeps it out of process lists.
        #[arg(long, value_name = "TOKEN")]
        token: Option<serve::Token>,
        /// The backend resumed runs continue on (default: as for `run`).
        #[arg(long, value_name = "NAME")]
        backend: Option<String>,
        /// A nadoo.toml with the default backend, engine options and store.
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

/// `runs show` and `runs prune`.
#[derive(Debug, Subcommand)]
enum RunsCommand {
    /// One run: its record, path, and each node's status, executions and output.
    Show {
        /// The run's id.
        run_id: String,
    },
    /// Delete finished runs (success or failed) last changed longer ago than DURATION.
    Prune {
        /// How old a finished run must be to go: 90s, 30m, 12h, 7d, 2w.
        #[arg(long, value_name = "DURATION")]
        older_than: String,
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

/// `runs`, `runs show`, `runs prune`.
fn runs_command(
    command: Option<RunsCommand>,
    store: Option<String>,
    status: Option<String>,
    json: bool,
    config: Option<PathBuf>,
) -> Result<(), Failure> {
    // Listing runs needs no backend: only the store is resolved.
    let mut explicit = nadoo_flow::Explicit::new();
    if let Some(config) = config {
        explicit = explicit.config_path(config);
    }
    if let Some(store) = store {
        explicit = explicit.store(store);
    }
    let url = nadoo_flow::Settings::resolve_store(explicit)?;
    run::runtime()?.block_on(async {
        let store = store::required(url.as_deref()).await?;
        match command {
            None => {
                let filter = runs::filter(status.as_deref())?;
                runs::list(&store.list(&filter).await?, json)
            }
            Some(RunsCommand::Show { run_id }) => runs::show(&store.get(&run_id).await?, json),
            Some(RunsCommand::Prune { older_than }) => {
                let age = runs::parse_age(&older_than)?;
                let pruned = store.prune(runs::cutoff(age)).await?;
                runs::pruned(pruned, store.url())
            }
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Log lines only when RUST_LOG asks for them (`RUST_LOG=nadoo_flow=debug`), on stderr.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .without_time()
            .init();
    }
    let outcome = match cli.command {
        Command::Backends { json } => backends::run(json),
        Command::Stores { json } => stores::run(json),
        Command::Run {
            file,
            backend,
            config,
            set,
            json,
            events,
            quiet,
            store,
            run_id,
        } => run::run(&run::Args {
            file,
            backend,
            config,
            set,
            output: Output {
                json,
                events,
                quiet,
            },
            store,
            run_id,
        }),
        Command::Resume {
            run_id,
            store,
            set,
            backend,
            config,
            json,
            events,
            quiet,
        } => resume::run(&resume::Args {
            run_id,
            backend,
            config,
            set,
            output: Output {
                json,
                events,
                quiet,
            },
            store,
        }),
        Command::Runs {
            command,
            store,
            status,
            json,
            config,
        } => runs_command(command, store, status, json, config),
        Command::Validate { file, json } => validate::run(&file, json),
        Command::Graph { file, format } => graph::run(&file, format),
        Command::Worker { backend, config } => worker::run(backend, config),
        #[cfg(feature = "serve")]
        Command::Serve {
            store,
            addr,
            token,
            backend,
            config,
        } => serve::run(serve::Args {
            store,
            addr,
            token,
            backend,
            config,
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
