//! The local server at the HTTP level, byte for byte over raw TCP where a client library would
//! hide what the server sent: path decoding, closing after a 413, timeouts for clients that
//! send nothing.

mod support;

use std::time::Duration;

use explorium::testing::LocalServer;
use serde_json::json;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Writes `request`, then reads until the server closes the connection.
async fn exchange(server: &LocalServer, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn post(path: &str, key: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\napi_key: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn percent_encoded_paths_are_decoded_before_routing() {
    let server = LocalServer::start().await.unwrap();
    let body = add_prospects_example().to_string();
    let answer = exchange(
        &server,
        &post(
            "/v1/prospects/events/enrollment%73",
            server.api_key(),
            &body,
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(server.journal()[0].path, PROSPECTS_PATH);
    assert_eq!(server.enrollment_count(), 1);
}

#[tokio::test]
async fn a_413_says_connection_close_before_closing() {
    let server = LocalServer::start().await.unwrap();
    // A kept-alive request announcing 2 MiB; the server stops reading past 1 MiB, so the
    // connection cannot carry another request and the answer must say so.
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "POST {PROSPECTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\napi_key: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.api_key(),
        2 << 20
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'x'; (1 << 20) + 1]).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 413"), "{answer:.200}");
    let head = answer.split("\r\n\r\n").next().unwrap();
    assert!(head.contains("\r\nconnection: close"), "{head}");
}

#[tokio::test]
async fn a_client_goes_on_after_a_413() {
    let server = LocalServer::start().await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}{PROSPECTS_PATH}", server.base_url());
    let mut big = add_prospects_example();
    big["request_context"] = json!({ "padding": "x".repeat(1 << 20) });
    for (body, expected) in [(big, 413), (add_prospects_example(), 200)] {
        let response = http
            .post(&url)
            .header("api_key", server.api_key())
            .json(&body)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), expected);
    }
}

#[tokio::test(start_paused = true)]
async fn an_idle_connection_is_closed_after_the_header_read_timeout() {
    let server = LocalServer::start().await.unwrap();
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let mut buffer = [0u8; 64];
    // On the paused clock the guard only turns "never closed" into a failure.
    let read = tokio::time::timeout(Duration::from_secs(3600), stream.read(&mut buffer))
        .await
        .expect("closed by the server");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

#[tokio::test(start_paused = true)]
async fn a_half_sent_request_head_is_timed_out() {
    let server = LocalServer::builder()
        .header_read_timeout(Duration::from_secs(5))
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(format!("POST {PROSPECTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3600), stream.read_to_end(&mut answer))
        .await
        .expect("closed by the server");
    // hyper answers 408 when it can; either way nothing was processed.
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        read.is_err() || answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(server.journal().is_empty());
}
