//! `nadoo-flow validate`: check a workflow file without running it.

use std::io::Write;
use std::path::Path;

use nadoo_flow::{Error, Workflow};
use serde_json::json;

use crate::failure::Failure;

pub(crate) fn run(file: &Path, json: bool) -> Result<(), Failure> {
    let outcome = Workflow::from_toml_file(file);
    let mut out = std::io::stdout().lock();
    let written = match (&outcome, json) {
        (Ok(workflow), true) => {
            let warnings: Vec<String> = workflow
                .warnings()
                .iter()
                .map(ToString::to_string)
                .collect();
            let report = json!({
                "valid": true,
                "name": workflow.name(),
                "nodes": workflow.nodes().len(),
                "warnings": warnings,
            });
            writeln!(out, "{report:#}")
        }
        (Ok(workflow), false) => {
            let mut text = format!(
                "{}: valid workflow `{}` with {} nodes\n",
                file.display(),
                workflow.name(),
                workflow.nodes().len()
            );
            for warning in workflow.warnings() {
                text.push_str(&format!("warning: {warning}\n"));
            }
            write!(out, "{text}")
        }
        (Err(Error::WorkflowFile { file, problems }), true) => {
            let report = json!({ "valid": false, "file": file, "problems": problems });
            writeln!(out, "{report:#}")
        }
        (Err(_), _) => Ok(()),
    };
    written.map_err(|e| Failure::Usage(format!("cannot write to standard output: {e}")))?;
    match outcome {
        Ok(_) => Ok(()),
        Err(Error::WorkflowFile { .. }) if json => Err(Failure::Workflow(None)),
        Err(error) => Err(error.into()),
    }
}
