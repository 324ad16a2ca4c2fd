//! Who may look: tokens, the sign-in cookie, loopback host names, and the address check.

#[allow(dead_code, reason = "each test file uses a part of the shared set-up")]
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use nadoo_flow_dashboard::{Dashboard, DashboardError};
use support::{Bench, get, send};
use tower::ServiceExt;

fn with_header(path: &str, name: &str, value: &str) -> Request<Body> {
    let mut request = get(path);
    request.headers_mut().insert(
        name.parse::<axum::http::HeaderName>().expect("a name"),
        value.parse().expect("a value"),
    );
    request
}

#[tokio::test]
async fn with_a_token_every_request_needs_it() {
    let bench = Bench::new().await;
    let router = bench.dashboard().token("s3cret").router();

    let (status, body) = send(&router, get("/api/runs")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = send(
        &router,
        with_header("/api/runs", "authorization", "Bearer wrong"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        &router,
        with_header("/api/runs", "authorization", "Bearer s3cret"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(
        &router,
        with_header("/api/runs", "cookie", "a=b; nadoo_token=s3cret"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The page asks for the token; its style sheet is public.
    let page = router.clone().oneshot(get("/")).await.expect("answers");
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
    let html = axum::body::to_bytes(page.into_body(), usize::MAX)
        .await
        .expect("a body");
    assert!(String::from_utf8_lossy(&html).contains("name=\"token\""));
    let (status, _) = send(&router, get("/app.css")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn signing_in_sets_a_cookie_that_scripts_cannot_read() {
    let bench = Bench::new().await;
    let router = bench.dashboard().token("s3cret").router();
    let sign_in = |token: &str| {
        Request::post("/login")
            .header("host", "localhost")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={token}")))
            .expect("a request")
    };
    let wrong = router
        .clone()
        .oneshot(sign_in("guess"))
        .await
        .expect("answers");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("set-cookie").is_none());
    let right = router
        .clone()
        .oneshot(sign_in("s3cret"))
        .await
        .expect("answers");
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    let cookie = right.headers()["set-cookie"].to_str().expect("text");
    assert!(cookie.starts_with("nadoo_token=s3cret;"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}

#[tokio::test]
async fn without_a_token_only_loopback_host_names_are_answered() {
    let bench = Bench::new().await;
    let router = bench.dashboard().router();
    for host in ["localhost:7777", "127.0.0.1:7777", "[::1]:7777"] {
        let (status, _) = send(&router, with_header("/api/runs", "host", host)).await;
        assert_eq!(status, StatusCode::OK, "{host}");
    }
    let (status, body) = send(
        &router,
        with_header("/api/runs", "host", "rebound.example:7777"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("why")
            .contains("rebound.example")
    );
}

#[tokio::test]
async fn pages_are_served_from_the_binary_with_a_strict_policy() {
    let bench = Bench::new().await;
    let router = bench.dashboard().router();
    for (path, kind) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let response = router.clone().oneshot(get(path)).await.expect("answers");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .expect("text")
                .starts_with(kind),
            "{path}"
        );
        assert!(
            headers["content-security-policy"]
                .to_str()
                .expect("text")
                .contains("default-src 'self'")
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("http://") || path == "/favicon.svg" || path == "/app.js",
            "{path} loads nothing from elsewhere"
        );
        assert!(
            !text.contains("https://"),
            "{path} loads nothing from elsewhere"
        );
    }
}

#[tokio::test]
async fn a_public_address_needs_a_token_and_the_token_stays_hidden() {
    let bench = Bench::new().await;
    let public = "0.0.0.0:7777".parse().expect("an address");
    let error = bench.dashboard().check_addr(public).expect_err("refused");
    assert!(matches!(error, DashboardError::PublicWithoutToken { .. }));
    assert!(error.to_string().contains("--token"), "{error}");
    assert!(matches!(
        bench.dashboard().token("").check_addr(public),
        Err(DashboardError::EmptyToken)
    ));
    let guarded = bench.dashboard().token("s3cret");
    assert!(guarded.check_addr(public).is_ok());
    assert!(!format!("{guarded:?}").contains("s3cret"));
    let refused = Dashboard::new(bench.store.clone())
        .serve(public, async {})
        .await;
    assert!(matches!(
        refused,
        Err(DashboardError::PublicWithoutToken { .. })
    ));
}
