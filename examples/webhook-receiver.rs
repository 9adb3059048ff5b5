//! A webhook receiver on a plain hyper server: each delivery is verified, then its event used.
//!
//! ```sh
//! cargo run --features test-util --example webhook-receiver
//! ```
//!
//! Offline by default: it listens on 127.0.0.1, sends itself a delivery signed the way Explorium
//! signs, then a tampered one and a replayed old one, prints what the receiver answered to each,
//! and exits. With `--serve` it keeps listening for real deliveries (put it behind a tunnel or
//! proxy, and register that URL as the partner's webhook); `EXPLORIUM_WEBHOOK_SECRET` is the
//! `webhook_secret` Explorium returned, `--port N` the port (default: a free one).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use explorium::webhook::{Verifier, VerifyError, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Deliveries are small JSON events; anything larger is refused before it is read.
const MAX_BODY: usize = 1 << 20;

/// A made-up secret for the offline run (base64url of 32 bytes, as Explorium's look).
const DEMO_SECRET: &str = "8m18Y8L_Jqndu8a-MzUsBvXw4kY2KkwQfLHHMl5e8Nc=";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut serve = false;
    let mut port = 0;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--serve" => serve = true,
            "--port" => port = args.next().ok_or("--port needs a value")?.parse()?,
            _ => return Err(format!("unknown flag {flag}; flags: --serve, --port N").into()),
        }
    }
    let secret = std::env::var("EXPLORIUM_WEBHOOK_SECRET").unwrap_or_else(|_| DEMO_SECRET.into());
    let verifier = Arc::new(Verifier::new(&secret)?);

    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let url = format!("http://{}/webhook-handler", listener.local_addr()?);
    println!("receiving webhook deliveries at {url}");
    tokio::spawn(accept(listener, Arc::clone(&verifier)));
    if serve {
        std::future::pending::<()>().await;
    }
    demonstrate(&verifier, &url).await
}

/// Serves each connection with [`receive`].
async fn accept(listener: TcpListener, verifier: Arc<Verifier>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let verifier = Arc::clone(&verifier);
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| receive(Arc::clone(&verifier), request));
            // A broken connection concerns that connection only.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The handler: headers and raw body in, the verified event used, a status out.
async fn receive(
    verifier: Arc<Verifier>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::POST {
        return Ok(answer(StatusCode::METHOD_NOT_ALLOWED, "POST only"));
    }
    // An absent (or non-text) header is passed as "", which the verifier reports as missing.
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (timestamp, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
    // The raw bytes, exactly as sent: the signature covers them, not a re-serialization.
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(answer(StatusCode::PAYLOAD_TOO_LARGE, "body too large")),
    };
    match verifier.verify(&timestamp, &signature, &body) {
        Ok(event) => {
            // Deduplicate on `event.event_id()` in a real receiver, then route by key.
            println!(
                "  event {} ({}) for {} {}, enrollment {}: {}",
                event.event_id(),
                event.event_name(),
                event.entity_type().as_str(),
                event.entity_id(),
                event.enrollment_key(),
                event.data()
            );
            Ok(answer(StatusCode::OK, "Webhook processed successfully"))
        }
        // Authentic but not an event: a 400 tells Explorium the delivery itself is wrong.
        Err(error @ VerifyError::UndecodableBody { .. }) => {
            Ok(answer(StatusCode::BAD_REQUEST, &error.to_string()))
        }
        // Unsigned, forged, replayed: refused, with nothing processed.
        Err(error) => Ok(answer(StatusCode::UNAUTHORIZED, &error.to_string())),
    }
}

fn answer(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Sends the receiver a genuine delivery, a tampered one and a replay, as Explorium would.
async fn demonstrate(verifier: &Verifier, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let body = serde_json::json!({
        "partner_id": "ExpTest",
        "event_id": "event_id_for_company_updates-12345",
        "event_name": "new_product",
        "entity_id": "340c8040bd50cbab9c7df718bbe51cc9",
        "entity_type": "business",
        "data": {"product_name": "AgentSource"},
        "enrollment_key": "company_updates_demo"
    })
    .to_string();
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    // What Explorium would send at `sent_at`: the timestamp and the signature of this body.
    let signed = |sent_at: u64| {
        let timestamp = sent_at.to_string();
        let signature = verifier.signature(&timestamp, body.as_bytes());
        (timestamp, signature)
    };
    let (timestamp, signature) = signed(now);
    let (old_timestamp, old_signature) = signed(now - 3600);
    let tampered = body.replace("new_product", "ipo_announcement");
    let http = reqwest::Client::new();
    for (what, timestamp, signature, body) in [
        ("genuine", &timestamp, &signature, &body),
        ("tampered on the way", &timestamp, &signature, &tampered),
        (
            "replayed an hour later",
            &old_timestamp,
            &old_signature,
            &body,
        ),
    ] {
        let response = http
            .post(url)
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGNATURE_HEADER, signature)
            .body(body.clone())
            .send()
            .await?;
        println!("{what}: {} {}", response.status(), response.text().await?);
    }
    Ok(())
}
