//! What both benchmarks share: the instant server they call.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// The answer to every add or update.
const RESPONSE: &str = r#"{"response_context":{"correlation_id":"0123456789abcdef0123456789abcdef","request_status":"success","time_took_in_seconds":0.01},"enrollment_key":"tech_executives_monitor","enrollment_id":"en_8d52c3f1"}"#;
/// The answer to every listing.
const LISTING: &str = r#"{"enrollments":[]}"#;

/// A server that reads each request whole and answers the same enrollment, or no enrollments
/// to a listing, on its own thread.
pub(crate) fn start_server() -> SocketAddr {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        |request: Request<hyper::body::Incoming>| async move {
                            use http_body_util::BodyExt;
                            let answer = if request.method() == hyper::Method::GET {
                                LISTING
                            } else {
                                RESPONSE
                            };
                            let _ = request.into_body().collect().await;
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from_static(answer.as_bytes())))
                                    .unwrap(),
                            )
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    receiver.recv().unwrap()
}
