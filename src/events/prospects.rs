//! Prospect enrollments (add: [`EnrollProspects`], update: [`UpdateProspects`], list, delete)
//! and prospect events ([`FetchProspectEvents`]).

use crate::client::{json_body, Client, Prospects};
use crate::events::enrollment::{Deleted, Enrollment, ListedEnrollment};
use crate::events::event_types::ProspectEvent;
use crate::events::fetch::{window_setters, Fetched, FetchedEvent, Window};
use crate::events::lifecycle::{self, PROSPECTS};
use crate::events::request::{conversion, list_setters, Lists};
use crate::events::rules::{self, MAX_FETCH_IDS, MAX_IDS};
use crate::generated::types;
use crate::transport::error::Error;

/// The events family's part of [`Prospects`]: enrollments, bulk jobs and fetched events.
impl Prospects {
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

    /// Enrolls prospects under `enrollment_key` (at least 4 characters): Explorium watches
    /// them for the event types given and delivers the events to the partner's webhook (see
    /// [`Client::webhooks`]), or keeps them for [`Prospects::events`].
    ///
    /// An add is not idempotent: sent twice, it creates two enrollments. When its outcome is
    /// unknown, the client lists the enrollments before sending it again (see
    /// [`EnrollProspects::reconcile`]).
    pub fn enroll(&self, enrollment_key: impl Into<String>) -> EnrollProspects {
        EnrollProspects {
            client: self.client.clone(),
            enrollment_key: enrollment_key.into(),
            lists: Lists::default(),
            reconcile: true,
        }
    }

    /// Replaces the prospects and event types of an enrollment. Every list must be given in
    /// full: what is not in the update is no longer watched. Idempotent.
    pub fn update_enrollment(
        &self,
        enrollment_id: impl Into<String>,
        enrollment_key: impl Into<String>,
    ) -> UpdateProspects {
        UpdateProspects {
            client: self.client.clone(),
            enrollment_id: enrollment_id.into(),
            enrollment_key: enrollment_key.into(),
            lists: Lists::default(),
        }
    }

    /// Every prospect enrollment of the account (the service does not paginate). Event types
    /// the crate does not know are kept, as [`EventName::Unknown`](crate::EventName::Unknown).
    ///
    /// ```no_run
    /// # async fn run(client: explorium::Client) -> Result<(), explorium::Error> {
    /// for enrollment in client.prospects().enrollments().await? {
    ///     println!("{} watches {} prospects", enrollment.enrollment_key(), enrollment.ids().len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn enrollments(&self) -> Result<Vec<ListedEnrollment>, Error> {
        lifecycle::list(&self.client, &PROSPECTS).await
    }

    /// Deletes an enrollment: Explorium stops watching its prospects. Idempotent, so retried
    /// like a read: [`Deleted::AlreadyGone`] when the server no longer knows the id (which, after
    /// a retry, may be because this call's first attempt removed it).
    pub async fn delete_enrollment(
        &self,
        enrollment_id: impl Into<String>,
    ) -> Result<Deleted, Error> {
        let operation = &PROSPECTS.delete;
        let enrollment_id = enrollment_id.into();
        rules::enrollment_id(&enrollment_id).map_err(|e| e.with_operation(operation.id))?;
        let body = types::ProspectsEnrollmentsDeleteRequest {
            enrollment_id,
            request_context: None,
        };
        let body = json_body(operation, &body)?;
        lifecycle::delete(&self.client, operation, operation.path, Some(body)).await
    }

    /// Fetches the events of up to 40 prospects: those Explorium recorded in about the last 3
    /// months (older ones are not kept; nothing is returned for them), optionally within a
    /// window ([`FetchProspectEvents::since`], [`FetchProspectEvents::until`]).
    ///
    /// ```no_run
    /// # async fn run(client: explorium::Client) -> Result<(), explorium::Error> {
    /// use explorium::ProspectEvent;
    ///
    /// let events = client
    ///     .prospects()
    ///     .events()
    ///     .prospect_ids(["20ae6cbf564ee683e66685e429844a5ff8ffc30f"])
    ///     .event_types([ProspectEvent::ProspectChangedCompany])
    ///     .since("2024-01-01T10:03:03.050Z")
    ///     .send()
    ///     .await?;
    /// for event in events {
    ///     println!("{} {} at {}", event.entity_id(), event.event_name(), event.event_time());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn events(&self) -> FetchProspectEvents {
        FetchProspectEvents {
            client: self.client.clone(),
            lists: Lists::default(),
            window: Window::default(),
        }
    }
}

/// A request to add a prospect enrollment. Does nothing until [`EnrollProspects::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct EnrollProspects {
    client: Client,
    enrollment_key: String,
    lists: Lists<ProspectEvent>,
    reconcile: bool,
}

list_setters!(
    EnrollProspects,
    prospect_ids,
    prospect_id,
    ProspectEvent,
    "prospect"
);

impl EnrollProspects {
    /// Whether an add whose outcome is unknown (a timeout or broken connection after sending,
    /// a 500/502/503/504) is reconciled: after the retry policy's wait, the client lists the
    /// prospect enrollments; if one has this key, these ids and these event types (compared as
    /// sets), it is returned, whether this add made it or it existed before; if none does, the
    /// add is sent again. Attempts (the list counts as one), the retry budget and the deadline
    /// bound it all. When the call still fails, its error says the enrollment may exist.
    ///
    /// One race remains: if the server is still processing the first add when the list is
    /// taken, the add is sent again and two enrollments result.
    ///
    /// `false`: an unknown outcome ends the call at once with that error, as with
    /// [`RetryPolicy::disabled`](crate::RetryPolicy::disabled) for adds. Default: `true`.
    pub fn reconcile(mut self, reconcile: bool) -> Self {
        self.reconcile = reconcile;
        self
    }

    /// The body [`send`](Self::send) would send, as the generated type, or the first rule
    /// it breaks. Nothing is sent.
    pub fn body(&self) -> Result<types::ProspectsEnrollmentsAddRequest, Error> {
        rules::enrollment_key(&self.enrollment_key)?;
        let (ids, event_types) =
            self.lists
                .checked(PROSPECTS.ids_field, PROSPECTS.hex_len, MAX_IDS)?;
        Ok(types::ProspectsEnrollmentsAddRequest {
            enrollment_key: conversion("enrollment_key", self.enrollment_key.as_str().try_into())?,
            prospect_ids: conversion(
                "prospect_ids",
                ids.into_iter().map(TryInto::try_into).collect(),
            )?,
            event_types,
            request_context: None,
        })
    }

    /// Checks the request, sends it, and returns the new enrollment (or, after an unknown
    /// outcome, the identical one found by listing: see [`EnrollProspects::reconcile`]). A
    /// request that breaks a rule of the schema is refused here
    /// ([`ErrorKind::InvalidRequest`]) and not sent.
    ///
    /// [`ErrorKind::InvalidRequest`]: crate::ErrorKind::InvalidRequest
    pub async fn send(self) -> Result<Enrollment, Error> {
        lifecycle::send_add(
            &self.client,
            &PROSPECTS,
            &self.enrollment_key,
            &self.lists,
            self.reconcile,
        )
        .await
    }
}

/// A request to update a prospect enrollment. Does nothing until [`UpdateProspects::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct UpdateProspects {
    client: Client,
    enrollment_id: String,
    enrollment_key: String,
    lists: Lists<ProspectEvent>,
}

list_setters!(
    UpdateProspects,
    prospect_ids,
    prospect_id,
    ProspectEvent,
    "prospect"
);

impl UpdateProspects {
    /// The body [`send`](Self::send) would send, as the generated type, or the first rule
    /// it breaks. Nothing is sent.
    pub fn body(&self) -> Result<types::ProspectsEnrollmentsUpdateRequest, Error> {
        rules::enrollment_id(&self.enrollment_id)?;
        rules::enrollment_key(&self.enrollment_key)?;
        let (ids, event_types) =
            self.lists
                .checked(PROSPECTS.ids_field, PROSPECTS.hex_len, MAX_IDS)?;
        Ok(types::ProspectsEnrollmentsUpdateRequest {
            enrollment_id: self.enrollment_id.clone(),
            enrollment_key: conversion("enrollment_key", self.enrollment_key.as_str().try_into())?,
            prospect_ids: conversion(
                "prospect_ids",
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
            &PROSPECTS,
            &self.enrollment_id,
            &self.enrollment_key,
            &self.lists,
        )
        .await
    }
}

/// A request to fetch prospect events, from [`Prospects::events`]. Does nothing until
/// [`FetchProspectEvents::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct FetchProspectEvents {
    client: Client,
    lists: Lists<ProspectEvent>,
    window: Window,
}

list_setters!(
    FetchProspectEvents,
    prospect_ids,
    prospect_id,
    ProspectEvent,
    "prospect",
    "40"
);

window_setters!(FetchProspectEvents);

impl FetchProspectEvents {
    /// The body [`send`](Self::send) would send, as the generated type, or the first rule
    /// it breaks. Nothing is sent.
    pub fn body(&self) -> Result<types::ProspectsEventsRequest, Error> {
        let (ids, event_types) =
            self.lists
                .checked(PROSPECTS.ids_field, PROSPECTS.hex_len, MAX_FETCH_IDS)?;
        let (timestamp_from, timestamp_to) = self.window.checked()?;
        Ok(types::ProspectsEventsRequest {
            entity_type: types::EntityType::Prospect,
            event_types,
            prospect_ids: conversion(
                "prospect_ids",
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
            .map_err(|e| e.with_operation(PROSPECTS.fetch.id))?;
        let fetched: Fetched = self.client.execute(&PROSPECTS.fetch, &body).await?;
        Ok(fetched.events)
    }
}
