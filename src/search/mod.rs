//! The search family: every entity a set of filters selects, page by page, as a `Stream`
//! ([`Search::stream`]), their count ([`Stats`]), and suggestions for filter values
//! ([`Businesses::autocomplete`], [`Prospects::autocomplete`]).

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;

use futures_core::Stream;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Businesses, Client, Prospects};
use crate::data::{decode_scrubbed, post_object, Entity, Typed};
use crate::generated::types;
use crate::transport::call::{Decoded, Operation};
use crate::transport::error::Error;
use crate::transport::server_text::Scrub;
use crate::validate;

mod filters;

pub use filters::{BusinessFilters, ProspectFilters};

/// Most rows one search may return (its `size`).
pub const MAX_LIMIT: u64 = 60_000;
/// Most rows one page may hold.
pub const MAX_PAGE_SIZE: u64 = 500;
/// Rows a page holds unless told otherwise.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// Most ids `exclude` may hold.
pub const MAX_EXCLUDE: usize = 1_000;

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::client::Businesses {}
    impl Sealed for crate::client::Prospects {}
}

/// What a search is about: [`Businesses`] or [`Prospects`]. Sealed.
pub trait Searched: sealed::Sealed + Entity {
    /// The filters, the generated (strict) type: every value is checked against its enum
    /// or rule when it is built.
    type Filters: Serialize + DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static;
    /// One row: the generated (lenient) type.
    type Row: DeserializeOwned + fmt::Debug + Send + 'static;
    /// The count's answer: the generated type.
    type Stats: DeserializeOwned + fmt::Debug + Send + 'static;
    /// Fetch, stats, autocomplete.
    #[doc(hidden)]
    const OPERATIONS: [(&'static str, &'static str); 3];
}

impl Searched for Businesses {
    type Filters = types::BusinessesFetchFilters;
    type Row = types::Business;
    type Stats = types::BusinessesStatsResponse;
    const OPERATIONS: [(&'static str, &'static str); 3] = [
        ("fetch_businesses", "/v1/businesses"),
        ("fetch_stats", "/v1/businesses/stats"),
        ("businesses_autocomplete", "/v1/businesses/autocomplete"),
    ];
}

impl Searched for Prospects {
    type Filters = types::ProspectsFetchFilters;
    type Row = types::Prospect;
    type Stats = types::ProspectsStatsResponse;
    const OPERATIONS: [(&'static str, &'static str); 3] = [
        ("fetch_prospects", "/v1/prospects"),
        ("prospect_fetch_stats", "/v1/prospects/stats"),
        ("prospects_autocomplete", "/v1/prospects/autocomplete"),
    ];
}

/// Filters for a search or a count of `E`: the typed builder ([`BusinessFilters`],
/// [`ProspectFilters`]), or the generated filters type. Sealed.
pub trait IntoFilters<E: Searched>: filters::Sealed {
    /// The filters' JSON, or the first rule they break.
    #[doc(hidden)]
    fn into_filters(self) -> Result<Value, filters::Refused>;
}

macro_rules! generated_filters {
    ($handle:ident, $filters:ty) => {
        impl filters::Sealed for $filters {}

        impl IntoFilters<$handle> for $filters {
            fn into_filters(self) -> Result<Value, filters::Refused> {
                serde_json::to_value(self).map_err(|e| filters::Refused::new("filters", e))
            }
        }
    };
}

generated_filters!(Businesses, types::BusinessesFetchFilters);
generated_filters!(Prospects, types::ProspectsFetchFilters);

/// Searches, counts and autocompletes only read: retried like reads.
fn operation<E: Searched>(which: usize, method: Method) -> Operation {
    let (id, path) = E::OPERATIONS[which];
    Operation::new(id, method, path, true)
}

macro_rules! search_methods {
    ($handle:ident, $plural:literal) => {
        /// The search family's part of the handle.
        impl $handle {
            #[doc = concat!("Every ", $plural, " the filters select, as a stream: see [`Search`].")]
            pub fn search(&self) -> Search<$handle> {
                Search {
                    client: self.client.clone(),
                    entity: PhantomData,
                    filters: None,
                    limit: None,
                    page_size: DEFAULT_PAGE_SIZE,
                    exclude: Vec::new(),
                }
            }

            #[doc = concat!("How many ", $plural, " the filters select, and their spread: see [`Stats`]. Free.")]
            pub fn stats(&self) -> Stats<$handle> {
                Stats {
                    client: self.client.clone(),
                    entity: PhantomData,
                    filters: None,
                }
            }

            /// Suggestions for a filter's values: those of `field` that `query` starts
            /// (`"soft"` for `software`...). A read; free.
            pub async fn autocomplete(
                &self,
                field: types::AutocompleteType,
                query: &str,
            ) -> Result<Vec<types::AutoCompleteItem>, Error> {
                autocomplete::<$handle>(&self.client, field, query).await
            }
        }
    };
}

search_methods!(Businesses, "businesses");
search_methods!(Prospects, "prospects");

async fn autocomplete<E: Searched>(
    client: &Client,
    field: types::AutocompleteType,
    query: &str,
) -> Result<Vec<types::AutoCompleteItem>, Error> {
    let operation = operation::<E>(2, Method::GET);
    if query.chars().count() > 256 {
        return Err(
            Error::invalid_request("query", "longer than 256 characters")
                .with_operation(operation.id),
        );
    }
    let encode = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let path = format!(
        "{}?field={}&query={}",
        operation.path,
        encode(&field.to_string()),
        encode(query)
    );
    let typed: Typed<Vec<types::AutoCompleteItem>> =
        client.shared().call(&operation, &path, None).await?;
    Ok(typed.value)
}

/// A search, from `client.businesses().search()` or `client.prospects().search()`. Does
/// nothing until [`Search::stream`] is polled.
#[must_use = "a search does nothing until its stream is polled"]
pub struct Search<E: Searched> {
    client: Client,
    entity: PhantomData<fn() -> E>,
    filters: Option<Result<Value, filters::Refused>>,
    limit: Option<u64>,
    page_size: u64,
    exclude: Vec<String>,
}

impl<E: Searched> Clone for Search<E> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            entity: PhantomData,
            filters: self.filters.clone(),
            limit: self.limit,
            page_size: self.page_size,
            exclude: self.exclude.clone(),
        }
    }
}

impl<E: Searched> fmt::Debug for Search<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Search")
            .field("path", &E::OPERATIONS[0].1)
            .field("filters", &self.filters)
            .field("limit", &self.limit)
            .field("page_size", &self.page_size)
            .field("exclude", &self.exclude.len())
            .finish_non_exhaustive()
    }
}

impl<E: Searched> Search<E> {
    /// The filters: a [`BusinessFilters`] or [`ProspectFilters`] (or the generated type),
    /// checked when the stream is first polled. Default: none (everything).
    pub fn filters(mut self, filters: impl IntoFilters<E>) -> Self {
        self.filters = Some(filters.into_filters());
        self
    }

    /// The most rows the stream yields: the request's `size`, 1 to 60,000, at least the page
    /// size. Required.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Rows a page holds, 1 to 500: the stream holds at most one page in memory. Default:
    /// [`DEFAULT_PAGE_SIZE`] (100).
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = page_size;
        self
    }

    /// Ids never to return (at most 1,000, lowercase hex). Default: none.
    pub fn exclude<I>(mut self, ids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.exclude.extend(ids.into_iter().map(Into::into));
        self
    }

    /// What every page's request holds, or the first rule the search breaks.
    fn checked(&self) -> Result<Map<String, Value>, Error> {
        let limit = self
            .limit
            .ok_or_else(|| Error::invalid_request("limit", "required (the request's `size`)"))?;
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::invalid_request(
                "limit",
                format!("{limit} is not 1 to {MAX_LIMIT}"),
            ));
        }
        let page_size = self.page_size;
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(Error::invalid_request(
                "page_size",
                format!("{page_size} is not 1 to {MAX_PAGE_SIZE}"),
            ));
        }
        if limit < page_size {
            return Err(Error::invalid_request(
                "page_size",
                format!(
                    "{page_size} is more than the limit ({limit}): the service requires size \
                     (the limit) to be at least page_size"
                ),
            ));
        }
        if self.exclude.len() > MAX_EXCLUDE {
            return Err(Error::invalid_request(
                "exclude",
                format!("{} ids, more than {MAX_EXCLUDE}", self.exclude.len()),
            ));
        }
        for (index, id) in self.exclude.iter().enumerate() {
            validate::id("exclude", index, id, E::HEX_LEN)?;
        }
        let mut body = Map::new();
        body.insert("mode".into(), "full".into());
        body.insert("size".into(), limit.into());
        body.insert("page_size".into(), page_size.into());
        if let Some(filters) = &self.filters {
            let filters = filters.clone().map_err(filters::Refused::into_error)?;
            body.insert("filters".into(), filters);
        }
        if !self.exclude.is_empty() {
            body.insert("exclude".into(), self.exclude.clone().into());
        }
        Ok(body)
    }

    /// The rows, in the service's order, page by page, as they are asked for: nothing is sent
    /// until the stream is polled, at most one page is held, and dropping the stream stops the
    /// requests. It ends after `limit` rows (never yielding the extra rows a last page may
    /// hold), at an empty page, at the last page, or when the cursor ends. A search that breaks
    /// a rule yields that error first, sends nothing, and ends; so does a page that fails
    /// (after the retries the policy allows).
    pub fn stream(self) -> impl Stream<Item = Result<E::Row, Error>> + Send + 'static {
        let operation = operation::<E>(0, Method::POST);
        let state = match self.checked() {
            Ok(body) => Paging {
                client: Some(self.client),
                body,
                rows: VecDeque::new(),
                left: self.limit.unwrap_or_default(),
                page: 0,
                cursor: None,
                error: None,
            },
            Err(error) => Paging {
                client: None,
                body: Map::new(),
                rows: VecDeque::new(),
                left: 0,
                page: 0,
                cursor: None,
                error: Some(error.with_operation(operation.id)),
            },
        };
        futures_util::stream::unfold((state, operation), |(mut state, operation)| async move {
            let item = state.next(&operation).await?;
            Some((item, (state, operation)))
        })
    }
}

/// Where a stream stands.
struct Paging<R> {
    /// `None` once no more pages are to be asked for.
    client: Option<Client>,
    body: Map<String, Value>,
    /// The current page's rows not yielded yet.
    rows: VecDeque<R>,
    /// Rows still to yield.
    left: u64,
    /// The last page asked for.
    page: u64,
    cursor: Option<String>,
    /// To yield before ending.
    error: Option<Error>,
}

impl<R: DeserializeOwned> Paging<R> {
    async fn next(&mut self, operation: &Operation) -> Option<Result<R, Error>> {
        loop {
            if let Some(error) = self.error.take() {
                self.client = None;
                return Some(Err(error));
            }
            if self.left == 0 {
                return None;
            }
            if let Some(row) = self.rows.pop_front() {
                self.left -= 1;
                return Some(Ok(row));
            }
            let client = self.client.clone()?;
            // The yielded page's buffer goes before the next page arrives: one page at a time.
            self.rows = VecDeque::new();
            self.page += 1;
            let mut body = self.body.clone();
            match &self.cursor {
                Some(cursor) => body.insert("next_cursor".into(), cursor.clone().into()),
                None => body.insert("page".into(), self.page.into()),
            };
            let (result, _) =
                post_object::<WirePage<R>>(&client, operation, operation.path, &body).await;
            match result {
                Err(error) => self.error = Some(error),
                Ok(page) => {
                    let last = page.rows.is_empty()
                        || page.total_pages.is_some_and(|total| self.page >= total)
                        || (page.cursor_shape && page.next_cursor.is_none());
                    if last {
                        self.client = None;
                    }
                    self.cursor = page.next_cursor;
                    // Never more than the limit: the rest of a last page is dropped here.
                    let mut rows = page.rows;
                    rows.truncate(usize::try_from(self.left).unwrap_or(usize::MAX));
                    // In place: the decoded rows are not copied.
                    self.rows = VecDeque::from(rows);
                    if self.rows.is_empty() {
                        return None;
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "R: DeserializeOwned"))]
struct WirePageBody<R> {
    #[serde(default = "Vec::new")]
    data: Vec<R>,
    #[serde(default)]
    total_pages: Option<Value>,
    #[serde(default)]
    page: Option<Value>,
}

/// A page in either shape: numbered (`page`, `total_pages`) or with a cursor
/// (`page: {size, next_cursor}`).
struct WirePage<R> {
    rows: Vec<R>,
    total_pages: Option<u64>,
    cursor_shape: bool,
    next_cursor: Option<String>,
}

impl<R: DeserializeOwned> Decoded for WirePage<R> {
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        let wire: WirePageBody<R> = decode_scrubbed(body, scrub)?;
        let (cursor_shape, next_cursor) = match &wire.page {
            Some(Value::Object(page)) => (
                true,
                page.get("next_cursor")
                    .and_then(Value::as_str)
                    .filter(|c| !c.is_empty())
                    .map(String::from),
            ),
            _ => (false, None),
        };
        Ok(Self {
            rows: wire.data,
            total_pages: wire.total_pages.as_ref().and_then(Value::as_u64),
            cursor_shape,
            next_cursor,
        })
    }
}

/// A count of what filters select, from `client.businesses().stats()` or
/// `client.prospects().stats()`. Does nothing until [`Stats::send`].
#[must_use = "a request does nothing until `.send().await`"]
pub struct Stats<E: Searched> {
    client: Client,
    entity: PhantomData<fn() -> E>,
    filters: Option<Result<Value, filters::Refused>>,
}

impl<E: Searched> fmt::Debug for Stats<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stats")
            .field("path", &E::OPERATIONS[1].1)
            .field("filters", &self.filters)
            .finish_non_exhaustive()
    }
}

impl<E: Searched> Stats<E> {
    /// The filters, as for [`Search::filters`]. Default: none (everything).
    pub fn filters(mut self, filters: impl IntoFilters<E>) -> Self {
        self.filters = Some(filters.into_filters());
        self
    }

    /// Sends the request: the generated stats response (`total_results` and the spread).
    pub async fn send(self) -> Result<E::Stats, Error> {
        let operation = operation::<E>(1, Method::POST);
        let filters = match self.filters {
            Some(filters) => filters.map_err(|e| e.into_error().with_operation(operation.id))?,
            None => Value::Object(Map::new()),
        };
        let mut body = Map::new();
        body.insert("filters".into(), filters);
        let (result, _) =
            post_object::<Typed<E::Stats>>(&self.client, &operation, operation.path, &body).await;
        Ok(result?.value)
    }
}
