//! What the API returns for runs: a list entry, and a whole run as its page draws it (graph,
//! node statuses, executions on a time line, and what an interrupted run waits for).

use std::collections::HashMap;

use nadoo_flow_core::run_store::Millis;
use nadoo_flow_core::{JournalEntry, NodeStatus, RunRecord, StoredRun, WorkflowStatus};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::graph::{Graph, Shape};

/// One run of the list: no journal, no definition.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunSummary {
    pub(crate) run_id: String,
    pub(crate) workflow: String,
    pub(crate) status: WorkflowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub(crate) created: Millis,
    /// Milliseconds since the Unix epoch.
    pub(crate) updated: Millis,
}

impl From<&RunRecord> for RunSummary {
    fn from(record: &RunRecord) -> Self {
        Self {
            run_id: record.run_id.clone(),
            workflow: record.workflow.clone(),
            status: record.status,
            error: record.error.clone(),
            created: record.created,
            updated: record.updated,
        }
    }
}

/// One node execution on the time line. `started` is `finished` less the duration, so
/// retries, which the journal folds into one entry, widen the bar.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Execution {
    pub(crate) node: String,
    pub(crate) iteration: u32,
    pub(crate) attempt: u32,
    pub(crate) status: NodeStatus,
    /// Milliseconds since the Unix epoch (fractional).
    pub(crate) started: f64,
    /// Milliseconds since the Unix epoch.
    pub(crate) finished: Millis,
    pub(crate) duration_us: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// For an element of a composite node (`map`), its index: the time line draws elements
    /// on rows of their own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) element: Option<u32>,
}

impl From<&JournalEntry> for Execution {
    fn from(entry: &JournalEntry) -> Self {
        Self {
            node: entry.node.clone(),
            iteration: entry.iteration,
            attempt: entry.attempt,
            status: entry.status,
            started: entry.finished as f64 - entry.duration_us as f64 / 1000.0,
            finished: entry.finished,
            duration_us: entry.duration_us,
            error: entry.error.clone(),
            element: entry.element,
        }
    }
}

/// A node of the run page: its place in the graph is `graph.nodes[i]` for `nodes[i]`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NodeView {
    pub(crate) id: String,
    /// The latest execution's status; for a node without one, `running` when a finished
    /// predecessor led to it while the run runs, `skipped` when a successful run never took
    /// it, else `pending`.
    pub(crate) status: NodeStatus,
    /// How many times it ran (loop iterations count, retries do not).
    pub(crate) executions: usize,
    /// The attempts of its latest execution.
    pub(crate) attempts: u32,
    /// The latest execution's output.
    pub(crate) output: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub(crate) globals: Map<String, Value>,
}

/// The node an interrupted run waits on, and what it asked.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Waiting {
    pub(crate) node: String,
    /// The `prompt` of its output, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) prompt: Option<String>,
    pub(crate) output: Value,
}

/// A whole run, as `GET /api/runs/{id}` returns it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunView {
    pub(crate) run: RunSummary,
    pub(crate) input: Map<String, Value>,
    pub(crate) graph: Graph,
    pub(crate) nodes: Vec<NodeView>,
    pub(crate) executions: Vec<Execution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) waiting: Option<Waiting>,
    /// Whether the record holds the workflow's definition (a run started from a file), which
    /// resuming needs.
    pub(crate) has_definition: bool,
}

impl RunView {
    /// The view of a stored run.
    pub(crate) fn of(run: &StoredRun) -> Self {
        let record = &run.record;
        let shape = record
            .definition
            .as_deref()
            .and_then(Shape::parse)
            .unwrap_or_else(|| Shape::of_nodes(first_appearances(&run.journal)));
        let graph = shape.layout();
        let mut latest: HashMap<&str, (&JournalEntry, usize)> = HashMap::new();
        // Element entries of a map record its progress, not its own executions.
        for entry in run.journal.iter().filter(|e| e.element.is_none()) {
            latest
                .entry(entry.node.as_str())
                .and_modify(|(last, count)| {
                    *last = entry;
                    *count += 1;
                })
                .or_insert((entry, 1));
        }
        let led_to = taken_targets(&graph, &latest);
        let nodes = graph
            .nodes
            .iter()
            .map(|node| match latest.get(node.id.as_str()) {
                Some((entry, count)) => NodeView {
                    id: node.id.clone(),
                    status: entry.status,
                    executions: *count,
                    attempts: entry.attempt,
                    output: entry.output.clone(),
                    error: entry.error.clone(),
                    globals: entry.globals.clone(),
                },
                None => NodeView {
                    id: node.id.clone(),
                    status: unrun_status(
                        record.status,
                        led_to.contains(node.id.as_str()),
                        &node.kind,
                    ),
                    executions: 0,
                    attempts: 0,
                    output: Value::Null,
                    error: None,
                    globals: Map::new(),
                },
            })
            .collect();
        let waiting = (record.status == WorkflowStatus::Interrupted)
            .then(|| {
                run.journal
                    .iter()
                    .rev()
                    .find(|e| e.status == NodeStatus::Interrupted)
            })
            .flatten()
            .map(|entry| Waiting {
                node: entry.node.clone(),
                prompt: entry
                    .output
                    .get("prompt")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                output: entry.output.clone(),
            });
        Self {
            run: RunSummary::from(record),
            input: record.input.clone(),
            graph,
            nodes,
            executions: run.journal.iter().map(Execution::from).collect(),
            waiting,
            has_definition: record.definition.is_some(),
        }
    }
}

/// Node ids in the order the journal first names them.
fn first_appearances(journal: &[JournalEntry]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    journal
        .iter()
        .map(|e| e.node.as_str())
        .filter(|id| seen.insert(*id))
        .collect()
}

/// The nodes some successful execution led to: its chosen `next`, its route's target, or,
/// without either, its static successors.
fn taken_targets<'a>(
    graph: &'a Graph,
    latest: &HashMap<&str, (&JournalEntry, usize)>,
) -> std::collections::HashSet<&'a str> {
    let mut taken = std::collections::HashSet::new();
    for edge in &graph.edges {
        let Some((entry, _)) = latest.get(edge.from.as_str()) else {
            continue;
        };
        if entry.status != NodeStatus::Success {
            continue;
        }
        let chosen = match (&entry.next, &entry.route, &edge.route) {
            (Some(next), _, _) => *next == edge.to,
            (None, Some(key), Some(edge_key)) => key == edge_key,
            (None, Some(_), None) => false,
            (None, None, route) => route.is_none(),
        };
        if chosen {
            taken.insert(edge.to.as_str());
        }
    }
    taken
}

/// The status of a node the journal does not name.
fn unrun_status(run: WorkflowStatus, led_to: bool, kind: &str) -> NodeStatus {
    match (run, led_to) {
        // End nodes never execute: reaching one is their success.
        (_, true) if kind == "end" => NodeStatus::Success,
        (WorkflowStatus::Running, true) => NodeStatus::Running,
        (WorkflowStatus::Success, _) => NodeStatus::Skipped,
        _ => NodeStatus::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(node: &str, status: NodeStatus, route: Option<&str>) -> JournalEntry {
        JournalEntry {
            node: node.to_owned(),
            iteration: 0,
            attempt: 1,
            status,
            output: serde_json::json!({ "node": node }),
            route: route.map(str::to_owned),
            next: None,
            globals: Map::new(),
            metadata: Map::new(),
            error: None,
            finished: 10_000,
            duration_us: 2_500,
            element: None,
        }
    }

    fn run(status: WorkflowStatus, journal: Vec<JournalEntry>) -> StoredRun {
        let definition = r#"
            [[nodes]]
            id = "start"
            kind = "start"
            next = ["check"]
            [[nodes]]
            id = "check"
            kind = "route"
            routes = { yes = "publish", no = "drop" }
            [[nodes]]
            id = "publish"
            kind = "set"
            next = ["done"]
            [[nodes]]
            id = "drop"
            kind = "set"
            next = ["done"]
            [[nodes]]
            id = "done"
            kind = "end"
        "#;
        let record = RunRecord {
            run_id: "r1".to_owned(),
            workflow: "w".to_owned(),
            definition: Some(definition.to_owned()),
            fingerprint: 0,
            input: Map::new(),
            status,
            error: None,
            created: 9_000,
            updated: 10_000,
        };
        StoredRun { record, journal }
    }

    fn status(view: &RunView, id: &str) -> NodeStatus {
        view.nodes.iter().find(|n| n.id == id).expect("node").status
    }

    #[test]
    fn a_finished_run_shows_the_untaken_branch_skipped_and_its_end_reached() {
        let view = RunView::of(&run(
            WorkflowStatus::Success,
            vec![
                entry("start", NodeStatus::Success, None),
                entry("check", NodeStatus::Success, Some("yes")),
                entry("publish", NodeStatus::Success, None),
            ],
        ));
        assert_eq!(status(&view, "publish"), NodeStatus::Success);
        assert_eq!(status(&view, "drop"), NodeStatus::Skipped);
        assert_eq!(status(&view, "done"), NodeStatus::Success);
        assert_eq!(view.executions.len(), 3);
        assert!((view.executions[0].started - 9_997.5).abs() < 1e-9);
    }

    #[test]
    fn a_running_run_shows_where_it_is() {
        let view = RunView::of(&run(
            WorkflowStatus::Running,
            vec![
                entry("start", NodeStatus::Success, None),
                entry("check", NodeStatus::Success, Some("no")),
            ],
        ));
        assert_eq!(status(&view, "drop"), NodeStatus::Running);
        assert_eq!(status(&view, "publish"), NodeStatus::Pending);
        assert_eq!(status(&view, "done"), NodeStatus::Pending);
    }

    #[test]
    fn an_interrupted_run_names_the_node_and_its_prompt() {
        let mut waiting = entry("check", NodeStatus::Interrupted, None);
        waiting.output = serde_json::json!({ "prompt": "Publish?" });
        let view = RunView::of(&run(
            WorkflowStatus::Interrupted,
            vec![entry("start", NodeStatus::Success, None), waiting],
        ));
        let waiting = view.waiting.as_ref().expect("waiting");
        assert_eq!(waiting.node, "check");
        assert_eq!(waiting.prompt.as_deref(), Some("Publish?"));
        assert_eq!(status(&view, "publish"), NodeStatus::Pending);
    }

    #[test]
    fn elements_of_a_map_are_executions_on_the_time_line_but_not_of_the_node() {
        let element = |index| {
            let mut e = entry("check", NodeStatus::Success, None);
            e.element = Some(index);
            e
        };
        let view = RunView::of(&run(
            WorkflowStatus::Running,
            vec![
                entry("start", NodeStatus::Success, None),
                element(0),
                element(1),
            ],
        ));
        let check = view.nodes.iter().find(|n| n.id == "check").expect("check");
        assert_eq!(
            check.executions, 0,
            "elements are not the node's own executions"
        );
        assert_eq!(check.status, NodeStatus::Running, "it is under way");
        let elements: Vec<_> = view.executions.iter().filter_map(|e| e.element).collect();
        assert_eq!(elements, [0, 1]);
    }

    #[test]
    fn a_run_without_definition_shows_the_nodes_its_journal_names() {
        let mut stored = run(
            WorkflowStatus::Success,
            vec![
                entry("a", NodeStatus::Success, None),
                entry("b", NodeStatus::Success, None),
                entry("a", NodeStatus::Success, None),
            ],
        );
        stored.record.definition = None;
        let view = RunView::of(&stored);
        let ids: Vec<_> = view.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(view.nodes[0].executions, 2);
        assert!(!view.has_definition);
    }
}
