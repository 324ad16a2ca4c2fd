//! Errors: the dashboard's own ([`DashboardError`]), and how the API answers a request it
//! cannot serve (a JSON body `{"error": {"code", "message"}}` with the matching status).

use std::net::SocketAddr;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nadoo_flow_core::Error;
use serde_json::json;

/// Why the dashboard cannot start or serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DashboardError {
    /// A non-loopback address without a token would show every run to the network.
    #[error(
        "refusing to serve on {addr} without a token: that address is reachable from other \
         machines, and the dashboard shows every stored run and can resume runs; give \
         --token TOKEN (every request then needs `Authorization: Bearer TOKEN`), or bind a \
         loopback address such as 127.0.0.1:7777"
    )]
    PublicWithoutToken {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The token is empty: it would let anyone in.
    #[error("the dashboard's token is empty; give a non-empty --token")]
    EmptyToken,
    /// The address could not be bound or served.
    #[error("cannot serve the dashboard on {addr}: {source}")]
    Io {
        /// The address.
        addr: String,
        /// What the system said.
        source: std::io::Error,
    },
}

/// An API request that failed, answered as JSON.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
        }
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            code: "conflict",
            message: message.into(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
        }
    }

    pub(crate) fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "this dashboard needs its token: send `Authorization: Bearer TOKEN`, or \
                      sign in on the page"
                .to_owned(),
        }
    }

    pub(crate) fn forbidden_host(host: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "forbidden_host",
            message: format!(
                "host `{host}` is not a loopback name: a dashboard without a token answers \
                 only requests addressed to localhost, 127.0.0.1 or [::1]"
            ),
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match &error {
            Error::UnknownRun { .. } => Self::not_found(error.to_string()),
            Error::RunFinished { .. } | Error::LeaseHeld { .. } => {
                Self::conflict(error.to_string())
            }
            _ => Self {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "store",
                message: error.to_string(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}
