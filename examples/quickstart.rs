//! The workflow people run: match a few companies, enrich them, find their leaders by search,
//! get those people's contacts, and enroll the people and the companies for events; then the
//! three seed calls: enroll prospects, update that enrollment, update a business enrollment.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! runs against the local Explorium server (no key, no network). With `EXPLORIUM_BASE_URL`
//! set, it talks to that server instead, with the key in `EXPLORIUM_API_KEY`; the business
//! enrollment to update is then `EXPLORIUM_BUSINESS_ENROLLMENT_ID` /
//! `EXPLORIUM_BUSINESS_ENROLLMENT_KEY` (default: the documentation's example).

use std::process::ExitCode;

use explorium::enrich::EnrichOutcome;
use explorium::search::ProspectFilters;
use explorium::testing::LocalServer;
use explorium::{
    enrichments, BusinessEvent, BusinessMatch, Client, Enrollment, MatchOutcome, ProspectEvent,
};
use futures_util::TryStreamExt;

const BUSINESS_ENROLLMENT_ID: &str = "en_7b429a01";
const BUSINESS_ENROLLMENT_KEY: &str = "my_b2b_saas_monitor";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    let business_id = env("EXPLORIUM_BUSINESS_ENROLLMENT_ID", BUSINESS_ENROLLMENT_ID);
    let business_key = env("EXPLORIUM_BUSINESS_ENROLLMENT_KEY", BUSINESS_ENROLLMENT_KEY);

    // Kept alive until the end: the local server stops when dropped.
    let mut local = None;
    let client = if std::env::var_os("EXPLORIUM_BASE_URL").is_some() {
        let client = Client::from_env()?;
        println!("Using {}", client.base_url());
        client
    } else {
        let server = LocalServer::start().await?;
        // The documentation's example business enrollment, in place for the update below
        // (against the real service, name one of yours with EXPLORIUM_BUSINESS_ENROLLMENT_ID).
        server.insert_enrollment(
            "/v1/businesses/events/enrollments",
            &business_id,
            &business_key,
        );
        println!(
            "Using the local Explorium server at {} (set EXPLORIUM_BASE_URL to use another)",
            server.base_url()
        );
        let client = Client::builder()
            .api_key(server.api_key())
            .base_url(server.base_url())
            .build()?;
        local = Some(server);
        client
    };

    workflow(&client).await?;

    let created = client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_ids([
            "20ae6cbf564ee683e66685e429844a5ff8ffc30f",
            "4c485f009d59e319dc039cdf3e935b85014e6a33",
        ])
        .event_types([
            ProspectEvent::ProspectChangedRole,
            ProspectEvent::ProspectChangedCompany,
        ])
        .send()
        .await?;
    println!(
        "Enrolled 2 prospects for 2 event types: {}",
        describe(&created)
    );

    let updated = client
        .prospects()
        .update_enrollment(created.enrollment_id(), created.enrollment_key())
        .prospect_id("4c485f009d59e319dc039cdf3e935b85014e6a33")
        .event_types([
            ProspectEvent::ProspectChangedRole,
            ProspectEvent::ProspectChangedCompany,
            ProspectEvent::ProspectJobStartAnniversary,
        ])
        .send()
        .await?;
    println!(
        "Updated it to 1 prospect for all 3 event types: {}",
        describe(&updated)
    );

    let business = client
        .businesses()
        .update_enrollment(&business_id, &business_key)
        .business_ids([
            "8adce3ca1cef0c986b22310e369a0793",
            "665595bbb4e724de6f8bc705a5b84753",
        ])
        .event_types([
            BusinessEvent::IpoAnnouncement,
            BusinessEvent::NewFundingRound,
            BusinessEvent::NewProduct,
        ])
        .send()
        .await?;
    println!(
        "Updated business enrollment to 2 businesses for 3 event types: {}",
        describe(&business)
    );

    drop(local);
    Ok(())
}

/// Match, enrich, search, contacts, enroll.
async fn workflow(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    let matched = client
        .businesses()
        .match_all([
            BusinessMatch::name("Apple").domain("apple.com"),
            BusinessMatch::name("microsoft")
                .linkedin_url("https://linkedin.com/company/microsoft-corporation/"),
            BusinessMatch::name("Starbucks").domain("fakeurl.xyz"),
        ])
        .send()
        .await;
    let business_ids: Vec<String> = matched
        .outcomes
        .iter()
        .filter_map(|m| match &m.outcome {
            MatchOutcome::Matched { id } => Some(id.clone()),
            _ => None,
        })
        .collect();
    println!(
        "Matched {} of {} companies",
        business_ids.len(),
        matched.outcomes.len()
    );

    let firmographics = client
        .businesses()
        .enrich_all(enrichments::Firmographics, &business_ids)
        .send()
        .await;
    for outcome in &firmographics.outcomes {
        if let EnrichOutcome::Enriched { data } = &outcome.outcome {
            println!(
                "  {}: {}, {}",
                outcome.id,
                data.name.as_deref().unwrap_or("?"),
                data.country_name.as_deref().unwrap_or("?")
            );
        }
    }

    // Their leaders: a search with typed filters (each value checked against its enum before
    // anything is sent).
    let filters = ProspectFilters::new()
        .business_id(&business_ids)
        .job_level(["director", "manager", "vice president"]);
    let total = client
        .prospects()
        .stats()
        .filters(filters.clone())
        .send()
        .await?
        .total_results;
    let leaders: Vec<_> = client
        .prospects()
        .search()
        .filters(filters)
        .limit(10)
        .page_size(10)
        .stream()
        .try_collect()
        .await?;
    println!("Found {total} leaders; the first {}:", leaders.len());
    for leader in &leaders {
        println!(
            "  {} ({}, {})",
            leader.full_name.as_deref().unwrap_or("?"),
            leader.job_title.as_deref().unwrap_or("?"),
            leader.company_name.as_deref().unwrap_or("?")
        );
    }
    let prospect_ids: Vec<String> = leaders
        .iter()
        .filter_map(|p| p.prospect_id.clone())
        .collect();

    let contacts = client
        .prospects()
        .enrich_all(enrichments::ContactsInformation, &prospect_ids)
        .send()
        .await;
    let with_contacts = contacts
        .outcomes
        .iter()
        .filter(|o| matches!(o.outcome, EnrichOutcome::Enriched { .. }))
        .count();
    println!(
        "Contacts for {with_contacts} of them ({} attempts)",
        contacts.attempts
    );

    let people = client
        .prospects()
        .enroll_all("quickstart_leaders", &prospect_ids)
        .event_types([ProspectEvent::ProspectChangedRole])
        .send()
        .await;
    let companies = client
        .businesses()
        .enroll_all("quickstart_companies", &business_ids)
        .event_types([BusinessEvent::NewFundingRound])
        .send()
        .await;
    println!(
        "Enrolled {} people and {} companies for events",
        people.outcomes.len(),
        companies.outcomes.len()
    );

    // What the workflow spent, by endpoint, over the last day.
    let now = std::time::SystemTime::now();
    let usage = client
        .credits()
        .usage(now - std::time::Duration::from_secs(86_400), now)
        .by_endpoint()
        .send()
        .await?;
    println!("Spent {} credits:", usage.total_credits());
    for row in usage.rows() {
        println!(
            "  {} on {}",
            row.credits,
            row.endpoint.as_deref().unwrap_or("?")
        );
    }
    Ok(())
}

fn describe(enrollment: &Enrollment) -> String {
    let mut text = format!(
        "enrollment {} (key {})",
        enrollment.enrollment_id(),
        enrollment.enrollment_key()
    );
    if let Some(context) = enrollment.context() {
        text.push_str(&format!(
            ", {}, correlation id {}",
            context.request_status(),
            context.correlation_id()
        ));
        if let Some(took) = context.time_took() {
            text.push_str(&format!(", server time {took:.1?}"));
        }
    }
    text
}
