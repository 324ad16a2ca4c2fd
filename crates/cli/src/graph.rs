//! `nadoo-flow graph`: a workflow file's graph as Graphviz DOT or Mermaid.

use std::io::Write as _;
use std::path::Path;

use nadoo_flow::Workflow;

use crate::GraphFormat;
use crate::failure::Failure;

pub(crate) fn run(file: &Path, format: GraphFormat) -> Result<(), Failure> {
    let workflow = Workflow::from_toml_file(file)?;
    let text = match format {
        GraphFormat::Dot => workflow.to_dot(),
        GraphFormat::Mermaid => workflow.to_mermaid(),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Failure::Usage(format!("cannot write to standard output: {e}")))
}
