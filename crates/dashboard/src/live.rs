//! `GET /api/runs/{id}/events`: server-sent events while a run runs.
//!
//! The stream reads the store every poll interval (runs may be driven by another process, so
//! the store is the one place that sees them all) and sends an `update` event whenever the
//! journal grew or the status changed: `{status, error, updated, executions: [new ones]}`.
//! Once the run is no longer running it sends a last `update` and an `end` event, and closes.

use std::convert::Infallible;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use nadoo_flow_core::{StoredRun, WorkflowStatus};
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;
use crate::view::Execution;

/// Query: `since`, how many executions the client already has.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    #[serde(default)]
    since: usize,
}

/// Where a stream is.
struct Cursor {
    app: AppState,
    run_id: String,
    sent: usize,
    status: Option<WorkflowStatus>,
    first: bool,
    ended: bool,
}

/// The event stream of one run; 404 when the store does not hold it.
pub(crate) async fn events(
    State(app): State<AppState>,
    run_id: Result<Path<String>, PathRejection>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let run_id = crate::api::run_id_of(run_id)?;
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    // Unknown ids are refused before the stream starts, so they get a 404 and not an empty
    // stream.
    app.store.get(&run_id).await?;
    let cursor = Cursor {
        app,
        run_id,
        sent: query.since,
        status: None,
        first: true,
        ended: false,
    };
    let stream = futures::stream::unfold(cursor, |mut cursor| async move {
        if cursor.ended {
            return None;
        }
        let event = next_event(&mut cursor).await;
        Some((Ok(event), cursor))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Waits for the next thing to say: an update, or the end.
async fn next_event(cursor: &mut Cursor) -> Event {
    loop {
        if !cursor.first {
            tokio::time::sleep(cursor.app.poll).await;
        }
        cursor.first = false;
        let run = match cursor.app.store.get(&cursor.run_id).await {
            Ok(run) => run,
            Err(error) => {
                cursor.ended = true;
                return Event::default()
                    .event("end")
                    .data(json!({ "error": error.to_string() }).to_string());
            }
        };
        let status = run.record.status;
        let grew = run.journal.len() > cursor.sent;
        let changed = cursor.status != Some(status);
        if status != WorkflowStatus::Running && cursor.status.is_some() && !grew && !changed {
            cursor.ended = true;
            return Event::default().event("end").data(status.as_str());
        }
        if grew || changed {
            let update = update(&run, cursor.sent);
            cursor.sent = run.journal.len();
            cursor.status = Some(status);
            return update;
        }
    }
}

/// An `update` event with the executions after the first `sent`.
fn update(run: &StoredRun, sent: usize) -> Event {
    let record = &run.record;
    let executions: Vec<Execution> = run
        .journal
        .get(sent..)
        .unwrap_or_default()
        .iter()
        .map(Execution::from)
        .collect();
    let body = json!({
        "status": record.status,
        "error": record.error,
        "updated": record.updated,
        "executions": executions,
    });
    Event::default().event("update").data(body.to_string())
}
