//! The node kinds every program has: `start`, `end`, `set`, `template`, `route`, `sleep`,
//! `fail` and `interrupt`. They live in the core crate so that every worker of a distributed backend has them.
//!
//! | kind | config | output |
//! |---|---|---|
//! | `start` | none | `{}`; every workflow begins here |
//! | `end` | none | never executed; reaching it ends a path |
//! | `set` | `values` table, `globals` table | `values`; `globals` are written to the workflow's globals |
//! | `template` | `text` with `{{path}}` placeholders, `output` key (default `"text"`) | `{ <output>: rendered text }` |
//! | `route` | `on` dotted path, `cases` value → route key, `default` route key | `{ "value": .., "route": .. }` and the route |
//! | `sleep` | `ms` | `{}` after `ms` milliseconds |
//! | `fail` | `message` | always fails with `message` (for testing failure handling) |
//! | `interrupt` | `prompt` | `{ "prompt": .. }`, interrupting the run; once resumed, the input it was resumed with |
//!
//! Dotted paths look up the node's input: a predecessor's id, `previous_output`, or a global,
//! then keys into objects and indices into arrays (`draft.text`, `items.0`).

mod fail;
mod interrupt;
mod route;
mod set;
mod sleep;
mod start_end;
mod template;

pub use self::fail::{Fail, FailConfig};
pub use self::interrupt::{Interrupt, InterruptConfig};
pub use self::route::{Route, RouteConfig};
pub use self::set::{Set, SetConfig};
pub use self::sleep::{Sleep, SleepConfig};
pub use self::start_end::{EndNode, NoConfig, StartNode};
pub use self::template::{Template, TemplateConfig};

use serde_json::Value;

use crate::context::NodeInput;
use crate::error::BoxError;

/// The value at dotted `path` in `input`, or an error naming the path.
fn lookup<'a>(input: &'a NodeInput, path: &str) -> Result<&'a Value, BoxError> {
    input
        .lookup(path)
        .ok_or_else(|| format!("no value at `{path}` in the node's input").into())
}

/// A value as text: strings as they are, anything else as compact JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
