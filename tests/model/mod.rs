//! A reference model of the execution semantics: a small sequential interpreter, written
//! from SPEC §5 and §5a without any of the scheduler's data structures, for property tests
//! to hold the real scheduler against.
//!
//! The rules it implements, and nothing else:
//!
//! - Two nodes are in the same loop when each reaches the other. An edge inside a loop is a
//!   *back* edge when its target is no farther from the start than its source (breadth-first
//!   distance over all edges, ties by id); every other edge is *forward*.
//! - Every activation belongs to an iteration: 0 outside loops; an edge taken or skipped
//!   over a back edge in iteration `k` leads into `k + 1`; a forward edge keeps the
//!   iteration inside a loop and resets it to 0 when it enters or leaves one.
//! - A node waits, per iteration, for its incoming edges: its forward ones (from reachable
//!   nodes) in iteration 0, all those from its own loop after. When all are resolved it runs
//!   if one was taken and is skipped otherwise; its edges are then skipped in turn. A node
//!   with at most one such edge runs once per edge taken into it. An edge resolved again
//!   before its node's group of inputs is complete starts the next group.
//! - A node skipped in an iteration past 0 that no edge was taken into stays dormant: its
//!   skip goes on only if something enters that iteration.
//! - A node's kept output is its run in the latest iteration.
//! - A loop exit not taken is skipped only when nothing else can run (a later iteration may
//!   still take it), and never when some iteration took it.
//! - When nothing can run and a join got an output but still waits, the run fails.
//! - Routes win over a next override, which wins over `next`; an override must name a
//!   successor or route target. Each execution counts toward `max_steps`; END never runs.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{Value, json};

/// What a generated node does, shared by the model and the real node.
#[derive(Debug, Clone)]
pub(crate) struct Behaviour {
    /// Routes are chosen by `n` while it is below this; then the farthest route target.
    pub(crate) limit: i64,
    pub(crate) salt: usize,
    /// The first attempts that fail.
    pub(crate) fail_first: u32,
    pub(crate) retries: u32,
    /// A next override returned when `n` is a multiple of 3: a target id.
    pub(crate) next_override: Option<String>,
}

/// One generated node.
#[derive(Debug, Clone)]
pub(crate) struct Desc {
    pub(crate) id: String,
    pub(crate) role: Role,
    pub(crate) next: Vec<String>,
    pub(crate) routes: BTreeMap<String, String>,
    pub(crate) behaviour: Behaviour,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Start,
    End,
    Task,
}

/// What one execution of a node returns: output, route key, next override; or a failure.
pub(crate) fn decide(
    desc: &Desc,
    inputs: &BTreeMap<String, Value>,
    attempt: u32,
) -> Result<(Value, Option<String>, Option<String>), String> {
    if desc.role == Role::Start {
        // The built-in start node.
        return Ok((json!({}), None, None));
    }
    if attempt <= desc.behaviour.fail_first {
        return Err(format!("planned failure of attempt {attempt}"));
    }
    let n = inputs
        .values()
        .filter_map(|v| v.get("n").and_then(Value::as_i64))
        .max()
        .unwrap_or(0)
        + 1;
    let from: Vec<&String> = inputs.keys().collect();
    let output = json!({ "n": n, "from": from });
    let b = &desc.behaviour;
    if !desc.routes.is_empty() {
        let keys: Vec<&String> = desc.routes.keys().collect();
        let key = if n < b.limit {
            keys[(n as usize * 7 + b.salt) % keys.len()]
        } else {
            // The route to the target with the largest id: generated ids grow along `next`.
            keys.iter()
                .max_by_key(|k| (order(&desc.routes[**k]), (**k).clone()))
                .copied()
                .unwrap_or(keys[0])
        };
        return Ok((output, Some(key.clone()), None));
    }
    let next = b.next_override.clone().filter(|_| n.rem_euclid(3) == 0);
    Ok((output, None, next))
}

/// Generated ids are `n<index>`: their index.
pub(crate) fn order(id: &str) -> usize {
    id.trim_start_matches('n').parse().unwrap_or(usize::MAX)
}

/// How a run ended, as far as the model tells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) status: &'static str,
    /// Node ids, one per execution, sorted.
    pub(crate) executions: Vec<String>,
    /// The last output of each node that ran, and which nodes were skipped.
    pub(crate) outputs: BTreeMap<String, Value>,
    pub(crate) skipped: BTreeSet<String>,
    pub(crate) globals: BTreeMap<String, Value>,
    /// Why the run failed, in the model's words (empty on success and for real runs).
    pub(crate) why: &'static str,
    /// Nodes that ran more than once in one iteration (each loop exit taken into a node
    /// outside the loop starts it once): which of those runs finished last, and so which
    /// output is kept, depends on timing.
    pub(crate) ambiguous: BTreeSet<String>,
}

struct Edge {
    from: usize,
    to: usize,
    back: bool,
    /// Leaves the loop of `from`.
    exit: bool,
    /// Stays inside one loop.
    within: bool,
    is_next: bool,
    route_key: Option<String>,
}

/// Runs the workflow made of `nodes` (the first is the start) with at most `max_steps`
/// executions.
pub(crate) fn run(nodes: &[Desc], max_steps: usize) -> Outcome {
    let n = nodes.len();
    let index: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut raw: Vec<(usize, usize, bool, Option<String>)> = Vec::new();
    for (u, d) in nodes.iter().enumerate() {
        for t in &d.next {
            raw.push((u, index[t.as_str()], true, None));
        }
        for (key, t) in &d.routes {
            raw.push((u, index[t.as_str()], false, Some(key.clone())));
        }
    }
    // reach[u][v]: a path of one or more edges leads from u to v.
    let mut reach = vec![vec![false; n]; n];
    for (u, row) in reach.iter_mut().enumerate() {
        let mut queue: VecDeque<usize> = raw.iter().filter(|e| e.0 == u).map(|e| e.1).collect();
        while let Some(v) = queue.pop_front() {
            if !row[v] {
                row[v] = true;
                queue.extend(raw.iter().filter(|e| e.0 == v).map(|e| e.1));
            }
        }
    }
    let start = nodes
        .iter()
        .position(|d| d.role == Role::Start)
        .unwrap_or(0);
    let mut dist = vec![usize::MAX; n];
    dist[start] = 0;
    let mut queue = VecDeque::from([start]);
    while let Some(u) = queue.pop_front() {
        for e in raw.iter().filter(|e| e.0 == u) {
            if dist[e.1] == usize::MAX {
                dist[e.1] = dist[u] + 1;
                queue.push_back(e.1);
            }
        }
    }
    let reachable = |u: usize| dist[u] != usize::MAX;
    let in_loop = |u: usize| reach[u][u];
    let same_loop = |u: usize, v: usize| in_loop(u) && reach[u][v] && reach[v][u];
    let key = |u: usize| (dist[u], nodes[u].id.clone());
    let edges: Vec<Edge> = raw
        .iter()
        .map(|(u, v, is_next, route_key)| Edge {
            from: *u,
            to: *v,
            back: same_loop(*u, *v) && key(*v) <= key(*u),
            exit: in_loop(*u) && !same_loop(*u, *v),
            within: same_loop(*u, *v),
            is_next: *is_next,
            route_key: route_key.clone(),
        })
        .collect();
    // In iteration 0 a node waits for its forward edges; later, for all edges from its loop.
    let expected = |v: usize, iteration: u32| {
        edges
            .iter()
            .filter(|e| e.to == v && reachable(e.from))
            .filter(|e| match iteration {
                0 => !e.back,
                _ => same_loop(e.from, v),
            })
            .count()
    };
    // A loop is named by its lowest node index.
    let loop_id = |v: usize| (0..n).find(|&w| same_loop(v, w)).unwrap_or(v);

    let mut model = Model {
        nodes,
        ready: VecDeque::from([(start, 0u32, BTreeMap::new())]),
        joins: BTreeMap::new(),
        deferred: BTreeSet::new(),
        exits_taken: BTreeSet::new(),
        outcome: Outcome {
            status: "success",
            executions: Vec::new(),
            outputs: BTreeMap::new(),
            skipped: BTreeSet::new(),
            globals: BTreeMap::new(),
            why: "",
            ambiguous: BTreeSet::new(),
        },
        stamps: BTreeMap::new(),
        kept: BTreeMap::new(),
        runs: BTreeMap::new(),
        live: BTreeSet::new(),
        dormant: BTreeMap::new(),
        loop_id: &loop_id,
    };
    let mut steps = 0;
    loop {
        let Some((u, k, inputs)) = model.ready.pop_front() else {
            if model.deferred.is_empty() {
                break;
            }
            let exits: Vec<usize> = std::mem::take(&mut model.deferred).into_iter().collect();
            for e in exits {
                model.skip_edge(&edges, e, 0, true, &expected);
            }
            continue;
        };
        if nodes[u].role == Role::End {
            continue;
        }
        if steps >= max_steps {
            model.outcome.status = "failed";
            model.outcome.why = "step limit";
            break;
        }
        steps += 1;
        let mut attempt = 1;
        let decided = loop {
            match decide(&nodes[u], &inputs, attempt) {
                Err(_) if attempt <= nodes[u].behaviour.retries => attempt += 1,
                other => break other,
            }
        };
        model.outcome.executions.push(nodes[u].id.clone());
        *model.runs.entry((u, k)).or_default() += 1;
        if model.runs[&(u, k)] > 1 {
            model.outcome.ambiguous.insert(nodes[u].id.clone());
        }
        let Ok((output, route, next)) = decided else {
            model.outcome.status = "failed";
            model.outcome.why = "node failed";
            break;
        };
        if let Some(n_value) = output.get("n") {
            let stamp_key = format!("g_{}", nodes[u].id);
            if model.stamps.get(&stamp_key).is_none_or(|&s| s <= k) {
                model.stamps.insert(stamp_key.clone(), k);
                model.outcome.globals.insert(stamp_key, n_value.clone());
            }
        }
        // A node's record is its execution in the latest iteration.
        if model.kept.get(&u).is_none_or(|&kept| kept <= k) {
            model.kept.insert(u, k);
            model
                .outcome
                .outputs
                .insert(nodes[u].id.clone(), output.clone());
        }
        model.outcome.skipped.remove(&nodes[u].id);
        let out: Vec<usize> = (0..edges.len()).filter(|&e| edges[e].from == u).collect();
        let chosen: Vec<usize> = match (route.filter(|_| !nodes[u].routes.is_empty()), next) {
            (Some(route), _) => match out
                .iter()
                .find(|&&e| edges[e].route_key.as_deref() == Some(&route))
            {
                Some(&e) => vec![e],
                None => {
                    model.outcome.status = "failed";
                    model.outcome.why = "route without target";
                    break;
                }
            },
            (None, Some(target)) => {
                let to = |e: &&usize| nodes[edges[**e].to].id == target;
                match out
                    .iter()
                    .filter(to)
                    .find(|&&e| edges[e].is_next)
                    .or_else(|| out.iter().find(to))
                {
                    Some(&e) => vec![e],
                    None => {
                        model.outcome.status = "failed";
                        model.outcome.why = "next override outside";
                        break;
                    }
                }
            }
            (None, None) => out.iter().copied().filter(|&e| edges[e].is_next).collect(),
        };
        for &e in &chosen {
            if edges[e].exit {
                model.deferred.remove(&e);
                model.exits_taken.insert(e);
            }
            let at = edges[e].leads_into(k);
            model.deliver(&edges, e, at, Some(output.clone()), &expected);
        }
        for &e in out.iter().filter(|e| !chosen.contains(e)) {
            model.skip_edge(&edges, e, k, false, &expected);
        }
    }
    if model.outcome.status == "success"
        && model
            .joins
            .values()
            .flatten()
            .any(|j: &PendingJoin| j.edges.values().any(Option::is_some))
    {
        model.outcome.status = "failed";
        model.outcome.why = "stalled join";
    }
    model.outcome.executions.sort();
    model.outcome
}

impl Edge {
    /// The iteration this edge, taken or skipped in iteration `k`, leads into: the next one
    /// over a back edge, the same one inside a loop, 0 into or out of a loop.
    fn leads_into(&self, k: u32) -> u32 {
        match (self.back, self.within) {
            (true, _) => k + 1,
            (false, true) => k,
            (false, false) => 0,
        }
    }
}

/// One group of inputs of a join: an edge resolved again before the group is complete
/// starts the next group.
#[derive(Default)]
struct PendingJoin {
    /// Per incoming edge: its output, or `None` when skipped.
    edges: BTreeMap<usize, Option<Value>>,
}

struct Model<'a> {
    nodes: &'a [Desc],
    ready: VecDeque<(usize, u32, BTreeMap<String, Value>)>,
    joins: BTreeMap<(usize, u32), Vec<PendingJoin>>,
    deferred: BTreeSet<usize>,
    exits_taken: BTreeSet<usize>,
    outcome: Outcome,
    stamps: BTreeMap<String, u32>,
    /// The iteration of each node's kept output.
    kept: BTreeMap<usize, u32>,
    /// Executions of each (node, iteration).
    runs: BTreeMap<(usize, u32), u32>,
    /// (loop, iteration) pairs past 0 that some edge was taken into.
    live: BTreeSet<(usize, u32)>,
    /// Nodes skipped in iterations no edge was taken into (yet).
    dormant: BTreeMap<(usize, u32), Vec<usize>>,
    loop_id: &'a dyn Fn(usize) -> usize,
}

impl Model<'_> {
    /// Resolves edge `e` into iteration `k` of its target; returns whether the target is
    /// skipped.
    fn deliver(
        &mut self,
        edges: &[Edge],
        e: usize,
        k: u32,
        output: Option<Value>,
        expected: &dyn Fn(usize, u32) -> usize,
    ) -> bool {
        let (u, v) = (edges[e].from, edges[e].to);
        let from = self.nodes[u].id.clone();
        if output.is_some() && k > 0 && self.live.insert(((self.loop_id)(v), k)) {
            // That iteration happens: its dormant nodes are skipped after all.
            for w in self
                .dormant
                .remove(&((self.loop_id)(v), k))
                .unwrap_or_default()
            {
                self.skip_node(edges, w, k, expected);
            }
        }
        if expected(v, k) <= 1 && !self.joins.contains_key(&(v, k)) {
            return match output {
                Some(output) => {
                    self.ready
                        .push_back((v, k, BTreeMap::from([(from, output)])));
                    false
                }
                None => true,
            };
        }
        let groups = self.joins.entry((v, k)).or_default();
        let group = match groups.iter().position(|g| !g.edges.contains_key(&e)) {
            Some(group) => group,
            None => {
                groups.push(PendingJoin::default());
                groups.len() - 1
            }
        };
        groups[group].edges.insert(e, output);
        if groups[0].edges.len() < expected(v, k) {
            return false;
        }
        let join = groups.remove(0);
        if groups.is_empty() {
            self.joins.remove(&(v, k));
        }
        // One input per source; of two edges taken from one source, the later one's.
        let mut inputs = BTreeMap::new();
        for (e, output) in join.edges {
            if let Some(output) = output {
                inputs.insert(self.nodes[edges[e].from].id.clone(), output);
            }
        }
        if inputs.is_empty() {
            return true;
        }
        self.ready.push_back((v, k, inputs));
        false
    }

    fn skip_edge(
        &mut self,
        edges: &[Edge],
        e: usize,
        k: u32,
        forced: bool,
        expected: &dyn Fn(usize, u32) -> usize,
    ) {
        if edges[e].exit && !forced {
            // An exit taken in any iteration is never skipped.
            if !self.exits_taken.contains(&e) {
                self.deferred.insert(e);
            }
            return;
        }
        let to = edges[e].to;
        let at = edges[e].leads_into(k);
        if self.deliver(edges, e, at, None, expected) {
            if at > 0 && !self.live.contains(&((self.loop_id)(to), at)) {
                self.dormant
                    .entry(((self.loop_id)(to), at))
                    .or_default()
                    .push(to);
            } else {
                self.skip_node(edges, to, at, expected);
            }
        }
    }

    /// Records node `v` of iteration `k` as skipped, and skips its edges.
    fn skip_node(
        &mut self,
        edges: &[Edge],
        v: usize,
        k: u32,
        expected: &dyn Fn(usize, u32) -> usize,
    ) {
        let id = &self.nodes[v].id;
        if self.nodes[v].role != Role::End && !self.outcome.outputs.contains_key(id) {
            self.outcome.skipped.insert(id.clone());
        }
        for x in (0..edges.len()).filter(|&x| edges[x].from == v) {
            self.skip_edge(edges, x, k, false, expected);
        }
    }
}
