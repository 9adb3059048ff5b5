//! The whole events lifecycle, offline: register a webhook pointing at a receiver this example
//! starts on loopback, enroll prospects, have the local server emit an event, receive and verify
//! the delivery, fetch the events, list the enrollments, delete the enrollment.
//!
//! ```sh
//! cargo run --features test-util --example lifecycle
//! ```
//!
//! Everything runs against the local Explorium server (no key, no network): against the real
//! service, the receiver would have to be reachable from the internet, and the events would
//! come when Explorium detects them.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use explorium::testing::{LocalServer, TestEvent};
use explorium::webhook::{Event, Verifier, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use explorium::{Client, ProspectEvent};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const PARTNER_ID: &str = "ExpTest";
const PROSPECT: &str = "20ae6cbf564ee683e66685e429844a5ff8ffc30f";
/// Deliveries are small JSON events; anything larger is refused before it is read.
const MAX_BODY: usize = 1 << 20;

/// What the receiver shares: the verifier (known once the webhook is registered), and where
/// verified events go.
struct Receiver {
    verifier: OnceLock<Verifier>,
    events: mpsc::UnboundedSender<Event>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = LocalServer::start().await?;
    let client = Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .build()?;
    println!("local Explorium server at {}", server.base_url());

    // 1. A receiver on loopback, then the partner's webhook pointing at it.
    let (events, mut received) = mpsc::unbounded_channel();
    let receiver = Arc::new(Receiver {
        verifier: OnceLock::new(),
        events,
    });
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let url = format!("http://{}/webhook-handler", listener.local_addr()?);
    tokio::spawn(accept(listener, Arc::clone(&receiver)));
    // Registering replaces the partner's webhook and rotates its secret: once, at set-up.
    let webhook = client.webhooks().register(PARTNER_ID, &url).await?;
    receiver
        .verifier
        .set(Verifier::new(webhook.secret())?)
        .map_err(|_| "the verifier is set once")?;
    println!(
        "1. webhook registered: {} (secret {:?})",
        webhook.url(),
        webhook.secret()
    );

    // 2. Watch a prospect for company changes.
    let enrollment = client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_id(PROSPECT)
        .event_type(ProspectEvent::ProspectChangedCompany)
        .send()
        .await?;
    println!("2. enrolled as {}", enrollment.enrollment_id());

    // 3. The service detects an event: the local server delivers it, signed, to the receiver.
    server
        .push_event(
            TestEvent::prospect(PROSPECT, "prospect_changed_company")
                .data(serde_json::json!({"current_company_name": "Headovations"})),
        )
        .await;
    let event = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await?
        .ok_or("the receiver stopped")?;
    println!(
        "3. received and verified: {} {} for {} (enrollment key {}): {}",
        event.event_id(),
        event.event_name(),
        event.entity_id(),
        event.enrollment_key(),
        event.data()
    );

    // 4. The same event, fetched (about the last 3 months are kept).
    let fetched = client
        .prospects()
        .events()
        .prospect_id(PROSPECT)
        .event_type(ProspectEvent::ProspectChangedCompany)
        .since(SystemTime::now() - Duration::from_secs(7 * 24 * 3600))
        .send()
        .await?;
    for event in &fetched {
        println!(
            "4. fetched: {} {} at {}",
            event.event_id(),
            event.event_name(),
            event.event_time()
        );
    }

    // 5. What is enrolled.
    for listed in client.prospects().enrollments().await? {
        println!(
            "5. listed: {} under {:?}: {:?} for {:?}",
            listed.enrollment_id(),
            listed.enrollment_key(),
            listed.ids(),
            listed.event_types()
        );
    }

    // 6. Stop watching. The webhook stays: deleting it on shutdown would cut off every other
    //    enrollment of the partner.
    let deleted = client
        .prospects()
        .delete_enrollment(enrollment.enrollment_id())
        .await?;
    println!("6. deleted: {deleted:?}");
    Ok(())
}

/// Serves each connection with [`receive`].
async fn accept(listener: TcpListener, receiver: Arc<Receiver>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let receiver = Arc::clone(&receiver);
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| receive(Arc::clone(&receiver), request));
            // A broken connection concerns that connection only.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Verifies a delivery from its two headers and raw body; passes the event on.
async fn receive(
    receiver: Arc<Receiver>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (timestamp, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
    let Ok(body) = Limited::new(request.into_body(), MAX_BODY).collect().await else {
        return Ok(answer(StatusCode::PAYLOAD_TOO_LARGE));
    };
    let Some(verifier) = receiver.verifier.get() else {
        return Ok(answer(StatusCode::SERVICE_UNAVAILABLE));
    };
    match verifier.verify(&timestamp, &signature, &body.to_bytes()) {
        Ok(event) => {
            let _ = receiver.events.send(event);
            Ok(answer(StatusCode::OK))
        }
        Err(error) => {
            eprintln!("refused a delivery: {error}");
            Ok(answer(StatusCode::UNAUTHORIZED))
        }
    }
}

fn answer(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}
