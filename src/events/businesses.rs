//! Business enrollments (add: [`EnrollBusinesses`], update: [`UpdateBusinesses`], list,
//! delete) and business events ([`FetchBusinessEvents`]).

use crate::client::{json_body, Businesses, Client};
use crate::events::enrollment::{Deleted, Enrollment, ListedEnrollment};
use crate::events::event_types::BusinessEvent;
use crate::events::fetch::{window_setters, Fetched, FetchedEvent, Window};
use crate::events::lifecycle::{self, BUSINESSES};
use crate::events::request::{conversion, list_setters, Lists};
use crate::events::rules::{self, MAX_FETCH_IDS, MAX_IDS};
use crate::generated::types;
use crate::transport::error::Error;

/// The events family's part of [`Businesses`]: enrollments, bulk jobs and fetched events.
impl Businesses {
    /// Enrolls businesses under `enrollment_key` (at least 4 characters): Explorium watches
    /// them for the event types given and delivers the events to the partner's webhook (see
    /// [`Client::webhooks`]), or keeps them for [`Businesses::events`].
    ///
    /// An add is not idempotent: sent twice, it creates two enrollments. When its outcome is
    /// unknown, the client lists the enrollments before sending it again (see
    /// [`EnrollBusinesses::reconcile`]).
    pub fn enroll(&self, enrollment_key: impl Into<String>) -> EnrollBusinesses {
        EnrollBusinesses {
            client: self.client.clone(),
            enrollment_key: enrollment_key.into(),
            lists: Lists::default(),
            reconcile: true,
        }
    }

    /// Enrolls any number of ids under `enrollment_key`, 20 to an enrollment, and reports what
    /// became of each: see [`EnrollAll`](crate::bulk::EnrollAll). Run it again with the same key
    /// to complete a job that failed or was interrupted: ids already enrolled are skipped.
    pub fn enroll_all<I>(
        &self,
        enrollment_key: impl Into<String>,
        ids: I,
    ) -> crate::bulk::EnrollAll<Self>
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        crate::bulk::EnrollAll::new(self.client.clone(), enrollment_key.into(), ids)
    }

    /// Makes the enrollments of `enrollment_key` watch exactly these ids for exactly the event
    /// types given, with the fewest requests: see [`SyncEnrollments`](crate::bulk::SyncEnrollments).
    pub fn sync<I>(
        &self,
        enrollment_key: impl Into<String>,
        ids: I,
    ) -> crate::bulk::SyncEnrollments<Self>
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        crate::bulk::SyncEnrollments::new(self.client.clone(), enrollment_key.into(), ids)
    }

    /// Replaces the businesses and event types of an enrollment. Every list must be given in
    /// full: what is not in the update is no longer watched. Idempotent.
    pub fn update_enrollment(
        &self,
        enrollment_id: impl Into<String>,
        enrollment_key: impl Into<String>,
    ) -> UpdateBusinesses {
        UpdateBusinesses {
            client: self.client.clone(),
            enrollment_id: enrollment_id.into(),
            enrollment_key: enrollment_key.into(),
            lists: Lists::default(),
        }
    }

    /// Every business enrollment of the account (the service does not paginate). Event types
    /// the crate does not know are kept, as [`EventName::Unknown`](crate::EventName::Unknown).
    ///
    /// ```no_run
    /// # async fn run(client: explorium::Client) -> Result<(), explorium::Error> {
    /// for enrollment in client.businesses().enrollments().await? {
    ///     println!("{} watches {} businesses", enrollment.enrollment_key(), enrollment.ids().len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn enrollments(&self) -> Result<Vec<ListedEnrollment>, Error> {
        lifecycle::list(&self.client, &BUSINESSES).await
    }

    /// Deletes an enrollment: Explorium stops watching its businesses. Idempotent, so retried
    /// like a read: [`Deleted::AlreadyGone`] when the server no longer knows the id (which, after
    /// a retry, may be because this call's first attempt removed it).
    pub async fn delete_enrollment(
        &self,
        enrollment_id: impl Into<String>,
    ) -> Result<Deleted, Error> {
        let operation = &BUSINESSES.delete;
        let enrollment_id = enrollment_id.into();
        rules::enrollment_id(&enrollment_id).map_err(|e| e.with_operation(operation.id))?;
        let body = types::BusinessesEnrollmentsDeleteRequest {
            enrollment_id,
            request_context: None,
        };
        let body = json_body(operation, &body)?;
        lifecycle::delete(&self.client, operation, operation.path, Some(body)).await
    }

    /// Fetches the events of up to 40 businesses: those Explorium recorded in about the last 3
    /// months (older ones are not kept; nothing is returned for them), optionally within a
    /// window ([`FetchBusinessEvents::since`], [`FetchBusinessEvents::until`]).
    ///
    /// ```no_run
    /// # async fn run(client: explorium::Client) -> Result<(), explorium::Error> {
    /// use explorium::BusinessEvent;
    ///
    /// let events = client
    ///     .businesses()
    ///     .events()
    ///     .business_ids(["8adce3ca1cef0c986b22310e369a0793"])
    ///     .event_types([BusinessEvent::NewFundingRound])
    ///     .since("2024-01-01T10:03:03.050Z")
    ///     .send()
    ///     .await?;
    /// for event in events {
    ///     println!("{} {} at {}", event.entity_id(), event.event_name(), event.event_time());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn events(&self) -> FetchBusinessEvents {
        FetchBusinessEvents {
            client: self.client.clone(),
            lists: Lists::default(),
            window: Window::default(),
        }
    }
}

/// A request to add a business enrollment. Does nothing until [`EnrollBusinesses::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct EnrollBusinesses {
    client: Client,
    enrollment_key: String,
    lists: Lists<BusinessEvent>,
    reconcile: bool,
}

list_setters!(
    EnrollBusinesses,
    business_ids,
    business_id,
    BusinessEvent,
    "business"
);

impl EnrollBusinesses {
    /// Whether an add whose outcome is unknown is reconciled, by listing the business
    /// enrollments: as [`EnrollProspects::reconcile`](crate::prospects::EnrollProspects::reconcile)
    /// describes. Default: `true`.
    pub fn reconcile(mut self, reconcile: bool) -> Self {
        self.reconcile = reconcile;
        self
    }

    /// The body [`send`](Self::send) would send, as the generated type, or the first rule
    /// it breaks. Nothing is sent.
    pub fn body(&self) -> Result<types::BusinessesEnrollmentsAddRequest, Error> {
        rules::enrollment_key(&self.enrollment_key)?;
        let (ids, event_types) =
            self.lists
                .checked(BUSINESSES.ids_field, BUSINESSES.hex_len, MAX_IDS)?;
        Ok(types::BusinessesEnrollmentsAddRequest {
            enrollment_key: conversion("enrollment_key", self.enrollment_key.as_str().try_into())?,
            business_ids: conversion(
                "business_ids",
                ids.into_iter().map(TryInto::try_into).collect(),
            )?,
            event_types,
            request_context: None,
        })
    }

    /// Checks the request, sends it, and returns the new enrollment (or, after an unknown
    /// outcome, the identical one found by listing: see [`EnrollBusinesses::reconcile`]). A
    /// request that breaks a rule of the schema is refused here
    /// ([`ErrorKind::InvalidRequest`]) and not sent.
    ///
    /// [`ErrorKind::InvalidRequest`]: crate::ErrorKind::InvalidRequest
    pub async fn send(self) -> Result<Enrollment, Error> {
        lifecycle::send_add(
            &self.client,
            &BUSINESSES,
            &self.enrollment_key,
            &self.lists,
            self.reconcile,
        )
        .await
    }
}

/// A request to update a business enrollment. Does nothing until [`UpdateBusinesses::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct UpdateBusinesses {
    client: Client,
    enrollment_id: String,
    enrollment_key: String,
    lists: Lists<BusinessEvent>,
}

list_setters!(
    UpdateBusinesses,
    business_ids,
    business_id,
    BusinessEvent,
    "business"
);

impl UpdateBusinesses {
    /// The body [`send`](Self::send) would send, as the generated type, or the first rule
    /// it breaks. Nothing is sent.
    pub fn body(&self) -> Result<types::BusinessesEnrollmentsUpdateRequest, Error> {
        rules::enrollment_id(&self.enrollment_id)?;
        rules::enrollment_key(&self.enrollment_key)?;
        let (ids, event_types) =
            self.lists
                .checked(BUSINESSES.ids_field, BUSINESSES.hex_len, MAX_IDS)?;
        Ok(types::BusinessesEnrollmentsUpdateRequest {
            enrollment_id: self.enrollment_id.clone(),
            enrollment_key: conversion("enrollment_key", self.enrollment_key.as_str().try_into())?,
            business_ids: conversion(
                "business_ids",
                ids.into_iter().map(TryInto::try_into).collect(),
            )?,
            event_types,
            request_context: None,
        })
    }

    /// Checks the request, sends it, and returns the enrollment.
    pub async fn send(self) -> Result<Enrollment, Error> {
        lifecycle::send_update(
            &self.client,
            &BUSINESSES,
            &self.enrollment_id,
            &self.enrollment_key,
            &self.lists,
        )
        .await
    }
}

/// A request to fetch business events, from [`Businesses::events`]. Does nothing until
/// [`FetchBusinessEvents::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct FetchBusinessEvents {
    client: Client,
    lists: Lists<BusinessEvent>,
    window: Window,
}

list_setters!(
    FetchBusinessEvents,
    business_ids,
    business_id,
    BusinessEvent,
    "business",
    "40"
);

window_setters!(FetchBusinessEvents);

impl FetchBusinessEvents {
    /// The body [`send`](Self::send) would send, as the generated type, or the first rule
    /// it breaks. Nothing is sent.
    pub fn body(&self) -> Result<types::BusinessesEventsRequest, Error> {
        let (ids, event_types) =
            self.lists
                .checked(BUSINESSES.ids_field, BUSINESSES.hex_len, MAX_FETCH_IDS)?;
        let (timestamp_from, timestamp_to) = self.window.checked()?;
        Ok(types::BusinessesEventsRequest {
            entity_type: types::EntityType::Business,
            event_types,
            business_ids: conversion(
                "business_ids",
                ids.into_iter().map(TryInto::try_into).collect(),
            )?,
            request_context: None,
            timestamp_from,
            timestamp_to,
        })
    }

    /// Checks the request, sends it, and returns the events, in the server's order. Fetching
    /// only reads, so it is retried like a read although it is a `POST`.
    pub async fn send(self) -> Result<Vec<FetchedEvent>, Error> {
        let body = self
            .body()
            .map_err(|e| e.with_operation(BUSINESSES.fetch.id))?;
        let fetched: Fetched = self.client.execute(&BUSINESSES.fetch, &body).await?;
        Ok(fetched.events)
    }
}
