//! The JSON API, end to end over HTTP, on both backends.

mod common;

use reqwest::Method;
use serde_json::json;

backend_tests! {
    async fn the_server_answers_health_and_readiness(app) {
        let health = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(health.status(), 200);
        let ready = reqwest::get(app.url("/readyz")).await.unwrap();
        assert_eq!(ready.status(), 200);
        assert_eq!(ready.text().await.unwrap().trim(), "ready");
    }
}
