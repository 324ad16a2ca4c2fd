//! The page, its script, style sheet and icon: compiled into the binary, so the dashboard
//! needs no files and no network (no CDN).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// One embedded file.
struct Asset {
    content_type: &'static str,
    body: &'static str,
}

const INDEX: Asset = Asset {
    content_type: "text/html; charset=utf-8",
    body: include_str!("../assets/index.html"),
};
const SCRIPT: Asset = Asset {
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../assets/app.js"),
};
const STYLE: Asset = Asset {
    content_type: "text/css; charset=utf-8",
    body: include_str!("../assets/app.css"),
};
const ICON: Asset = Asset {
    content_type: "image/svg+xml",
    body: include_str!("../assets/favicon.svg"),
};

impl IntoResponse for &'static Asset {
    fn into_response(self) -> Response {
        (
            [
                (CONTENT_TYPE, self.content_type),
                // The files change with the binary: a browser asks again each time.
                (CACHE_CONTROL, "no-cache"),
            ],
            self.body,
        )
            .into_response()
    }
}

pub(crate) async fn index() -> Response {
    (&INDEX).into_response()
}

pub(crate) async fn script() -> Response {
    (&SCRIPT).into_response()
}

pub(crate) async fn style() -> Response {
    (&STYLE).into_response()
}

pub(crate) async fn icon() -> Response {
    (&ICON).into_response()
}
