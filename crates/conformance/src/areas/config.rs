//! Typed configuration: unknown keys and bad values are rejected, engine options honoured.

use std::time::Duration;

use libtest_mimic::Trial;
use nadoo_flow_core::{BackendRegistry, Error};
use serde_json::json;

use super::{config_with, trial};
use crate::check::{Outcome, ensure, equal, text};

pub(crate) fn trials(backend: &'static str) -> Vec<Trial> {
    vec![
        trial("config", "unknown_key_is_rejected", backend, unknown_key),
        trial(
            "config",
            "bad_engine_value_is_rejected",
            backend,
            bad_engine_value,
        ),
        trial(
            "config",
            "engine_options_are_honoured",
            backend,
            engine_options,
        ),
    ]
}

fn unknown_key(backend: &'static str) -> Outcome {
    match BackendRegistry::create(
        backend,
        config_with(json!({ "conformance_no_such_key": 1 })),
    ) {
        Err(Error::InvalidConfig {
            backend: named,
            message,
            key,
        }) => {
            equal("the error's backend", named.as_str(), backend)?;
            let mentioned = message.contains("conformance_no_such_key")
                || key.as_deref() == Some("conformance_no_such_key");
            ensure(mentioned, || {
                format!("the error should name the unknown key; it says: {message}")
            })
        }
        Err(other) => Err(format!("expected InvalidConfig, got: {other}")),
        Ok(_) => Err("an unknown configuration key was accepted".to_owned()),
    }
}

fn bad_engine_value(backend: &'static str) -> Outcome {
    match BackendRegistry::create(backend, config_with(json!({ "max_workers": 0 }))) {
        Err(Error::InvalidConfig { key, .. }) => {
            equal("the error's key", key.as_deref(), Some("max_workers"))
        }
        Err(other) => Err(format!("expected InvalidConfig, got: {other}")),
        Ok(_) => Err("max_workers = 0 was accepted".to_owned()),
    }
}

fn engine_options(backend: &'static str) -> Outcome {
    let instance = text(
        "create",
        BackendRegistry::create(
            backend,
            config_with(json!({ "max_workers": 3, "timeout": "5s", "max_retries": 2 })),
        ),
    )?;
    let options = instance.execution_options();
    equal("max_workers", options.max_workers.get(), 3)?;
    equal("timeout", options.timeout, Some(Duration::from_secs(5)))?;
    equal("max_retries", options.max_retries, 2)
}
