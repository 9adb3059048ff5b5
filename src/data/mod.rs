//! What the data families (match, search, enrich, credits, health) share: the kind of entity a
//! call is about ([`Entity`]), and the lenient decoding of a generated response type with the
//! key scrubbed from it ([`Typed`]).

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::transport::call::Decoded;
use crate::transport::context::{pick_context, ResponseContext};
use crate::transport::error::Error;
use crate::transport::server_text::Scrub;

#[cfg(any(feature = "match", feature = "search", feature = "enrich"))]
mod sealed {
    pub trait Sealed {}
}

#[cfg(any(feature = "match", feature = "search", feature = "enrich"))]
/// The kind of entity a data call is about: [`Businesses`](crate::client::Businesses) or
/// [`Prospects`](crate::client::Prospects). Sealed.
pub trait Entity: sealed::Sealed + Clone + Send + Sync + 'static {
    /// `business` or `prospect`.
    #[doc(hidden)]
    const SINGULAR: &'static str;
    /// The field of one id in a request: `business_id`.
    #[doc(hidden)]
    const ID_FIELD: &'static str;
    /// The field of a list of ids: `business_ids`.
    #[doc(hidden)]
    const IDS_FIELD: &'static str;
    /// The length of an id in lowercase hex: 32 for a business, 40 for a prospect.
    #[doc(hidden)]
    const HEX_LEN: usize;
    /// The path segment: `businesses`.
    #[doc(hidden)]
    const PATH: &'static str;

    /// The client the handle holds.
    #[doc(hidden)]
    fn client(&self) -> &crate::client::Client;
}

#[cfg(any(feature = "match", feature = "search", feature = "enrich"))]
impl sealed::Sealed for crate::client::Businesses {}
#[cfg(any(feature = "match", feature = "search", feature = "enrich"))]
impl sealed::Sealed for crate::client::Prospects {}

#[cfg(any(feature = "match", feature = "search", feature = "enrich"))]
impl Entity for crate::client::Businesses {
    const SINGULAR: &'static str = "business";
    const ID_FIELD: &'static str = "business_id";
    const IDS_FIELD: &'static str = "business_ids";
    const HEX_LEN: usize = 32;
    const PATH: &'static str = "businesses";

    fn client(&self) -> &crate::client::Client {
        &self.client
    }
}

#[cfg(any(feature = "match", feature = "search", feature = "enrich"))]
impl Entity for crate::client::Prospects {
    const SINGULAR: &'static str = "prospect";
    const ID_FIELD: &'static str = "prospect_id";
    const IDS_FIELD: &'static str = "prospect_ids";
    const HEX_LEN: usize = 40;
    const PATH: &'static str = "prospects";

    fn client(&self) -> &crate::client::Client {
        &self.client
    }
}

/// Decodes `body` as `T` with the API key scrubbed from every string. The key, or a JSON
/// escape that could hide it, is looked for in the text first: most bodies have neither and are
/// decoded directly, the rest through a [`serde_json::Value`] scrubbed in place.
pub(crate) fn decode_scrubbed<T: DeserializeOwned>(
    body: &[u8],
    scrub: Scrub<'_>,
) -> serde_json::Result<T> {
    if scrub.may_hide_key(body) {
        let mut value: serde_json::Value = serde_json::from_slice(body)?;
        scrub.json(&mut value);
        serde_json::from_value(value)
    } else {
        serde_json::from_slice(body)
    }
}

/// A generated response type, decoded leniently (the generated response types refuse no
/// added field and no value outside an enum), with the server's account of the call.
#[derive(Debug, Clone)]
pub(crate) struct Typed<T> {
    pub(crate) value: T,
    pub(crate) context: Option<ResponseContext>,
}

#[derive(serde::Deserialize)]
struct WireContexts {
    #[serde(default)]
    response_context: Option<Box<RawValue>>,
    #[serde(default)]
    request_context: Option<Box<RawValue>>,
}

/// The server's account of a call, from a body that has one.
pub(crate) fn context_of(body: &[u8], scrub: Scrub<'_>) -> Option<ResponseContext> {
    let wire: WireContexts = serde_json::from_slice(body).ok()?;
    pick_context(wire.response_context, wire.request_context, scrub)
}

impl<T: DeserializeOwned> Decoded for Typed<T> {
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        let value = decode_scrubbed(body, scrub)?;
        let context = if body.first() == Some(&b'{') {
            context_of(body, scrub)
        } else {
            None
        };
        Ok(Self { value, context })
    }

    fn correlation_id(&self) -> Option<&str> {
        self.context.as_ref().map(ResponseContext::correlation_id)
    }
}

/// A call of `operation` at `path` with a JSON object body, and its attempts.
pub(crate) async fn post_object<T: crate::transport::call::Decoded>(
    client: &crate::client::Client,
    operation: &crate::transport::call::Operation,
    path: &str,
    body: &serde_json::Map<String, serde_json::Value>,
) -> (Result<T, Error>, u32) {
    let body = serde_json::to_vec(body)
        .map(bytes::Bytes::from)
        .map_err(|e| Error::invalid_request("body", e));
    post_bytes(client, operation, path, body).await
}

/// A call of `operation` at `path` with a body written beforehand (or why it could not be),
/// and its attempts.
pub(crate) async fn post_bytes<T: crate::transport::call::Decoded>(
    client: &crate::client::Client,
    operation: &crate::transport::call::Operation,
    path: &str,
    body: Result<bytes::Bytes, Error>,
) -> (Result<T, Error>, u32) {
    match body {
        Ok(body) => {
            client
                .shared()
                .call_counted(operation, path, Some(body))
                .await
        }
        Err(error) => (Err(error.with_operation(operation.id)), 0),
    }
}

/// A bulk request's body, written straight from its items (no copy of them, no
/// `serde_json::Value`): `{"<field>": [..], "parameters": ..}`.
#[cfg(any(feature = "match", feature = "enrich"))]
pub(crate) struct ListBody<'a, T: ?Sized> {
    /// The list's field: `business_ids`, `businesses_to_match`.
    pub(crate) field: &'static str,
    pub(crate) items: Vec<&'a T>,
    pub(crate) parameters: Option<&'a serde_json::Value>,
}

#[cfg(any(feature = "match", feature = "enrich"))]
impl<T: serde::Serialize + ?Sized> ListBody<'_, T> {
    /// The body as JSON; an error names the list's field.
    pub(crate) fn to_bytes(&self) -> Result<bytes::Bytes, Error> {
        serde_json::to_vec(self)
            .map(bytes::Bytes::from)
            .map_err(|e| Error::invalid_request(self.field, e))
    }
}

#[cfg(any(feature = "match", feature = "enrich"))]
impl<T: serde::Serialize + ?Sized> serde::Serialize for ListBody<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1 + usize::from(self.parameters.is_some())))?;
        map.serialize_entry(self.field, &self.items)?;
        if let Some(parameters) = self.parameters {
            map.serialize_entry("parameters", parameters)?;
        }
        map.end()
    }
}
