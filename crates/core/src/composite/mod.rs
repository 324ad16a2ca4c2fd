//! The built-in kinds made of other executions: `workflow` runs another workflow as one node,
//! `map` runs one execution per element of an array. The scheduler runs them itself, so that
//! the executions inside go through the run's backend one by one, onto a distributed
//! backend's workers too.
//!
//! | kind | config | output |
//! |---|---|---|
//! | `workflow` | `file` (relative to the including file) or inline `nodes`; optional `name`, `input`, `max_steps` | the sub-run's outputs by node id |
//! | `map` | `over` dotted path to an array; `node = { kind, config }` or `workflow`; `max_concurrency`, `continue_on_error` | `{ "results": [...] }` in element order |

mod map;
mod sub_workflow;

pub use self::map::{DEFAULT_MAP_CONCURRENCY, ElementNode, Map, MapConfig};
pub use self::sub_workflow::{SubWorkflow, WorkflowConfig};
