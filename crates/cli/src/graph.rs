//! `nadoo-flow graph`: a workflow file's graph as Graphviz DOT or Mermaid.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use nadoo_flow::{NodeRole, Workflow};

use crate::GraphFormat;
use crate::failure::Failure;

pub(crate) fn run(file: &Path, format: GraphFormat) -> Result<(), Failure> {
    let workflow = Workflow::from_toml_file(file)?;
    let text = match format {
        GraphFormat::Dot => dot(&workflow),
        GraphFormat::Mermaid => mermaid(&workflow),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Failure::Usage(format!("cannot write to standard output: {e}")))
}

/// `text` as a quoted DOT string.
fn quoted(text: &str) -> String {
    format!("\"{}\"", escaped(text))
}

/// `text` escaped for the inside of a DOT string.
fn escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT: start and end nodes are circles, routers diamonds; routes are dashed and
/// labelled with their key.
pub(crate) fn dot(workflow: &Workflow) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quoted(workflow.name()));
    let _ = writeln!(out, "  rankdir=LR;");
    let _ = writeln!(
        out,
        "  node [shape=box, style=rounded, fontname=\"Helvetica\"];"
    );
    for node in workflow.nodes() {
        let shape = match node.role() {
            NodeRole::Start => "circle",
            NodeRole::End => "doublecircle",
            NodeRole::Task if !node.routes().is_empty() => "diamond",
            NodeRole::Task => "box",
        };
        // `\n` inside a DOT string is a line break in the label.
        let _ = writeln!(
            out,
            "  {} [label=\"{}\\n{}\", shape={shape}];",
            quoted(node.id()),
            escaped(node.id()),
            escaped(node.kind())
        );
    }
    for node in workflow.nodes() {
        for next in node.next_ids() {
            let _ = writeln!(out, "  {} -> {};", quoted(node.id()), quoted(next));
        }
        for (key, target) in node.routes() {
            let _ = writeln!(
                out,
                "  {} -> {} [label={}, style=dashed];",
                quoted(node.id()),
                quoted(target),
                quoted(key)
            );
        }
    }
    out.push_str("}\n");
    out
}

/// Text Mermaid shows as is inside `"..."`.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// Mermaid flowchart: node ids become `n0`, `n1`, ... so that any id is safe; labels keep the
/// real ids.
pub(crate) fn mermaid(workflow: &Workflow) -> String {
    let mut out = String::from("flowchart LR\n");
    let key = |id: &str| {
        workflow
            .position(id)
            .map_or_else(|| "missing".to_owned(), |i| format!("n{i}"))
    };
    for (i, node) in workflow.nodes().iter().enumerate() {
        let label = format!(
            "{}<br/><small>{}</small>",
            mermaid_text(node.id()),
            mermaid_text(node.kind())
        );
        let shape = match node.role() {
            NodeRole::Start | NodeRole::End => format!("((\"{label}\"))"),
            NodeRole::Task if !node.routes().is_empty() => format!("{{\"{label}\"}}"),
            NodeRole::Task => format!("[\"{label}\"]"),
        };
        let _ = writeln!(out, "  n{i}{shape}");
    }
    for node in workflow.nodes() {
        for next in node.next_ids() {
            let _ = writeln!(out, "  {} --> {}", key(node.id()), key(next));
        }
        for (route, target) in node.routes() {
            let _ = writeln!(
                out,
                "  {} -. \"{}\" .-> {}",
                key(node.id()),
                mermaid_text(route),
                key(target)
            );
        }
    }
    out
}
