//! `nadoo-flow run`: a workflow file on a backend, with progress or a JSON report.

use std::io::Write;
use std::path::PathBuf;

use nadoo_flow::{Explicit, RunOptions, Settings, Workflow, WorkflowContext, WorkflowStatus};
use serde_json::{Map, Value, json};

use crate::failure::Failure;
use crate::progress::{Output, drive};
use crate::store;

/// The arguments of `run`.
#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) file: PathBuf,
    pub(crate) backend: Option<String>,
    pub(crate) config: Option<PathBuf>,
    pub(crate) set: Vec<String>,
    pub(crate) output: Output,
    pub(crate) store: Option<String>,
    pub(crate) run_id: Option<String>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let input = parse_sets(&args.set)?;
    let settings = settings(
        args.backend.as_ref(),
        args.config.as_ref(),
        args.store.as_ref(),
    )?;
    let workflow = Workflow::from_toml_file(&args.file)?;
    let backend = settings.create_backend()?;

    let runtime = runtime()?;
    let done = runtime.block_on(async {
        let store = store::open(settings.store.as_deref()).await?;
        let context = WorkflowContext::new().with_input(Value::Object(input));
        let run_id = args
            .run_id
            .clone()
            .unwrap_or_else(|| context.workflow_id.clone());
        let mut options = RunOptions::new().run_id(&run_id);
        if let Some(store) = store {
            // The record keeps the workflow as TOML, so that `resume` needs only the run's id:
            // written from the workflow loaded, it holds its name (which may come from the
            // file's name) and the workflows it includes, whatever directory resumes it.
            let definition = match workflow.to_toml() {
                Ok(definition) => definition,
                Err(_) => std::fs::read_to_string(&args.file).map_err(|e| {
                    Failure::Usage(format!("cannot read {}: {e}", args.file.display()))
                })?,
            };
            options = options.store(store).definition(definition);
        }
        if args.output.chatty() {
            eprintln!("run {run_id}");
        }
        drive(backend.as_ref(), &workflow, context, options, args.output).await
    })?;
    finish(done, workflow, backend.name(), args.output)
}

/// Settings from the flags, the environment and the configuration file.
pub(crate) fn settings(
    backend: Option<&String>,
    config: Option<&PathBuf>,
    store: Option<&String>,
) -> Result<Settings, Failure> {
    // Precedence: these flags, then NADOO_BACKEND / NADOO_DEBUG / NADOO_MAX_WORKERS /
    // NADOO_STORE, then the file (--config, else NADOO_CONFIG), then defaults.
    let mut explicit = Explicit::new();
    if let Some(backend) = backend {
        explicit = explicit.backend(backend.clone());
    }
    if let Some(config) = config {
        explicit = explicit.config_path(config.clone());
    }
    if let Some(store) = store {
        explicit = explicit.store(store.clone());
    }
    Ok(Settings::resolve(explicit)?)
}

/// The async runtime a command runs in.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new()
        .map_err(|e| Failure::Usage(format!("cannot start the async runtime: {e}")))
}

/// Prints the report of a finished run and gives the command's outcome.
pub(crate) fn finish(
    done: WorkflowContext,
    workflow: Workflow,
    backend: &str,
    output: Output,
) -> Result<(), Failure> {
    if output.json {
        print_json(&done, output.json_lines())?;
    } else {
        print_human(&done, backend)?;
    }
    let status = done.status;
    // The process ends right after this: freeing a large workflow and its run node by node
    // would cost more than a tenth of the whole command, for memory the exit gives back.
    std::mem::forget(done);
    std::mem::forget(workflow);
    match status {
        WorkflowStatus::Success => Ok(()),
        _ => Err(Failure::Workflow(None)),
    }
}

/// `--set key=value` pairs as globals; values are JSON when they parse, text otherwise.
pub(crate) fn parse_sets(sets: &[String]) -> Result<Map<String, Value>, Failure> {
    let mut input = Map::new();
    for set in sets {
        let Some((key, value)) = set.split_once('=') else {
            return Err(Failure::Usage(format!(
                "--set `{set}` has no `=`; write --set key=value"
            )));
        };
        if key.is_empty() {
            return Err(Failure::Usage(format!(
                "--set `{set}` has an empty key; write --set key=value"
            )));
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        input.insert(key.to_owned(), value);
    }
    Ok(input)
}

/// The `run --json` report.
pub(crate) fn report(done: &WorkflowContext) -> Value {
    json!({
        "run_id": done.workflow_id,
        "status": done.status.as_str(),
        "outputs": done.outputs(),
        "globals": done.globals.as_ref(),
        "path": done.execution_path,
        "error": done.error,
    })
}

/// The report as JSON: pretty, or on one line after the event lines of `--events`.
fn print_json(done: &WorkflowContext, one_line: bool) -> Result<(), Failure> {
    // Buffered: standard output flushes at every newline, a system call per line.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let report = report(done);
    if one_line {
        serde_json::to_writer(&mut out, &report)
    } else {
        serde_json::to_writer_pretty(&mut out, &report)
    }
    .map_err(std::io::Error::from)
    .and_then(|()| writeln!(out))
    .and_then(|()| out.flush())
    .map_err(|e| Failure::Usage(format!("cannot write to standard output: {e}")))
}

fn print_human(done: &WorkflowContext, backend: &str) -> Result<(), Failure> {
    // Buffered: standard output flushes at every newline, a system call per line.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut write = || -> std::io::Result<()> {
        writeln!(out, "{} on {backend}", done.status.as_str())?;
        writeln!(out, "path: {}", done.execution_path.join(" -> "))?;
        for (id, output) in done.outputs() {
            writeln!(out, "  {id}: {output}")?;
        }
        if let Some(checkpoint) = &done.checkpoint {
            let waiting: Vec<&str> = checkpoint.interrupted().collect();
            writeln!(out, "waiting for input at: {}", waiting.join(", "))?;
        }
        out.flush()
    };
    write().map_err(|e| Failure::Usage(format!("cannot write to standard output: {e}")))?;
    if let Some(error) = &done.error {
        eprintln!("error: {error}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_parse_json_or_text() {
        let sets = ["n=3", "topic=rust", "tags=[\"a\"]", "empty="].map(String::from);
        let input = parse_sets(&sets).expect("parses");
        assert_eq!(input["n"], json!(3));
        assert_eq!(input["topic"], json!("rust"));
        assert_eq!(input["tags"], json!(["a"]));
        assert_eq!(input["empty"], json!(""));
    }

    #[test]
    fn set_without_equals_is_a_usage_error() {
        let err = parse_sets(&["topic".to_owned()]).unwrap_err();
        assert!(matches!(err, Failure::Usage(m) if m.contains("--set `topic` has no `=`")));
    }
}
