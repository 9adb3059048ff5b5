//! Business enrollments: update ([`UpdateBusinesses`]).
//!
//! The upstream documents have no add-businesses operation yet; when Explorium publishes it,
//! it appears in [`crate::generated`] first.

use reqwest::Method;

use crate::client::Client;
use crate::enrollment::Enrollment;
use crate::error::Error;
use crate::events::BusinessEvent;
use crate::generated::types;
use crate::request::{conversion, list_setters, Lists};
use crate::transport::Operation;
use crate::validate;

const UPDATE: Operation = Operation {
    id: "update_businesses_enrollments",
    method: Method::PATCH,
    path: "/v1/businesses/events/enrollments",
};

/// Business ids are 32 lowercase hex digits.
const BUSINESS_ID_HEX: usize = 32;

/// Business enrollments, from [`Client::businesses`].
#[derive(Debug, Clone)]
pub struct Businesses {
    client: Client,
}

impl Businesses {
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
        validate::enrollment_id(&self.enrollment_id)?;
        validate::enrollment_key(&self.enrollment_key)?;
        let (ids, event_types) = self.lists.checked("business_ids", BUSINESS_ID_HEX)?;
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
        let body = self.body().map_err(|e| e.with_operation(UPDATE.id))?;
        self.client.execute(&UPDATE, &body).await
    }
}
