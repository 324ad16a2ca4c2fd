//! The JSON API: `GET /api/runs`, `GET /api/runs/{id}`, `POST /api/runs/{id}/resume`.
//! (`GET /api/runs/{id}/events` is in [`live`](crate::live).)

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use nadoo_flow_core::{RunFilter, RunOptions, Workflow, WorkflowContext, WorkflowStatus};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::state::AppState;
use crate::view::{RunSummary, RunView};

/// Runs per page when the request does not say.
pub(crate) const DEFAULT_PAGE: usize = 50;
/// The most runs one page holds.
pub(crate) const MAX_PAGE: usize = 500;
/// How long `resume` waits for the resumed run to take its lease before answering.
const RESUME_SETTLE: Duration = Duration::from_secs(10);

/// `GET /api/runs` query parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    status: Option<String>,
    workflow: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

/// `GET /api/runs?status=&workflow=&offset=&limit=`: newest first, one page, and whether
/// more follow.
pub(crate) async fn list_runs(
    State(app): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_request(format!(
            "limit: {limit} is out of range; give 1 to {MAX_PAGE}"
        )));
    }
    let mut filter = RunFilter::new().page(query.offset, limit + 1);
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        filter = filter.status(parse_status(status)?);
    }
    if let Some(workflow) = query.workflow.filter(|w| !w.is_empty()) {
        filter = filter.workflow(workflow);
    }
    let mut records = app.store.list(&filter).await?;
    let more = records.len() > limit;
    records.truncate(limit);
    let runs: Vec<RunSummary> = records.iter().map(RunSummary::from).collect();
    Ok(Json(json!({
        "runs": runs,
        "offset": query.offset,
        "limit": limit,
        "more": more,
    })))
}

/// A run status as the API spells it.
pub(crate) fn parse_status(text: &str) -> Result<WorkflowStatus, ApiError> {
    WorkflowStatus::from_name(text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "status: `{text}` is not a run status; use pending, running, success, failed or \
             interrupted"
        ))
    })
}

/// The run id of a path, or a 400 when it is not text (a percent-encoded byte that is not
/// UTF-8).
pub(crate) fn run_id_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|e| ApiError::bad_request(format!("run id: {}", e.body_text())))
}

/// An unknown address: a JSON 404, as for every API answer.
pub(crate) async fn no_such_page(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("nothing is at `{}`", uri.path()))
}

/// `GET /api/runs/{id}`: the run with its graph, node statuses and executions.
pub(crate) async fn get_run(
    State(app): State<AppState>,
    run_id: Result<Path<String>, PathRejection>,
) -> Result<Json<RunView>, ApiError> {
    let run_id = run_id_of(run_id)?;
    let stored = app.store.get(&run_id).await?;
    Ok(Json(RunView::of(&stored)))
}

/// `POST /api/runs/{id}/resume` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResumeBody {
    /// The values the interrupted node answers with (its output).
    #[serde(default)]
    values: Map<String, Value>,
}

/// `POST /api/runs/{id}/resume` with `{"values": {...}}`: continues an interrupted run in
/// this process, and answers `202` once it is under way (or already ended).
pub(crate) async fn resume(
    State(app): State<AppState>,
    run_id: Result<Path<String>, PathRejection>,
    body: Result<Json<ResumeBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let run_id = run_id_of(run_id)?;
    let Json(body) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let Some(backend) = app.backend.clone() else {
        return Err(ApiError::conflict(
            "this dashboard was started without a backend, so it cannot run anything: \
             resume the run with `nadoo-flow resume`",
        ));
    };
    let stored = app.store.get(&run_id).await?;
    if stored.record.status != WorkflowStatus::Interrupted {
        return Err(ApiError::conflict(format!(
            "run `{run_id}` is {}, not interrupted: only a run waiting for input is resumed \
             from here",
            stored.record.status.as_str()
        )));
    }
    let Some(definition) = stored.record.definition else {
        return Err(ApiError::conflict(format!(
            "run `{run_id}` was started by a program, so its record holds no workflow \
             definition: resume it from that program"
        )));
    };
    let workflow = Workflow::from_toml(&format!("run {run_id}"), &definition)
        .map_err(|e| ApiError::conflict(format!("run `{run_id}` cannot be rebuilt here: {e}")))?;
    let mut options = RunOptions::new()
        .store(app.store.clone())
        .resume_run(&run_id);
    if !body.values.is_empty() {
        options = options.resume_with(Value::Object(body.values));
    }
    let task = tokio::spawn({
        let run_id = run_id.clone();
        async move {
            let outcome = backend
                .run_workflow(&workflow, WorkflowContext::new(), options)
                .await;
            if let Err(error) = &outcome {
                tracing::warn!(run_id, %error, "a run resumed from the dashboard stopped");
            }
            outcome
        }
    });
    let deadline = tokio::time::Instant::now() + RESUME_SETTLE;
    loop {
        if task.is_finished() {
            return match task.await {
                Ok(Ok(done)) => Ok(accepted(&run_id, done.status)),
                Ok(Err(error)) => Err(ApiError::from(error)),
                Err(join) => Err(ApiError::conflict(format!(
                    "run `{run_id}` stopped while resuming: {join}"
                ))),
            };
        }
        let status = app.store.get(&run_id).await?.record.status;
        if status != WorkflowStatus::Interrupted || tokio::time::Instant::now() >= deadline {
            // The run goes on in its task; its progress is in the store.
            tracing::debug!(
                run_id,
                status = status.as_str(),
                "resumed from the dashboard"
            );
            return Ok(accepted(&run_id, status));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn accepted(run_id: &str, status: WorkflowStatus) -> (StatusCode, Json<Value>) {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "run_id": run_id, "status": status.as_str() })),
    )
}
