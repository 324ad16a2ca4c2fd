//! `nadoo-flow resume ID`: continues a stored run that crashed or waits for input.

use std::path::PathBuf;

use nadoo_flow::{Error, RunOptions, Workflow, WorkflowContext};
use serde_json::Value;

use crate::failure::Failure;
use crate::progress::{Output, drive};
use crate::run::{finish, parse_sets, runtime, settings};
use crate::store;

/// The arguments of `resume`.
#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) run_id: String,
    pub(crate) backend: Option<String>,
    pub(crate) config: Option<PathBuf>,
    pub(crate) set: Vec<String>,
    pub(crate) output: Output,
    pub(crate) store: Option<String>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let values = parse_sets(&args.set)?;
    let settings = settings(
        args.backend.as_ref(),
        args.config.as_ref(),
        args.store.as_ref(),
    )?;
    let backend = settings.create_backend()?;
    let runtime = runtime()?;
    let (done, workflow) = runtime.block_on(async {
        let store = store::required(settings.store.as_deref()).await?;
        let stored = store.get(&args.run_id).await?;
        if stored.record.is_finished() {
            return Err(Error::RunFinished {
                run_id: args.run_id.clone(),
                status: stored.record.status.as_str().to_owned(),
            }
            .into());
        }
        let Some(definition) = stored.record.definition else {
            return Err(Failure::Usage(format!(
                "run `{}` was started by a program, not from a workflow file, so its record \
                 holds no definition: resume it from that program (RunOptions::resume_run)",
                args.run_id
            )));
        };
        let workflow = Workflow::from_toml(&format!("run {}", args.run_id), &definition)?;
        let mut options = RunOptions::new().store(store).resume_run(&args.run_id);
        if !values.is_empty() {
            options = options.resume_with(Value::Object(values));
        }
        if args.output.chatty() {
            eprintln!("run {}", args.run_id);
        }
        let done = drive(
            backend.as_ref(),
            &workflow,
            WorkflowContext::new(),
            options,
            args.output,
        )
        .await?;
        Ok((done, workflow))
    })?;
    finish(done, workflow, backend.name(), args.output)
}
