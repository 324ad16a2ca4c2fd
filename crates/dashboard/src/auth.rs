//! Who may look: with a token, requests that carry it (an `Authorization: Bearer` header, or
//! the cookie `POST /login` sets for a browser); without one, only requests addressed to a
//! loopback name, so that a web page elsewhere cannot reach the dashboard through DNS
//! rebinding.

use std::fmt;

use axum::Form;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;

/// The cookie a signed-in browser sends.
const COOKIE_NAME: &str = "nadoo_token";

/// The dashboard's token. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Token(String);

impl Token {
    pub(crate) fn new(token: String) -> Self {
        Self(token)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compares in time that does not depend on where the first difference is.
    fn matches(&self, given: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), given.as_bytes());
        let mut difference = a.len() ^ b.len();
        for (i, byte) in a.iter().enumerate() {
            difference |= usize::from(byte ^ b.get(i).copied().unwrap_or(0));
        }
        difference == 0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(nadoo_flow_core::REDACTED)
    }
}

/// Lets a request through, or answers it: `401` JSON for the API, the sign-in page for the
/// rest; `403` for a foreign host name when there is no token.
pub(crate) async fn guard(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    match &app.token {
        Some(token) => {
            if carries(headers, token) {
                return next.run(request).await;
            }
            if request.uri().path().starts_with("/api/") {
                ApiError::unauthorized().into_response()
            } else {
                sign_in_page(StatusCode::UNAUTHORIZED, None)
            }
        }
        None => match headers.get(HOST).map(HeaderValue::to_str) {
            Some(Ok(host)) if !is_loopback_host(host) => {
                ApiError::forbidden_host(host).into_response()
            }
            Some(Err(_)) => ApiError::forbidden_host("(not text)").into_response(),
            _ => next.run(request).await,
        },
    }
}

/// Whether the request carries the token, as a bearer header or the sign-in cookie.
fn carries(headers: &HeaderMap, token: &Token) -> bool {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| token.matches(given.trim()));
    bearer
        || headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == COOKIE_NAME && token.matches(value))
}

/// `localhost`, `127.0.0.1`, `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(name, _)| name)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub(crate) struct SignIn {
    token: String,
}

/// `POST /login`: sets the cookie and goes to the run list when the token is right.
pub(crate) async fn sign_in(State(app): State<AppState>, Form(form): Form<SignIn>) -> Response {
    match &app.token {
        Some(token) if token.matches(&form.token) => {
            let cookie = format!(
                "{COOKIE_NAME}={}; HttpOnly; SameSite=Strict; Path=/",
                form.token
            );
            let Ok(cookie) = HeaderValue::from_str(&cookie) else {
                return sign_in_page(
                    StatusCode::BAD_REQUEST,
                    Some("That token cannot be a cookie."),
                );
            };
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(SET_COOKIE, cookie);
            response
                .headers_mut()
                .insert(LOCATION, HeaderValue::from_static("/"));
            response
        }
        Some(_) => sign_in_page(StatusCode::UNAUTHORIZED, Some("That is not the token.")),
        None => (StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response(),
    }
}

fn sign_in_page(status: StatusCode, problem: Option<&str>) -> Response {
    let problem = problem
        .map(|p| format!("<p class=\"problem\" role=\"alert\">{p}</p>"))
        .unwrap_or_default();
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign in · nadoo-flow</title><link rel=\"stylesheet\" href=\"/app.css\"></head>\
         <body><main class=\"sign-in\"><h1>nadoo-flow</h1>{problem}\
         <form method=\"post\" action=\"/login\"><label for=\"token\">Token</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" \
         required><button type=\"submit\">Sign in</button></form></main></body></html>"
    );
    (status, Html(page)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_with_and_without_ports() {
        for host in [
            "localhost",
            "LOCALHOST:7777",
            "127.0.0.1",
            "127.0.0.1:80",
            "[::1]:7777",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "example.com",
            "evil.localhost.example:7777",
            "10.0.0.1:7777",
            "[::2]",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn tokens_match_only_whole() {
        let token = Token::new("s3cret".to_owned());
        assert!(token.matches("s3cret"));
        for other in ["", "s3cre", "s3cret!", "S3cret"] {
            assert!(!token.matches(other), "{other}");
        }
        assert_eq!(format!("{token:?}"), nadoo_flow_core::REDACTED);
    }
}
