//! The client and types progenitor generates at build time from the merged OpenAPI document
//! (`openapi/explorium.yaml`, rebuilt from `openapi/upstream/` by `build.rs`).
//!
//! This is the escape hatch: every operation of the enabled API families (cargo features, one
//! per family of `openapi/families.yaml`) is here, including those the handwritten layer does
//! not wrap yet. Response types are lenient (no pattern, enum or limit is checked on what the
//! service answers), request types strict: `openapi/README.md`, "The generator's view". Get the client from
//! [`crate::Client::generated`]: its calls go through the crate's retry engine (progenitor's
//! `exec` hook, which the generated code requires us to implement), with the crate's key
//! header, timeouts and rate-limit state, but none of the handwritten layer's validation or
//! error mapping.
//!
//! Never edited by hand: change `openapi/overlay.yaml` instead.

#![allow(missing_docs, missing_debug_implementations, unreachable_pub)]
// The inner type (the shared client state) is the crate's own: clients come from
// `explorium::Client::generated`, never from `new_with_client`.
#![allow(private_interfaces, private_bounds)]
#![allow(clippy::all, clippy::pedantic)]
// With no family enabled (build.rs sets the cfg) there are no types for the client's `use`.
#![cfg_attr(explorium_no_family, allow(unused_imports))]

include!(concat!(env!("OUT_DIR"), "/generated.rs"));
