//! The client and types progenitor generates at build time from the merged OpenAPI document
//! (`openapi/explorium.yaml`, rebuilt from `openapi/upstream/` by `build.rs`).
//!
//! This is the escape hatch: every operation of every upstream document is here, including
//! those the handwritten layer does not wrap yet. Calls made here get none of the handwritten
//! layer's validation or error mapping; the `api_key` header must be set on the
//! [`reqwest::Client`] passed to [`Client::new_with_client`].
//!
//! Never edited by hand: change `openapi/overlay.yaml` instead.

#![allow(missing_docs, missing_debug_implementations, unreachable_pub)]
#![allow(clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/generated.rs"));
