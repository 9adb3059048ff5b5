//! What goes over the wire: the key's reach, redirects, gateways, the User-Agent.

mod support;

use explorium::testing::{Fault, KeyCheck, LocalServer};
use explorium::{Client, ErrorKind};
use support::*;

#[tokio::test]
async fn the_key_never_follows_a_redirect_to_another_origin() {
    let ours = LocalServer::start().await.unwrap();
    let elsewhere = LocalServer::start().await.unwrap(); // another port: another origin
    let client = client_for(&ours);
    ours.inject(Fault::redirect(
        307,
        format!("{}{PROSPECTS_PATH}", elsewhere.base_url()),
    ));
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedStatus);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(307));
    assert!(error.to_string().contains("not followed"), "{error}");
    assert!(
        elsewhere.journal().is_empty(),
        "the other origin saw nothing: {:?}",
        elsewhere.journal()
    );
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed_with_the_key() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(Fault::redirect(
        307,
        format!("{}{PROSPECTS_PATH}", server.base_url()),
    ));
    let created = enroll(&client).await.unwrap();
    assert!(server.enrollment(created.enrollment_id()).is_some());
    let journal = server.journal();
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[1].api_key, KeyCheck::Accepted);
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_works() {
    let gateway = LocalServer::builder()
        .path_prefix("/partner-gateway/explorium")
        .start()
        .await
        .unwrap();
    for base in ["/partner-gateway/explorium", "/partner-gateway/explorium/"] {
        let client = Client::builder()
            .api_key(gateway.api_key())
            .base_url(format!("{}{base}", gateway.base_url()))
            .build()
            .unwrap();
        enroll(&client).await.unwrap();
    }
    let paths: Vec<String> = gateway.journal().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        vec![format!("/partner-gateway/explorium{PROSPECTS_PATH}"); 2]
    );
}

#[tokio::test]
async fn every_request_names_the_crate_and_its_version() {
    let server = LocalServer::start().await.unwrap();
    enroll(&client_for(&server)).await.unwrap();
    let user_agent = server.journal()[0].user_agent.clone().unwrap();
    assert_eq!(
        user_agent,
        format!("explorium-rust/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn the_escape_hatch_shares_the_key_and_base_url() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    let body = explorium::generated::types::BusinessesEnrollmentsUpdateRequest::builder()
        .enrollment_key("my_b2b_saas_monitor")
        .enrollment_id("en_7b429a01")
        .business_ids(vec!["8adce3ca1cef0c986b22310e369a0793".try_into().unwrap()])
        .event_types(vec![explorium::BusinessEvent::NewFundingRound]);
    let answer = client
        .generated()
        .update_businesses_enrollments()
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.into_inner().enrollment_id, "en_7b429a01");
    assert_eq!(server.journal()[0].api_key, KeyCheck::Accepted);
}

#[test]
fn plain_http_is_refused_off_loopback_unless_allowed() {
    let refused = Client::builder()
        .api_key("k-1")
        .base_url("http://api.explorium.ai")
        .build()
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Configuration);
    assert!(Client::builder()
        .api_key("k-1")
        .base_url("http://api.explorium.ai")
        .allow_insecure_http(true)
        .build()
        .is_ok());
    assert!(Client::builder()
        .api_key("k-1")
        .base_url("http://127.0.0.1:9")
        .build()
        .is_ok());
    assert_eq!(
        Client::builder().api_key("k-1").build().unwrap().base_url(),
        explorium::DEFAULT_BASE_URL
    );
}
