//! Proxies and the key: the environment's proxy never carries a plain-http call; an explicit
//! one does only when allowed; an https call through a proxy shows it only a tunnel.
//!
//! One test in its own binary: it sets the process's proxy variables, which every thread
//! of the binary would see.

mod support;

use explorium::testing::LocalServer;
use explorium::{Client, ErrorKind, RetryPolicy};
use support::*;

const KEY: &str = "sk-live-SECRET-7f3a9c1e";

#[tokio::test]
async fn the_key_reaches_a_proxy_only_inside_tls_or_when_explicitly_allowed() {
    let proxy = RawResponder::start(vec![
        ok_enrollment_response(),
        "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n".into(),
        "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n".into(),
    ])
    .await;
    for name in ["NO_PROXY", "no_proxy"] {
        std::env::remove_var(name);
    }
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        std::env::set_var(name, proxy.base_url());
    }

    // Plain http from the environment: straight to the server, never to the proxy.
    let server = LocalServer::builder().api_key(KEY).start().await.unwrap();
    let direct = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .retry(RetryPolicy::disabled());
    enroll(&direct.clone().build().unwrap()).await.unwrap();
    assert_eq!(server.journal().len(), 1);
    assert_eq!(proxy.requests(), 0, "{:?}", proxy.heads());

    // An explicit proxy for plain http reads the key: refused unless allowed.
    let refused = direct.clone().proxy(proxy.base_url()).build().unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Configuration);
    let through = direct
        .proxy(proxy.base_url())
        .allow_insecure_http(true)
        .build()
        .unwrap();
    enroll(&through).await.unwrap();
    let heads = proxy.heads();
    assert!(
        heads[0].starts_with(&format!("POST {}/", server.base_url())),
        "{heads:?}"
    );
    assert!(heads[0].contains(KEY), "allowed, and documented: {heads:?}");

    // https, from the environment or explicit: a tunnel the key travels inside.
    for explicit in [false, true] {
        let mut builder = Client::builder()
            .api_key(KEY)
            .base_url("https://api.explorium.ai")
            .retry(RetryPolicy::disabled());
        if explicit {
            builder = builder.proxy(proxy.base_url());
        }
        let error = enroll(&builder.build().unwrap()).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Connection, "{error:?}");
        let heads = proxy.heads();
        let tunnel = heads.last().unwrap();
        assert!(
            tunnel.starts_with("CONNECT api.explorium.ai:443 "),
            "{heads:?}"
        );
        assert!(!tunnel.contains(KEY), "{tunnel}");
    }
    assert_eq!(proxy.requests(), 3);
}
