//! A local Explorium server that enforces the spec, for tests. **Not for production.**
//!
//! Enabled by the `test-util` feature. [`LocalServer`] speaks real HTTP/1.1 (or https) on
//! `127.0.0.1`, judges every request by the merged OpenAPI document itself (routes, the
//! `api_key` header, the JSON Schema of each parameter and request body), keeps enrollments,
//! events and webhooks like the service does, delivers signed events to webhooks on loopback,
//! answers the data operations (match, fetch, stats, autocomplete, every enrichment, credits)
//! from a seeded world of businesses and prospects, and serves faults on demand, so code using
//! any of the API's 69 operations (and a webhook receiver) can be tested with no API key, no
//! network and no hand-written stub.
//!
//! ```
//! use explorium::testing::{Fault, LocalServer};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = LocalServer::start().await?; // 127.0.0.1, a free port
//! let url = format!("{}/v1/prospects/events/enrollments", server.base_url());
//! let body = json!({
//!     "enrollment_key": "tech_executives_monitor",
//!     "prospect_ids": ["20ae6cbf564ee683e66685e429844a5ff8ffc30f"],
//!     "event_types": ["prospect_changed_role"],
//! });
//! let http = reqwest::Client::new();
//!
//! // The next request answers 503; the one after is processed.
//! server.inject(Fault::status(503));
//! let first = http.post(&url).header("api_key", server.api_key()).json(&body).send().await?;
//! assert_eq!(first.status(), 503);
//! let second = http.post(&url).header("api_key", server.api_key()).json(&body).send().await?;
//! assert_eq!(second.status(), 200);
//!
//! // The journal shows what reached the server.
//! assert_eq!(server.count("add_prospects_enrollments"), 2);
//! assert!(server.journal()[0].fault.is_some());
//! # Ok(())
//! # }
//! ```
//!
//! # What it does, in order
//!
//! 0. **HTTP.** HTTP/1.1 on `127.0.0.1`, or https with a certificate made at start
//!    ([`LocalServerBuilder::tls`]). A connection that sends no whole request head within
//!    [`LocalServerBuilder::header_read_timeout`] is closed. The path is percent-decoded before
//!    routing (`/enrollment%73` is `/enrollments`). A body over 1 MiB answers 413 with
//!    `Connection: close`, and the connection is closed.
//! 1. **Faults.** A scripted [`Fault`] matching the request (by operation, if it names one) is
//!    served first, before anything else: see [`FaultKind`] for what each does.
//! 2. **Routing** by the document: an unknown path answers 404 `{"detail": "Not Found"}`, a known
//!    path with another method 405 `{"detail": "Method Not Allowed"}` and an `Allow` header
//!    (FastAPI's answers).
//! 3. **Authentication**: no `api_key` header, or a key the test did not configure, answers 401
//!    with the documented general error body. The key is never echoed, logged or journaled.
//!    Operations that declare no security requirement (the health check and the version)
//!    need no key, and the rate limit does not count them.
//! 4. **Rate limiting**, when configured with [`LocalServerBuilder::rate_limit`]: a sliding
//!    window per key; `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` on
//!    every authenticated response; 429 with `Retry-After` and the documented body beyond it.
//! 5. **Validation** of the path and query parameters, then of the JSON body, against the
//!    operation's schemas (OpenAPI 3.0 `nullable` translated to JSON Schema), every violation
//!    of both in one answer. A parameter's text is converted to its declared type first
//!    (`int_parsing`, `bool_parsing` when it cannot be, at `["path", "response_bytes"]` or
//!    `["query", "field"]`); a missing required one is `missing`; the last of repeated query
//!    parameters counts; undeclared ones are ignored; a declared default fills an absent one.
//!    The body: 422 in FastAPI's shape, `loc` pointing at the field
//!    (`["body", "prospect_ids", 3]`), with pydantic's error types (`missing`, `string_type`,
//!    `list_type`, `extra_forbidden`, ...), for every violation found. A body whose
//!    `Content-Type` is not `application/json` or `application/*+json` (parameters such as
//!    `charset` allowed), or that has none, is refused as FastAPI refuses it: 422
//!    `model_attributes_type` at `["body"]`. Malformed JSON answers 422 `json_invalid` with
//!    `loc` `["body", <character offset>]`. Any JSON RFC 8259 allows is decoded: nesting
//!    deeper than `serde_json`'s 128 levels (up to 512), and numbers beyond `f64` (`1e400`).
//! 6. **State**, per API key (the service's account), each operation's effect read from the
//!    shapes of its request and response in the document:
//!    - *add* (`POST`, answering an `enrollment_id`) creates an enrollment with a fresh id;
//!      *update* (`PATCH`) replaces its lists; an unknown `enrollment_id` answers 404 with the
//!      documented general error body;
//!    - *get enrollments* lists the calling key's enrollments on that path, in creation order,
//!      as documented (`enrollment_id`, `enrollment_key`, `event_types`, the ids);
//!    - *delete enrollments* (`DELETE` with `{enrollment_id}`) removes it and answers
//!      `{"status": "success"}` with the response context; an unknown or already deleted id
//!      answers 404;
//!    - *fetch events* answers the events a test injected with [`LocalServer::push_event`]
//!      whose entity is among the ids, whose name is among the event types, and whose time is
//!      within `[timestamp_from, timestamp_to]` and not older than [`EVENTS_RETENTION`]
//!      (90 days), most recent first, as `output_events` in the documented shape;
//!    - *add webhook* stores the partner's URL and a fresh secret (32 random bytes, base64url)
//!      and answers them; adding again replaces the URL and rotates the secret. *Get* and
//!      *delete* answer the documented shapes, 404 when the partner has no webhook;
//!    - *check connectivity* sends test events (one, or the simulation's `number_of_events`
//!      named `event_name`) to the partner's webhook, then answers;
//!    - *match*, *fetch*, *stats*, *autocomplete*, *enrich* and *credits* answer from the world
//!      and the key's credit balance (next section); the health checks and the version answer
//!      their strings.
//!
//! An operation whose shapes match none of these (none today) answers **501** with the general
//! error body naming it: a made-up success would let a test pass against behaviour nobody
//! checked.
//!
//! # The world: businesses and prospects to match, search and enrich
//!
//! The data operations answer from a synthetic world made from a seed
//! ([`LocalServerBuilder::seed`], [`LocalServerBuilder::world_size`]): by default
//! [`DEFAULT_BUSINESSES`] (3,000) businesses and [`DEFAULT_PROSPECTS`] (30,000) prospects
//! working at them, with ids in the service's formats (32 and 40 lower-case hex digits), the
//! same for a seed and sizes. The first four are the companies the documentation's examples
//! name, under the ids the examples give them (Apple `8adce3ca1cef0c986b22310e369a0793`,
//! Microsoft, Explorium, PepsiCo), so the documented requests find what they ask for. Values
//! come from the document itself wherever it lists them: countries and regions from its
//! country and region patterns (their names zipped with their codes), company sizes, revenue
//! ranges, ages, numbers of locations, departments, seniority levels, business events and
//! intent levels from its enums. What no document lists (cities, industries with their NAICS,
//! SIC, LinkedIn and Google categories, technologies, names) comes from small tables holding
//! the values the documentation's filter examples use (`541512`, `software development`,
//! `Paving contractor`, `JavaScript`, `Miami, FL, US`, ...). A test adds rows it knows with
//! [`LocalServer::insert_business`] and [`LocalServer::insert_prospect`], and reads the
//! world with [`LocalServer::businesses`], [`LocalServer::business`],
//! [`LocalServer::prospects_of`] and [`LocalServer::prospect`].
//!
//! Every answer is made from the operation's 200 schema: each property takes the world's
//! value of that name when it fits the property's schema (a firmographics answer carries the
//! business's size, country and NAICS; a profile the prospect's title and seniority), and a
//! value made up from the schema otherwise (an enum value, a string fitting the pattern, a
//! number within the bounds), the same every time for one entity and operation. A new
//! enrichment document is therefore answered with no new code.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use explorium::testing::{LocalServer, TestBusiness};
//! use serde_json::{json, Value};
//!
//! let server = LocalServer::builder().credits(100).start().await?;
//! let acme = server.insert_business(TestBusiness::new("Acme Rockets").domain("acme-rockets.com"))?;
//! let http = reqwest::Client::new();
//! let post = |path: &str, body: Value| {
//!     http.post(format!("{}{path}", server.base_url()))
//!         .header("api_key", server.api_key())
//!         .json(&body)
//!         .send()
//! };
//! let matched: Value = post("/v1/businesses/match", json!({"businesses_to_match": [{"domain": "www.acme-rockets.com"}]}))
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(matched["matched_businesses"][0]["business_id"], acme.as_str());
//! let firmographics: Value = post("/v1/businesses/firmographics/enrich", json!({"business_id": acme}))
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(firmographics["data"]["name"], "Acme Rockets");
//! assert_eq!(server.remaining_credits(), 99);
//! # Ok(())
//! # }
//! ```
//!
//! The world's seeded part is made once per process for each seed and sizes, on the first
//! request (or accessor) that needs it, not at start: about 0.1 s for the default sizes in a
//! debug build, shared by every server of the process.
//!
//! ## What the data operations do
//!
//! - **Match** (at most 50 inputs, as the schemas say): one row per input, in input order,
//!   `{input, business_id}` or `{input, prospect_id}`, and for a miss `{input, error,
//!   error_type}`; `total_results` counts the inputs, `total_matches` the matches. Domains
//!   and URLs are compared without case, scheme, `www.`, path or trailing dot, LinkedIn URLs
//!   without case, scheme, `www.`, query or trailing slash, names without case, punctuation or
//!   legal suffix (`Inc`, `LLC`, `Corporation`, ...).
//! - **Fetch** applies every filter the documents define, values OR-ed within a filter and
//!   filters AND-ed, `negate` inverting one: `values` lists compared without case, ranges
//!   (`gte`, `lte`) on months, `value` on presence (email, phone, website), `business_id`,
//!   intent topics with a level, events within `last_occurrence` days. `size` caps the rows a
//!   search reaches, `page_size` the page, `page` counts from 1; `size` below `page_size`
//!   answers 422 at `["body", "size"]`, as the service does though the schema does not say so.
//!   `next_cursor` pages by cursor instead (the schema's second answer shape). `mode:
//!   preview` answers only the rows' identifying fields.
//! - **Stats** count what a fetch with the same filters counts (`total_results`) and break it
//!   down in the statistics pages' shapes (by category and location, by revenue and size, by
//!   department and location).
//! - **Autocomplete** suggests the world's values of the field that contain the query (label
//!   or value, any case), at most [`MAX_SUGGESTIONS`]: countries as `{"label": "United
//!   States", "value": "us"}`, regions as `California, US`, and the enums of the document for
//!   sizes, revenues, departments and levels.
//! - **Enrich**, single and bulk (at most 50 ids): the output of each known entity, rows in the
//!   order of their first id for bulk operations; the request's `parameters` are facts too
//!   (`month_period` comes back as asked).
//! - **Credits**: every key starts with [`LocalServerBuilder::credits`] (default
//!   [`DEFAULT_CREDITS`]). A call is charged what it costs once it is valid; one costing more
//!   than the key has left answers **403** with the documented message ("You have insufficient
//!   credits...") and costs nothing. `GET /v1/credits` reports the allocation and the
//!   balance; the aggregation operation sums the key's charges by hour, day or month, or by
//!   endpoint. [`LocalServer::remaining_credits`] and [`LocalServer::used_credits`] read it.
//!
//! ## Assumed behaviour of the data operations
//!
//! The documentation does not say these; the server assumes them:
//!
//! - costs: contacts 2 credits a prospect for email only, 5 with the phone (as the contacts
//!   page says, `parameters.contact_types`, both by default); stats free (as the pages say);
//!   a `full` fetch 1 credit a row answered, a preview free; every other enrichment, custom
//!   ones included, 1 credit an entity found; match, autocomplete, credits, events, webhooks
//!   and health free. Unknown ids and duplicates cost nothing more;
//! - a business match: a domain or URL, when given, decides (an unknown domain is a miss
//!   whatever the name, as the match page's example says), else the LinkedIn URL, else the
//!   name (the first in world order among equal names). A prospect match: the email (work or
//!   personal), the LinkedIn URL, the phone (its digits), or the full name with the company
//!   name, the first given that matches; `business_id` restricts to that business's people.
//!   A miss has `error_type` `not_found` and no id (the schema does not allow `null`); an
//!   input naming nothing to match by, or a full name without company, `validation_error`;
//! - `total_results` of a fetch counts every match of the filters less `exclude`, whatever
//!   `size` (the schema: "the total number of businesses that match the filters"); the pages
//!   split the first `size` of them: `total_pages` is that number divided by `page_size`,
//!   rounded down (at least 1 when anything matches, 0 when nothing does), the last page
//!   carrying the remainder, so it may hold more rows than `page_size` (as clients in the
//!   field report); a page past the last answers no rows. Rows come in world order (seeded,
//!   then inserted), the same for every request;
//! - a cursor is the id of the last row answered ("the sort values of the last document");
//!   `"null"` starts; cursor pages hold exactly `page_size` rows within the `size` cap, and the
//!   last has no `next_cursor`; a cursor the search did not answer is 422 at
//!   `["body", "next_cursor"]`;
//! - preview rows hold the row schema's required fields and the identifying ones (ids, names,
//!   domain, company name, country);
//! - filter details: an empty `values` list constrains nothing; NAICS codes match by prefix
//!   (`23`, `5611`); `company_name` matches a name equal to the value, or starting with it
//!   word by word, legal suffixes aside; `website_keywords` a phrase among the industry's;
//!   `job_title` a title holding every word of the value (any word of five letters or more
//!   with `include_related_job_titles`); `business_intent_topics` a topic at the level asked
//!   or above; for prospects, `city_region_country` is the company's place (as the prospects
//!   page says), `country_code` and `region_country_code` the prospect's; two of
//!   `google_category`, `linkedin_category` and `naics_category` together answer 422 (the
//!   pages: "only one category filter per request"). The schemas' own examples write country
//!   and region codes in upper case (`US`, `US-CA`), which their patterns refuse: they answer
//!   422, the documentation pages' lower-case examples select. A filter the documents define
//!   but the world has no field for answers 422 of type `not_modelled` naming it (none today);
//! - autocomplete's `semantic_search` also suggests values sharing the first five letters of
//!   a word of the query (`cloude` finds `cloud: cloud data`); a field the world has no values
//!   for answers 422 `not_modelled` at `["query", "field"]`;
//! - an unknown id in a single enrichment answers 200 with `data: []` and `request_status`
//!   `miss`; in a bulk one it has no row (`total_results` counts the rows); an id given twice
//!   is answered once. A custom enrichment's fields are its author's, which no document
//!   describes: its rows hold the business id and the custom enrichment's id;
//! - made-up dates fall within the thousand days before 2025-01-01, made-up numbers within
//!   the schema's bounds (0–1000 and 0–100 without); made-up strings name the entity and the
//!   property;
//! - the 403 comes after validation; a refused call still counts for the rate limit;
//! - credit aggregation: buckets are UTC whatever `timezone` says (which is echoed); charges
//!   from `from_date` included to `to_date` excluded; `from_date` after `to_date`, or a range
//!   longer than 7 days by hour, 60 by day or 2 years by month, answers 400
//!   `INVALID_DATE_RANGE`, and `timely` without a resolution 400 `INVALID_RESOLUTION`, in the
//!   page's error shape; a date that is not ISO 8601 answers 422;
//! - the health check answers `"OK"`, the payload check as many `x` as asked, the version the
//!   document's `info.version`.
//!
//! # Webhook deliveries
//!
//! An event pushed with [`LocalServer::push_event`] is delivered to each webhook registered by
//! an API key having an enrollment that watches it (the entity among its ids, the event's name
//! among its event types); a connectivity check delivers to the partner's webhook. Each
//! delivery is signed exactly as the webhooks page documents: a `POST` of the JSON payload
//! (`tenant_id`, `partner_id`, `event_id`, `event_name`, `entity_id`, `entity_type`, `data`,
//! `enrollment_key`) with `Content-Type: application/json`, `X-Timestamp` (Unix seconds, from
//! [`LocalServer::now`]) and `X-Signature` (base64url HMAC-SHA256 over `"{timestamp}.{body}"`,
//! keyed with the base64url-decoded secret), so a receiver using
//! [`Verifier`](crate::webhook::Verifier) is tested end to end. Deliveries go **only to
//! loopback IP addresses** (`http` or `https`; no redirects followed, no proxy); any other URL
//! can be registered but is recorded as [`DeliveryOutcome::NotLoopback`], never contacted.
//! [`LocalServer::push_event`] and the connectivity check return once their deliveries are
//! done; [`LocalServer::deliveries`] records every attempt and the receiver's status.
//!
//! ```
//! use explorium::testing::{DeliveryOutcome, LocalServer, TestEvent};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = LocalServer::start().await?;
//! let http = reqwest::Client::new();
//! let api = |path: &str| format!("{}{path}", server.base_url());
//! let prospect = "20ae6cbf564ee683e66685e429844a5ff8ffc30f";
//! let webhook: serde_json::Value = http
//!     .post(api("/v1/webhooks"))
//!     .header("api_key", server.api_key())
//!     .json(&json!({"partner_id": "partner-1", "webhook_url": "https://example.com/hook"}))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert!(webhook["webhook_secret"].as_str().is_some());
//! http.post(api("/v1/prospects/events/enrollments"))
//!     .header("api_key", server.api_key())
//!     .json(&json!({
//!         "enrollment_key": "tech_executives_monitor",
//!         "prospect_ids": [prospect],
//!         "event_types": ["prospect_changed_role"],
//!     }))
//!     .send()
//!     .await?;
//! let deliveries = server
//!     .push_event(TestEvent::prospect(prospect, "prospect_changed_role"))
//!     .await;
//! // Signed and recorded, but never sent: the URL is not a loopback one.
//! assert_eq!(deliveries[0].outcome, DeliveryOutcome::NotLoopback);
//! assert_eq!(server.deliveries(), deliveries);
//! # Ok(())
//! # }
//! ```
//!
//! An operation added by a new upstream document is routed (templated paths such as
//! `/v1/webhooks/{partner_id}` included), authenticated and validated with no code change.
//!
//! # Assumed behaviour
//!
//! The documentation does not say these; the server assumes them, and so should no test of
//! real-service behaviour:
//!
//! - an update must name an enrollment created on the same path, with the same
//!   `enrollment_key`, under the same API key, or it is "not found" (404);
//! - enrollment ids look like `en_` and 8 hex digits; correlation ids are 32 hex digits;
//! - requests rejected by the rate limit do not count against it; each request counts once,
//!   whatever its number of ids (a newer documentation page counts ids instead);
//! - authentication is checked before validation; 404/405 before authentication;
//! - request bodies over 1 MiB answer 413;
//! - a body with no `Content-Type`, or another than JSON's, answers 422 `model_attributes_type`
//!   (FastAPI's default since 0.132, `strict_content_type`; older versions decoded a body with
//!   no `Content-Type` as JSON); an empty body answers 422 `missing` whatever its type;
//! - JSON nested deeper than 512 levels answers 400 `{"detail": "There was an error parsing
//!   the body"}`, FastAPI's answer when Python's decoder gives up (past about a thousand levels,
//!   by Python version); a number beyond `f64` is taken as the largest finite `f64` of its
//!   sign (Python makes it infinite); the `json_invalid` offset is where `serde_json` stopped,
//!   which is where Python's decoder stops for the common cases (a missing value, a body cut
//!   short), not for every one;
//! - a request head not sent within 30 s (the default timeout) closes the connection, as a
//!   production server's keep-alive and header timeouts do (uvicorn closes idle connections
//!   after 5 s);
//! - a request body is validated only for operations that declare one (a `DELETE` of an
//!   enrollment does, with `{enrollment_id}`); path parameters match any one non-empty segment
//!   (their schemas are plain strings);
//! - enrollments, webhooks and their listing are per API key: another key's enrollment or
//!   webhook is "not found" (404); a key's partner is whichever `partner_id` it registers
//!   (the service infers it from the key), and its events go to every webhook it registered;
//! - deleting an enrollment that does not exist (or no longer does) answers 404 with the
//!   general error body; so do getting, deleting or checking a webhook that was never
//!   registered (or was deleted);
//! - registering again keeps `created_at` and sets `last_modified_time`; the secret is 32
//!   random bytes in padded base64url (the documentation's example is a placeholder);
//! - fetching events needs no enrollment (the pages describe it as a query by ids); its
//!   window: `timestamp_from` defaults to, and is never earlier than, 90 days before now
//!   (the pages' "3 months"); `timestamp_to` has no default; both bounds are inclusive; a
//!   date (`YYYY-MM-DD`) is its midnight UTC, a date-time without offset is UTC; an
//!   unreadable one answers 422 `value_error` at `["body", "timestamp_from"]`; `from` after
//!   `to` answers no events. Events are sorted most recent first (as in the page's example);
//! - an event is delivered once per webhook and enrollment key, whatever the number of that
//!   key's enrollments watching it; its `tenant_id` is `local_tenant_<n>` for the n-th key;
//!   deliveries are made one at a time, in order, not retried;
//! - a connectivity check without a simulation sends one `new_office` event (the first
//!   simulation type the webhooks page lists); its events are about made-up entities (a
//!   `prospect_...` name about a prospect, any other about a business), with the enrollment
//!   key [`CHECK_ENROLLMENT_KEY`] and `data` `{"event_name", "event_time"}` (the simulation's
//!   `event_time`, or now). It answers 200 with `request_status` `success` when the receiver
//!   answered each delivery with a 2xx, `failure` otherwise (the page says it "returns the
//!   response from your handler", without its shape).

mod autocomplete;
mod clock;
mod credits;
mod deliveries;
mod enrich;
mod events;
mod fault;
mod journal;
mod json;
mod matching;
mod params;
mod rate_limit;
mod schema;
mod search;
mod serve;
mod spec;
mod state;
mod synth;
mod tls;
mod webhooks;
mod world;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use serde_json::Map;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use autocomplete::MAX_SUGGESTIONS;
pub use credits::DEFAULT_CREDITS;
pub use deliveries::{Delivery, DeliveryKind, DeliveryOutcome, DEFAULT_DELIVERY_TIMEOUT};
pub use events::{TestEvent, EVENTS_RETENTION};
pub use fault::{Fault, FaultKind};
pub use journal::{KeyCheck, RecordedRequest, Validation};
pub use state::StoredEnrollment;
pub use webhooks::{StoredWebhook, CHECK_ENROLLMENT_KEY};
pub use world::{
    InvalidEntity, TestBusiness, TestProspect, WorldBusiness, WorldProspect, DEFAULT_BUSINESSES,
    DEFAULT_PROSPECTS, DEFAULT_SEED,
};

use clock::Clock;
use deliveries::{Deliverer, Outgoing};
use events::StoredEvent;
use rate_limit::RateLimit;
use spec::Spec;
use state::State;
use tls::Tls;
use world::{World, WorldConfig};

/// The API key a server started with [`LocalServer::start`] accepts.
pub const DEFAULT_API_KEY: &str = "explorium-local-test-key";

/// How many requests [`LocalServer::journal`] keeps by default.
pub const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;

/// How long a connection may take to send a request's headers by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The JSON Schema the server validates an operation's JSON request body by: the merged
/// document's schema with its components, OpenAPI 3.0's `nullable` translated, as draft 4 (the
/// JSON Schema OpenAPI 3.0 extends). `None` for an unknown operation id or one without a JSON
/// body.
///
/// ```
/// let schema = explorium::testing::request_body_schema("add_prospects_enrollments").unwrap();
/// let validator = jsonschema::draft4::new(&schema).unwrap();
/// assert!(!validator.is_valid(&serde_json::json!({"enrollment_key": "abc"})));
/// ```
pub fn request_body_schema(operation_id: &str) -> Option<serde_json::Value> {
    let operation = spec::spec().ok()?.operation(operation_id)?;
    operation.body_schema().cloned()
}

/// The JSON Schema (draft 4) of an operation's 200 response, as the merged document declares
/// it (the strict rules: patterns, enums, bounds), with the components it reaches and
/// OpenAPI 3.0's `nullable` translated: what the tests check every answer of the server
/// against. `None` for an unknown operation id or one without a JSON 200 response.
///
/// ```
/// let schema = explorium::testing::response_schema("get_active_credits_summary").unwrap();
/// let validator = jsonschema::draft4::new(&schema).unwrap();
/// assert!(validator.is_valid(&serde_json::json!({"allocated_credits": 10, "remaining_credits": 7})));
/// ```
pub fn response_schema(operation_id: &str) -> Option<serde_json::Value> {
    let spec = spec::spec().ok()?;
    spec.response_root(spec.operation(operation_id)?)
}

/// A running local server. Shut down when dropped.
///
/// One per test: each binds its own port and keeps its own state, so tests in parallel do not
/// interfere. It runs on the Tokio runtime that started it.
#[derive(Debug)]
pub struct LocalServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

/// Configures a [`LocalServer`] before it starts.
#[derive(Debug, Clone)]
#[must_use]
pub struct LocalServerBuilder {
    api_keys: Vec<String>,
    path_prefix: String,
    rate_limit: Option<RateLimit>,
    port: u16,
    journal_capacity: usize,
    header_read_timeout: Duration,
    tls_names: Option<Vec<String>>,
    delivery_timeout: Duration,
    world: WorldConfig,
    credits: u64,
}

impl Default for LocalServerBuilder {
    fn default() -> Self {
        Self {
            api_keys: Vec::new(),
            path_prefix: String::new(),
            rate_limit: None,
            port: 0,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            tls_names: None,
            delivery_timeout: DEFAULT_DELIVERY_TIMEOUT,
            world: WorldConfig::default(),
            credits: DEFAULT_CREDITS,
        }
    }
}

struct Shared {
    spec: &'static Spec,
    path_prefix: String,
    api_keys: Vec<String>,
    rate_limit: Option<RateLimit>,
    header_read_timeout: Duration,
    tls: Option<Tls>,
    clock: Clock,
    deliverer: Deliverer,
    state: Mutex<State>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field(
                "api_keys",
                &format_args!("[{} redacted]", self.api_keys.len()),
            )
            .field("rate_limit", &self.rate_limit)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl LocalServer {
    /// Starts a server on `127.0.0.1` with a free port, accepting [`DEFAULT_API_KEY`], with no
    /// rate limit.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// Configures a server: keys, rate limit, port.
    pub fn builder() -> LocalServerBuilder {
        LocalServerBuilder::default()
    }

    /// `http://127.0.0.1:<port>`, or `https://127.0.0.1:<port>` when serving
    /// [TLS](LocalServerBuilder::tls), without a trailing slash.
    pub fn base_url(&self) -> String {
        let scheme = if self.shared.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The server's certificate, PEM-encoded, when it serves [TLS](LocalServerBuilder::tls):
    /// the root a client must trust to talk to it.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.shared.tls.as_ref().map(Tls::certificate_pem)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first key the server accepts.
    pub fn api_key(&self) -> &str {
        &self.shared.api_keys[0]
    }

    /// Queues a fault. Faults are served in the order injected, each to the first requests
    /// it matches.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push_back(fault);
    }

    /// The requests answered so far (or whose connection was closed by a fault), in that
    /// order: the most recent ones, as many as [`LocalServerBuilder::journal_capacity`]. A
    /// request is recorded when its answer is ready: one still stalled by [`Fault::stall`] is
    /// not there yet.
    pub fn journal(&self) -> Vec<RecordedRequest> {
        self.shared.lock().journal.entries()
    }

    /// How many requests for `operation_id` reached the server, since it started: exact,
    /// whatever the journal's capacity.
    pub fn count(&self, operation_id: &str) -> usize {
        self.shared.lock().journal.count(operation_id)
    }

    /// An enrollment the server keeps, by id.
    pub fn enrollment(&self, enrollment_id: &str) -> Option<StoredEnrollment> {
        self.shared.lock().enrollments.get(enrollment_id).cloned()
    }

    /// Stores an enrollment as if it had been created by the first API key, with no lists; it
    /// can then be updated. To reuse the documentation's ids in update examples.
    pub fn insert_enrollment(&self, path: &str, enrollment_id: &str, enrollment_key: &str) {
        self.shared.lock().insert_enrollment(
            enrollment_id.into(),
            enrollment_key.into(),
            path.into(),
            Map::new(),
            0,
        );
    }

    /// How many enrollments the server keeps.
    pub fn enrollment_count(&self) -> usize {
        self.shared.lock().enrollments.len()
    }

    /// The server's wall clock: the time at start plus Tokio's time elapsed since, so it
    /// advances with a paused Tokio clock. Event times, webhook times and the
    /// `X-Timestamp` of deliveries are read from it: verify a delivery at this time
    /// ([`Verifier::verify_at`](crate::webhook::Verifier::verify_at)) when the test's clock
    /// has run ahead of the real one.
    pub fn now(&self) -> SystemTime {
        self.shared.clock.now()
    }

    /// Injects an event, as if the service had detected it: fetching events answers it (within
    /// the requested window), and it is **delivered**, signed, to the registered webhooks of
    /// every API key with an enrollment watching it (the entity among its ids, the event's
    /// name among its event types, and its key if the event names one). Returns once every
    /// delivery is done, with what came of each (also in [`deliveries`](Self::deliveries)).
    ///
    /// ```
    /// use explorium::testing::{LocalServer, TestEvent};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = LocalServer::start().await?;
    /// let prospect = "20ae6cbf564ee683e66685e429844a5ff8ffc30f";
    /// // No enrollment watches it, so no delivery; it can still be fetched.
    /// let deliveries = server.push_event(TestEvent::prospect(prospect, "prospect_changed_role")).await;
    /// assert!(deliveries.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn push_event(&self, event: TestEvent) -> Vec<Delivery> {
        let now = self.now();
        let outgoing = {
            let mut state = self.shared.lock();
            let stored = StoredEvent::new(event, || state.correlation_id(), now);
            state.push_event(stored, now)
        };
        self.shared.deliver(outgoing).await
    }

    /// Every delivery attempted (pushed events, connectivity checks), in order: the most
    /// recent ones, as many as [`LocalServerBuilder::journal_capacity`].
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.iter().cloned().collect()
    }

    /// The credits the first API key has left: its allocation
    /// ([`LocalServerBuilder::credits`]) less what its calls cost.
    pub fn remaining_credits(&self) -> u64 {
        self.shared.lock().ledger.remaining(0)
    }

    /// The credits the first API key's calls cost so far.
    pub fn used_credits(&self) -> u64 {
        self.shared.lock().ledger.used(0)
    }

    /// Runs `f` on the world, made first if no request needed it yet.
    fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(self.shared.lock().world())
    }

    /// The webhook registered for `partner_id` (under any API key), if any.
    pub fn webhook(&self, partner_id: &str) -> Option<StoredWebhook> {
        let state = self.shared.lock();
        let found = state
            .webhooks
            .values()
            .find(|webhook| webhook.partner_id == partner_id);
        found.cloned()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every open connection.
        self.accept.abort();
    }
}

impl LocalServerBuilder {
    /// Accept this API key. May be called several times; the first key is
    /// [`LocalServer::api_key`]. Default: [`DEFAULT_API_KEY`] alone.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_keys.push(key.into());
        self
    }

    /// Allow `requests` per key in any sliding `window` (the service documents 200 per 60
    /// seconds). Default: no limit.
    pub fn rate_limit(mut self, requests: usize, window: Duration) -> Self {
        self.rate_limit = Some(RateLimit { requests, window });
        self
    }

    /// Serve the API under this path prefix, as behind a gateway: `/gateway` serves
    /// `/gateway/v1/prospects/events/enrollments`, and nothing outside the prefix. Default:
    /// none.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = prefix.into();
        self
    }

    /// Listen on this port of `127.0.0.1`. Default: 0, a free port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Keep the `capacity` most recent requests in [`LocalServer::journal`], with their
    /// bodies; older ones are forgotten ([`LocalServer::count`] still counts them). Bounds the
    /// memory of a long-running server: each entry holds its parsed body, up to the 1 MiB a
    /// request may carry. Default: [`DEFAULT_JOURNAL_CAPACITY`] (10,000).
    pub fn journal_capacity(mut self, capacity: usize) -> Self {
        self.journal_capacity = capacity;
        self
    }

    /// Close a connection that has not sent a whole request head within `timeout`: one idle
    /// between requests, or stuck halfway through its headers (or its TLS handshake), so a
    /// stalled client cannot hold the server. Default: [`DEFAULT_HEADER_READ_TIMEOUT`] (30 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Serve https only, with a self-signed certificate made at start for these names (host
    /// names, or IP addresses such as `127.0.0.1`); [`LocalServer::certificate_pem`] gives it,
    /// for the client to trust. [`LocalServer::base_url`] names `127.0.0.1`: include it to use
    /// that URL. Default: plain http.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use explorium::testing::LocalServer;
    ///
    /// let server = LocalServer::builder().tls(["localhost", "127.0.0.1"]).start().await?;
    /// assert!(server.base_url().starts_with("https://127.0.0.1:"));
    /// let root = reqwest::Certificate::from_pem(server.certificate_pem().unwrap().as_bytes())?;
    /// let client = explorium::Client::builder()
    ///     .api_key(server.api_key())
    ///     .base_url(server.base_url())
    ///     .add_root_certificate(root)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn tls<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.tls_names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// How long a delivery to a webhook waits for the receiver's answer before it is recorded
    /// as [failed](DeliveryOutcome::Failed). Default: [`DEFAULT_DELIVERY_TIMEOUT`] (10 s).
    pub fn delivery_timeout(mut self, timeout: Duration) -> Self {
        self.delivery_timeout = timeout;
        self
    }

    /// Make the world from this seed: the same seed and sizes make the same businesses and
    /// prospects, ids included. Default: [`DEFAULT_SEED`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.world.seed = seed;
        self
    }

    /// Make the world with this many businesses and prospects (shared among them, larger
    /// companies having more). Default: [`DEFAULT_BUSINESSES`] (3,000) and
    /// [`DEFAULT_PROSPECTS`] (30,000). The first four businesses are the companies the
    /// documentation's examples name, with their documented ids.
    pub fn world_size(mut self, businesses: usize, prospects: usize) -> Self {
        self.world.businesses = businesses;
        self.world.prospects = prospects;
        self
    }

    /// Allocate this many credits to each API key. A call costing more than the key has left
    /// answers 403, as the service does when out of credits. Default: [`DEFAULT_CREDITS`].
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use explorium::testing::LocalServer;
    ///
    /// let server = LocalServer::builder().credits(3).start().await?;
    /// assert_eq!(server.remaining_credits(), 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn credits(mut self, credits: u64) -> Self {
        self.credits = credits;
        self
    }

    /// Binds and starts serving on the current Tokio runtime.
    pub async fn start(self) -> io::Result<LocalServer> {
        let spec = spec::spec().map_err(io::Error::other)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port)).await?;
        let addr = listener.local_addr()?;
        let api_keys = if self.api_keys.is_empty() {
            vec![DEFAULT_API_KEY.to_string()]
        } else {
            self.api_keys
        };
        let clock = Clock::start();
        let shared = Arc::new(Shared {
            spec,
            path_prefix: self.path_prefix.trim_end_matches('/').to_string(),
            api_keys,
            rate_limit: self.rate_limit,
            header_read_timeout: self.header_read_timeout,
            tls: self.tls_names.map(Tls::generate).transpose()?,
            clock,
            deliverer: Deliverer::new(self.delivery_timeout),
            state: Mutex::new(State::new(
                self.journal_capacity,
                self.world,
                self.credits,
                clock::year(clock.now()),
            )),
        });
        let accept = tokio::spawn(serve::accept_loop(listener, Arc::clone(&shared)));
        Ok(LocalServer {
            addr,
            shared,
            accept,
        })
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not make every later request panic too.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the deliveries one after the other, recording each as it completes.
    async fn deliver(&self, outgoing: Vec<Outgoing>) -> Vec<Delivery> {
        let mut deliveries = Vec::new();
        for delivery in outgoing {
            let delivery = delivery.send(&self.deliverer).await;
            self.lock().record_delivery(delivery.clone());
            deliveries.push(delivery);
        }
        deliveries
    }
}
