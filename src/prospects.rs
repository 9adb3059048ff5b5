//! Prospect enrollments: add ([`EnrollProspects`]) and update ([`UpdateProspects`]).

use reqwest::Method;

use crate::client::Client;
use crate::enrollment::Enrollment;
use crate::error::Error;
use crate::events::ProspectEvent;
use crate::generated::types;
use crate::request::{conversion, list_setters, Lists};
use crate::transport::Operation;
use crate::validate;

const ADD: Operation = Operation {
    id: "add_prospects_enrollments",
    method: Method::POST,
    path: "/v1/prospects/events/enrollments",
};

const UPDATE: Operation = Operation {
    id: "update_prospects_enrollments",
    method: Method::PATCH,
    path: "/v1/prospects/events/enrollments",
};

/// Prospect ids are 40 lowercase hex digits.
const PROSPECT_ID_HEX: usize = 40;

/// Prospect enrollments, from [`Client::prospects`].
#[derive(Debug, Clone)]
pub struct Prospects {
    client: Client,
}

impl Prospects {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
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

    /// Enrolls prospects under `enrollment_key` (at least 4 characters): Explorium watches
    /// them for the event types given and later delivers the events.
    ///
    /// An add is not idempotent: sending it twice creates two enrollments.
    pub fn enroll(&self, enrollment_key: impl Into<String>) -> EnrollProspects {
        EnrollProspects {
            client: self.client.clone(),
            enrollment_key: enrollment_key.into(),
            lists: Lists::default(),
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
}

/// A request to add a prospect enrollment. Does nothing until [`EnrollProspects::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct EnrollProspects {
    client: Client,
    enrollment_key: String,
    lists: Lists<ProspectEvent>,
}

list_setters!(
    EnrollProspects,
    prospect_ids,
    prospect_id,
    ProspectEvent,
    "prospect"
);

impl EnrollProspects {
    /// The body [`send`](Self::send) would send, as the generated type, or the first rule
    /// it breaks. Nothing is sent.
    pub fn body(&self) -> Result<types::ProspectsEnrollmentsAddRequest, Error> {
        validate::enrollment_key(&self.enrollment_key)?;
        let (ids, event_types) = self.lists.checked("prospect_ids", PROSPECT_ID_HEX)?;
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

    /// Checks the request, sends it, and returns the new enrollment. A request that breaks a
    /// rule of the schema is refused here ([`ErrorKind::InvalidRequest`]) and not sent.
    ///
    /// [`ErrorKind::InvalidRequest`]: crate::ErrorKind::InvalidRequest
    pub async fn send(self) -> Result<Enrollment, Error> {
        let body = self.body().map_err(|e| e.with_operation(ADD.id))?;
        self.client.execute(&ADD, &body).await
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
        validate::enrollment_id(&self.enrollment_id)?;
        validate::enrollment_key(&self.enrollment_key)?;
        let (ids, event_types) = self.lists.checked("prospect_ids", PROSPECT_ID_HEX)?;
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
        let body = self.body().map_err(|e| e.with_operation(UPDATE.id))?;
        self.client.execute(&UPDATE, &body).await
    }
}
