//! The client over https, against the local server with a certificate made at start:
//! certificates are checked, and the key does not follow a redirect to another host name.

mod support;

use explorium::testing::{Fault, KeyCheck, LocalServer};
use explorium::ErrorKind;
use support::*;

async fn https_server(names: &[&str]) -> LocalServer {
    LocalServer::builder()
        .tls(names.iter().copied())
        .start()
        .await
        .expect("server starts")
}

/// A client for `base_url` that trusts `server`'s certificate.
fn client_trusting(server: &LocalServer, base_url: &str) -> explorium::Client {
    let pem = server.certificate_pem().expect("serves https");
    explorium::Client::builder()
        .api_key(server.api_key())
        .base_url(base_url)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn a_call_over_https_succeeds() {
    let server = https_server(&["localhost", "127.0.0.1"]).await;
    assert!(server.base_url().starts_with("https://127.0.0.1:"));
    let client = client_trusting(&server, &server.base_url());
    let enrollment = enroll(&client).await.expect("enrolled over https");
    assert!(server.enrollment(enrollment.enrollment_id()).is_some());
    assert_eq!(server.journal()[0].api_key, KeyCheck::Accepted);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let server = https_server(&["127.0.0.1"]).await;
    let client = client_for(&server); // the system's roots only
    let error = enroll(&client).await.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(server.journal().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    let server = https_server(&["localhost"]).await;
    let client = client_trusting(&server, &server.base_url()); // https://127.0.0.1:port
    let error = enroll(&client).await.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(server.journal().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn a_redirect_to_another_host_name_does_not_carry_the_key() {
    let server = https_server(&["localhost", "127.0.0.1"]).await;
    let elsewhere = format!("https://localhost:{}{PROSPECTS_PATH}", server.addr().port());
    server.inject(Fault::redirect(307, elsewhere));
    let client = client_trusting(&server, &server.base_url());
    let _ = enroll(&client).await;
    let journal = server.journal();
    assert!(journal[0].fault.is_some(), "the redirect was served");
    for followed in &journal[1..] {
        assert_eq!(followed.api_key, KeyCheck::Missing, "{followed:?}");
    }
}

#[tokio::test]
async fn a_plain_server_has_no_certificate() {
    let server = LocalServer::start().await.unwrap();
    assert!(server.certificate_pem().is_none());
    assert!(server.base_url().starts_with("http://"));
}
