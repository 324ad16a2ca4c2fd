//! `nadoo-flow runs`: the runs a store keeps: a list, one run in detail, and pruning.

use std::io::Write;
use std::time::Duration;

use nadoo_flow::run_store::{Millis, now_millis};
use nadoo_flow::{RunFilter, RunRecord, StoredRun, WorkflowStatus};
use serde_json::{Value, json};

use crate::failure::Failure;

/// `runs`: newest first.
pub(crate) fn list(records: &[RunRecord], json: bool) -> Result<(), Failure> {
    if json {
        let rows: Vec<Value> = records.iter().map(summary).collect();
        return print(&serde_json::to_string_pretty(&rows).unwrap_or_default());
    }
    if records.is_empty() {
        return print("no runs");
    }
    let mut text = format!(
        "{:<36}  {:<11}  {:<20}  {}\n",
        "RUN", "STATUS", "CREATED", "WORKFLOW"
    );
    for r in records {
        text.push_str(&format!(
            "{:<36}  {:<11}  {:<20}  {}\n",
            r.run_id,
            r.status.as_str(),
            timestamp(r.created),
            r.workflow
        ));
    }
    print(text.trim_end())
}

fn summary(r: &RunRecord) -> Value {
    json!({
        "run_id": r.run_id,
        "workflow": r.workflow,
        "status": r.status.as_str(),
        "created": timestamp(r.created),
        "updated": timestamp(r.updated),
        "error": r.error,
    })
}

/// `runs show ID`: the record and, per node, its latest status and output and how many
/// executions the journal records.
pub(crate) fn show(run: &StoredRun, json: bool) -> Result<(), Failure> {
    let report = detail(run);
    if json {
        return print(&serde_json::to_string_pretty(&report).unwrap_or_default());
    }
    let r = &run.record;
    let mut text = format!(
        "run {}\nworkflow: {}\nstatus: {}\ncreated: {}\nupdated: {}\n",
        r.run_id,
        r.workflow,
        r.status.as_str(),
        timestamp(r.created),
        timestamp(r.updated)
    );
    if let Some(error) = &r.error {
        text.push_str(&format!("error: {error}\n"));
    }
    text.push_str(&format!(
        "path: {}\n",
        run.journal
            .iter()
            .map(|e| e.node.as_str())
            .collect::<Vec<_>>()
            .join(" -> ")
    ));
    for node in report["nodes"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "  {} [{}, {} execution{}]: {}\n",
            node["id"].as_str().unwrap_or_default(),
            node["status"].as_str().unwrap_or_default(),
            node["attempts"],
            if node["attempts"] == 1 { "" } else { "s" },
            node["output"]
        ));
    }
    print(text.trim_end())
}

/// The `runs show --json` object (and what `resume --json` is compared with).
pub(crate) fn detail(run: &StoredRun) -> Value {
    let r = &run.record;
    let mut nodes: Vec<(String, Value, usize)> = Vec::new();
    // A map's elements, journaled one by one while it runs, are counted apart from the
    // executions of the nodes themselves.
    let mut elements: Vec<(&str, usize)> = Vec::new();
    for entry in &run.journal {
        if entry.element.is_some() {
            match elements.iter_mut().find(|(id, _)| *id == entry.node) {
                Some(node) => node.1 += 1,
                None => elements.push((&entry.node, 1)),
            }
            continue;
        }
        let status = json!(entry.status);
        let output = match entry.status {
            nadoo_flow::NodeStatus::Failed => json!({ "error": entry.error }),
            _ => entry.output.clone(),
        };
        match nodes.iter_mut().find(|(id, _, _)| *id == entry.node) {
            Some(node) => {
                node.1 = json!({ "status": status, "output": output });
                node.2 += 1;
            }
            None => nodes.push((
                entry.node.clone(),
                json!({ "status": status, "output": output }),
                1,
            )),
        }
    }
    json!({
        "run_id": r.run_id,
        "workflow": r.workflow,
        "status": r.status.as_str(),
        "created": timestamp(r.created),
        "updated": timestamp(r.updated),
        "path": run
            .journal
            .iter()
            .filter(|e| e.element.is_none())
            .map(|e| e.node.as_str())
            .collect::<Vec<_>>(),
        "error": r.error,
        "nodes": nodes
            .into_iter()
            .map(|(id, last, attempts)| {
                let mut node = json!({
                    "id": id,
                    "status": last["status"],
                    "attempts": attempts,
                    "output": last["output"],
                });
                if let Some((_, count)) = elements.iter().find(|(e, _)| *e == id) {
                    node["elements_journaled"] = json!(count);
                }
                node
            })
            .collect::<Vec<_>>(),
    })
}

/// `--status` values.
pub(crate) fn parse_status(text: &str) -> Result<WorkflowStatus, Failure> {
    // A stored run is never `pending`: it is created running.
    match WorkflowStatus::from_name(text) {
        Some(status) if status != WorkflowStatus::Pending => Ok(status),
        _ => Err(Failure::Usage(format!(
            "--status `{text}` is not a run status; use running, success, failed or interrupted"
        ))),
    }
}

/// A filter for `runs`.
pub(crate) fn filter(status: Option<&str>) -> Result<RunFilter, Failure> {
    let filter = RunFilter::new();
    Ok(match status {
        Some(status) => filter.status(parse_status(status)?),
        None => filter,
    })
}

/// `7d`, `12h`, `30m`, `90s`, `2w`: how far back `runs prune --older-than` keeps runs.
pub(crate) fn parse_age(text: &str) -> Result<Duration, Failure> {
    let bad = || {
        Failure::Usage(format!(
            "--older-than `{text}` is not a duration; write a number and a unit: 90s, 30m, 12h, 7d or 2w"
        ))
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(bad)
}

/// The time before which `prune` deletes finished runs.
pub(crate) fn cutoff(age: Duration) -> Millis {
    now_millis().saturating_sub(u64::try_from(age.as_millis()).unwrap_or(u64::MAX))
}

/// Milliseconds since the epoch as `2026-12-03T06:30:00Z` (UTC).
pub(crate) fn timestamp(millis: Millis) -> String {
    let secs = millis / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(i64::MAX) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// What `runs prune` says.
pub(crate) fn pruned(count: usize, store: &str) -> Result<(), Failure> {
    print(&format!(
        "pruned {count} finished run{} from {store}",
        if count == 1 { "" } else { "s" }
    ))
}

fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Usage(format!("cannot write to standard output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(1_796_279_400_000), "2026-12-03T06:30:00Z");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn ages_read_with_their_unit() {
        assert_eq!(parse_age("7d").ok(), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_age("90s").ok(), Some(Duration::from_secs(90)));
        for bad in ["7", "d", "7y", "-1d", ""] {
            let err = parse_age(bad).unwrap_err();
            assert!(
                matches!(err, Failure::Usage(m) if m.contains("is not a duration")),
                "{bad}"
            );
        }
    }
}
