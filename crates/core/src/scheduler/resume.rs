//! Taking a [`Checkpoint`] of an interrupted run, and restoring one to continue it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::joins::Join;
use super::state::{Activation, State};
use crate::checkpoint::{Checkpoint, JoinState, PendingNode};
use crate::context::Outputs;
use crate::error::{Error, Result};
use crate::graph::fingerprint;

impl State<'_> {
    /// The state of an interrupted run.
    pub(super) fn checkpoint(&mut self) -> Checkpoint {
        let named = |inputs: Outputs| -> BTreeMap<String, Value> {
            inputs
                .into_iter()
                .map(|(id, output)| (id.to_string(), output))
                .collect()
        };
        let interrupted = std::mem::take(&mut self.interrupted)
            .into_iter()
            .map(|(node, inputs, iteration)| PendingNode {
                node: self.id(node).to_owned(),
                inputs: named(inputs),
                iteration,
            })
            .collect();
        let ready = std::mem::take(&mut self.ready)
            .into_iter()
            .map(|a| PendingNode {
                node: self.id(a.node).to_owned(),
                inputs: named(a.inputs),
                iteration: a.iteration,
            })
            .collect();
        let mut pending: Vec<((usize, u32), Vec<Join>)> =
            std::mem::take(&mut self.joins).into_iter().collect();
        pending.sort_by_key(|(key, _)| *key);
        let joins = pending
            .into_iter()
            .flat_map(|(key, groups)| groups.into_iter().map(move |join| (key, join)))
            .map(|((node, iteration), join)| JoinState {
                node: self.id(node).to_owned(),
                iteration,
                resolved: join.resolved,
                taken: join
                    .taken()
                    .map(|(slot, id, output)| (slot, id.to_string(), output.clone()))
                    .collect(),
                skipped: join
                    .skipped()
                    .map(|(slot, id)| (slot, id.to_string()))
                    .collect(),
            })
            .collect();
        Checkpoint {
            workflow: self.workflow.name().to_owned(),
            fingerprint: self.workflow.fingerprint(),
            shape: fingerprint::shape(self.workflow.nodes()),
            interrupted,
            ready,
            joins,
            deferred: self
                .deferred
                .iter()
                .map(|&(from, edge)| (self.id(from).to_owned(), edge))
                .collect(),
            exits_taken: {
                let mut taken: Vec<(String, usize)> = self
                    .exits_taken
                    .iter()
                    .map(|&(from, edge)| (self.id(from).to_owned(), edge))
                    .collect();
                taken.sort();
                taken
            },
            live: self.live_members(),
            dormant: {
                let mut dormant: Vec<(String, u32)> = self
                    .dormant
                    .iter()
                    .flat_map(|(&(_, k), nodes)| nodes.iter().map(move |&n| (n, k)))
                    .map(|(n, k)| (self.id(n).to_owned(), k))
                    .collect();
                dormant.sort();
                dormant
            },
            stamps: self.stamps.drain().collect(),
            steps: self.steps,
        }
    }

    /// The live (loop, iteration) pairs, each loop named by its first node.
    fn live_members(&self) -> Vec<(String, u32)> {
        let loop_of = &self.plan.loop_of;
        let mut live: Vec<(String, u32)> = self
            .live
            .iter()
            .filter_map(|&(l, k)| {
                let member = loop_of.iter().position(|&m| m == l)?;
                Some((self.id(member).to_owned(), k))
            })
            .collect();
        live.sort();
        live
    }

    /// A checkpoint that does not fit this workflow, because of `reason`.
    fn refuse(&self, reason: String) -> Error {
        Error::InvalidCheckpoint {
            workflow: self.workflow.name().to_owned(),
            reason,
        }
    }

    fn index(&self, id: &str) -> Result<usize> {
        self.workflow.position(id).ok_or_else(|| {
            self.refuse(format!(
                "it names node `{id}`, which this workflow does not have"
            ))
        })
    }

    /// Edge `edge` of node `from`, checked against the workflow.
    fn edge(&self, from: &str, edge: usize) -> Result<(usize, usize)> {
        let node = self.index(from)?;
        let edges = self.plan.out[node].len();
        if edge >= edges {
            return Err(self.refuse(format!(
                "it names edge {edge} of node `{from}`, which has only {edges}"
            )));
        }
        Ok((node, edge))
    }

    /// Outputs named by id, checked against the workflow, in id order.
    fn indexed(&self, inputs: BTreeMap<String, Value>) -> Result<Outputs> {
        let nodes = self.workflow.nodes();
        let entries = inputs
            .into_iter()
            .map(|(id, output)| Ok((nodes[self.index(&id)?].node_id().clone(), output)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Outputs::from_sorted_vec(entries))
    }

    /// Restores an interrupted run; the interrupted nodes run first, with `resume`.
    ///
    /// A checkpoint taken on a workflow of another name or shape is refused, naming what
    /// changed; so is one whose contents do not fit the workflow (edited by hand, say).
    pub(super) fn restore(&mut self, checkpoint: Checkpoint, resume: Option<Value>) -> Result<()> {
        if checkpoint.workflow != self.workflow.name() {
            return Err(self.refuse(format!(
                "it was taken on workflow `{}`",
                checkpoint.workflow
            )));
        }
        if checkpoint.fingerprint != self.workflow.fingerprint() {
            let now = fingerprint::shape(self.workflow.nodes());
            return Err(self.refuse(format!(
                "the workflow changed since it was taken: {}",
                fingerprint::describe_changes(&checkpoint.shape, &now)
            )));
        }
        for pending in checkpoint.interrupted {
            let activation = Activation {
                node: self.index(&pending.node)?,
                inputs: self.indexed(pending.inputs)?,
                iteration: pending.iteration,
                resume: resume.clone().map(Box::new),
                needs: 0,
            };
            self.ready.push_back(activation);
        }
        for pending in checkpoint.ready {
            let activation = Activation {
                node: self.index(&pending.node)?,
                inputs: self.indexed(pending.inputs)?,
                iteration: pending.iteration,
                resume: None,
                needs: 0,
            };
            self.ready.push_back(activation);
        }
        for state in checkpoint.joins {
            let node = self.index(&state.node)?;
            let (join, iteration) = self.restore_join(node, state)?;
            self.joins.entry((node, iteration)).or_default().push(join);
        }
        for (from, edge) in checkpoint.deferred {
            let edge = self.edge(&from, edge)?;
            self.deferred.insert(edge);
        }
        for (from, edge) in checkpoint.exits_taken {
            let edge = self.edge(&from, edge)?;
            self.exits_taken.insert(edge);
        }
        for (id, iteration) in checkpoint.live {
            let l = self.plan.loop_of[self.index(&id)?];
            self.live.insert((l, iteration));
        }
        for (id, iteration) in checkpoint.dormant {
            let node = self.index(&id)?;
            let l = self.plan.loop_of[node];
            self.dormant.entry((l, iteration)).or_default().push(node);
        }
        self.stamps = checkpoint.stamps.into_iter().collect();
        self.steps = checkpoint.steps;
        Ok(())
    }

    /// One join of a checkpoint, each of its edges checked.
    fn restore_join(&self, node: usize, state: JoinState) -> Result<(Join, u32)> {
        let sources = self.plan.join_sources(node);
        let mut join = Join::resolved(state.resolved);
        let check = |slot: usize, id: &str| {
            if sources
                .get(slot)
                .is_some_and(|&from| self.id(from as usize) == id)
            {
                Ok(slot)
            } else {
                Err(self.refuse(format!(
                    "node `{id}` is not a source of join `{}`",
                    state.node
                )))
            }
        };
        for (slot, id, output) in state.taken {
            join.put(
                self.workflow.nodes(),
                sources,
                check(slot, &id)?,
                Some(output),
            );
        }
        for (slot, id) in &state.skipped {
            join.put(self.workflow.nodes(), sources, check(*slot, id)?, None);
        }
        Ok((join, state.iteration))
    }
}
