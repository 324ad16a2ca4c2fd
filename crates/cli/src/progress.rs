//! What `run` and `resume` show of a run while it runs: its events as JSON lines on stdout,
//! a progress bar on a terminal, plain lines elsewhere, or nothing.

use std::collections::HashSet;
use std::io::{BufWriter, IsTerminal, Stderr, StdoutLock, Write};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nadoo_flow::{
    Backend, NodeRole, NodeStatus, RunEvent, RunEventKind, RunOptions, Workflow, WorkflowContext,
};

use crate::failure::Failure;

/// How a command reports: the flags `--json`, `--events` and `--quiet`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    /// Print the report as JSON.
    pub(crate) json: bool,
    /// With `json`: print every event as a line of JSON first.
    pub(crate) events: bool,
    /// Nothing on stderr but errors.
    pub(crate) quiet: bool,
}

impl Output {
    /// Whether the command may write to stderr what is not an error.
    pub(crate) fn chatty(self) -> bool {
        !self.quiet
    }

    /// Whether the report is one line of JSON after the event lines.
    pub(crate) fn json_lines(self) -> bool {
        self.json && self.events
    }
}

/// Runs (or resumes) `workflow`, showing what `output` asks for as it runs.
pub(crate) async fn drive(
    backend: &dyn Backend,
    workflow: &Workflow,
    context: WorkflowContext,
    options: RunOptions,
    output: Output,
) -> Result<WorkflowContext, Failure> {
    let Some(mut shown) = Shown::choose(output, workflow) else {
        // Nobody looks: no events are made at all.
        return Ok(backend.run_workflow(workflow, context, options).await?);
    };
    let mut run = backend.run_stream(workflow, context, options);
    loop {
        // What is written goes out whenever the run has nothing more to say for now: at once
        // for someone watching, in one write for a burst of events.
        let next = match run.next().now_or_never() {
            Some(next) => next,
            None => {
                shown.flush()?;
                run.next().await
            }
        };
        let Some(event) = next else { break };
        shown.event(&event)?;
    }
    shown.finish()?;
    Ok(run.result().await?)
}

/// Where the events of a run go.
enum Shown {
    /// `--json --events`: each event as one line of JSON on stdout.
    Lines(BufWriter<StdoutLock<'static>>),
    /// A terminal: a bar of nodes done / total, elapsed time and the nodes running now, with
    /// a line per node above it.
    Bar(Bar),
    /// A terminal that cannot draw a bar (`TERM` unset or `dumb`): the lines alone.
    Terminal(BufWriter<Stderr>),
    /// Not a terminal (a log, a pipe): one plain line per node finished, failed or retried.
    Plain(BufWriter<Stderr>),
}

impl Shown {
    /// What `output` shows; `None` when it shows no event.
    fn choose(output: Output, workflow: &Workflow) -> Option<Shown> {
        if output.json_lines() {
            return Some(Shown::Lines(BufWriter::new(std::io::stdout().lock())));
        }
        if output.json || output.quiet {
            return None;
        }
        let stderr = std::io::stderr();
        if !stderr.is_terminal() {
            return Some(Shown::Plain(BufWriter::new(stderr)));
        }
        let total = workflow
            .nodes()
            .iter()
            .filter(|node| node.role() != NodeRole::End)
            .count();
        Some(match Bar::new(total) {
            Some(bar) => Shown::Bar(bar),
            None => Shown::Terminal(BufWriter::new(stderr)),
        })
    }

    fn event(&mut self, event: &RunEvent) -> Result<(), Failure> {
        match self {
            Shown::Lines(out) => serde_json::to_writer(&mut *out, event)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| unwritable("standard output", &e)),
            Shown::Bar(bar) => {
                bar.event(&event.kind);
                Ok(())
            }
            Shown::Terminal(out) => match terminal_line(&event.kind) {
                Some(line) => writeln!(out, "{line}").map_err(|e| unwritable("stderr", &e)),
                None => Ok(()),
            },
            Shown::Plain(out) => match plain_line(&event.kind) {
                Some(line) => writeln!(out, "{line}").map_err(|e| unwritable("stderr", &e)),
                None => Ok(()),
            },
        }
    }

    fn flush(&mut self) -> Result<(), Failure> {
        match self {
            Shown::Lines(out) => out.flush().map_err(|e| unwritable("standard output", &e)),
            Shown::Terminal(out) | Shown::Plain(out) => {
                out.flush().map_err(|e| unwritable("stderr", &e))
            }
            Shown::Bar(_) => Ok(()),
        }
    }

    /// Flushes what is left and takes the bar away, before the report.
    fn finish(mut self) -> Result<(), Failure> {
        if let Shown::Bar(bar) = &self {
            bar.bar.finish_and_clear();
        }
        self.flush()
    }
}

fn unwritable(what: &str, error: &std::io::Error) -> Failure {
    Failure::Usage(format!("cannot write to {what}: {error}"))
}

/// The progress bar, and what it counts.
struct Bar {
    bar: ProgressBar,
    /// Nodes that finished, failed or were skipped (once each, however often they ran).
    settled: HashSet<String>,
    /// Nodes running now, in the order they started.
    running: Vec<String>,
}

impl Bar {
    /// A bar over `total` nodes on stderr; `None` when the terminal cannot draw one.
    fn new(total: usize) -> Option<Bar> {
        let bar = ProgressBar::with_draw_target(
            Some(u64::try_from(total).unwrap_or(u64::MAX)),
            ProgressDrawTarget::stderr(),
        );
        if bar.is_hidden() {
            return None;
        }
        let style = ProgressStyle::with_template(
            "{spinner} {elapsed:>4} [{bar:30}] {pos}/{len} nodes  {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(100));
        Some(Bar {
            bar,
            settled: HashSet::new(),
            running: Vec::new(),
        })
    }

    fn event(&mut self, event: &RunEventKind) {
        if let Some(line) = terminal_line(event) {
            self.bar.println(line);
        }
        match event {
            RunEventKind::NodeStarted { node, .. } => {
                if !self.running.iter().any(|id| id == node.as_str()) {
                    self.running.push(node.to_string());
                }
            }
            RunEventKind::NodeFinished { node, .. }
            | RunEventKind::NodeFailed { node, .. }
            | RunEventKind::NodeSkipped { node } => {
                self.running.retain(|id| id != node.as_str());
                if self.settled.insert(node.to_string()) {
                    self.bar.inc(1);
                }
            }
            _ => return,
        }
        self.bar.set_message(running_now(&self.running));
    }
}

/// The bar's message: the nodes running now, the first few by name.
fn running_now(running: &[String]) -> String {
    const SHOWN: usize = 4;
    match running.len() {
        0 => String::new(),
        n if n <= SHOWN => format!("running: {}", running.join(", ")),
        n => format!("running: {} (+{})", running[..SHOWN].join(", "), n - SHOWN),
    }
}

/// The line a terminal shows for `event`, if any.
fn terminal_line(event: &RunEventKind) -> Option<String> {
    Some(match event {
        RunEventKind::NodeStarted { node, attempt } if *attempt > 1 => {
            format!("  ↻ {node} (attempt {attempt})")
        }
        RunEventKind::NodeRetried {
            node, error, delay, ..
        } => format!("  ! {node}: {error}; retrying in {delay:.1?}"),
        RunEventKind::NodeFinished {
            node,
            status: NodeStatus::Interrupted,
            ..
        } => format!("  ⏸ {node} is waiting for input"),
        RunEventKind::NodeFinished { node, duration, .. } => format!("  ✓ {node} ({duration:.1?})"),
        RunEventKind::NodeFailed { node, error, .. } => format!("  ✗ {node}: {error}"),
        RunEventKind::NodeSkipped { node } => format!("  - {node} (skipped)"),
        _ => return None,
    })
}

/// The line a log shows for `event`, if any: one per node finished, failed or retried.
fn plain_line(event: &RunEventKind) -> Option<String> {
    Some(match event {
        RunEventKind::NodeRetried {
            node,
            attempt,
            error,
            delay,
        } => format!("{node}: retrying in {delay:.1?} (attempt {attempt}): {error}"),
        RunEventKind::NodeFinished {
            node,
            status: NodeStatus::Interrupted,
            duration,
        } => format!("{node}: interrupted in {duration:.1?}; waiting for input"),
        RunEventKind::NodeFinished { node, duration, .. } => {
            format!("{node}: success in {duration:.1?}")
        }
        RunEventKind::NodeFailed {
            node,
            error,
            duration: Some(duration),
        } => format!("{node}: failed in {duration:.1?}: {error}"),
        RunEventKind::NodeFailed { node, error, .. } => format!("{node}: failed: {error}"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_name_the_node_its_outcome_and_duration() {
        let finished = RunEventKind::NodeFinished {
            node: "draft".into(),
            status: NodeStatus::Success,
            duration: Duration::from_micros(1_500),
        };
        assert_eq!(
            plain_line(&finished).as_deref(),
            Some("draft: success in 1.5ms")
        );
        let failed = RunEventKind::NodeFailed {
            node: "fetch".into(),
            error: "upstream returned 503".into(),
            duration: Some(Duration::from_millis(300)),
        };
        assert_eq!(
            plain_line(&failed).as_deref(),
            Some("fetch: failed in 300.0ms: upstream returned 503")
        );
        let started = RunEventKind::NodeStarted {
            node: "draft".into(),
            attempt: 1,
        };
        assert_eq!(plain_line(&started), None);
    }

    #[test]
    fn the_bar_names_the_first_nodes_running() {
        let running: Vec<String> = ["a", "b", "c", "d", "e", "f"].map(String::from).into();
        assert_eq!(running_now(&running[..2]), "running: a, b");
        assert_eq!(running_now(&running), "running: a, b, c, d (+2)");
        assert_eq!(running_now(&[]), "");
    }
}
