//! `client.businesses()`: update, against the spec-enforcing local server.

mod support;

use explorium::{BusinessEvent, ErrorKind};
use serde_json::json;
use support::*;

#[tokio::test]
async fn update_replaces_the_business_lists() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    let updated = client
        .businesses()
        .update_enrollment("en_7b429a01", "my_b2b_saas_monitor")
        .business_ids([
            "8adce3ca1cef0c986b22310e369a0793",
            "665595bbb4e724de6f8bc705a5b84753",
        ])
        .event_types([
            BusinessEvent::IpoAnnouncement,
            BusinessEvent::NewFundingRound,
        ])
        .event_type("new_product")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.enrollment_id(), "en_7b429a01");
    let journal = server.journal();
    assert_eq!(
        journal[0].operation_id.as_deref(),
        Some("update_businesses_enrollments")
    );
    let stored = server.enrollment("en_7b429a01").unwrap();
    assert_eq!(
        stored.lists["event_types"],
        json!(["ipo_announcement", "new_funding_round", "new_product"])
    );
}

#[tokio::test]
async fn business_ids_are_32_hex_and_prospect_events_are_refused() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    let base = || {
        client
            .businesses()
            .update_enrollment("en_7b429a01", "my_b2b_saas_monitor")
    };
    let error = base()
        .business_id(prospect_id(1))
        .event_type(BusinessEvent::NewOffice)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.field(), Some("business_ids[0]"));
    assert!(
        error
            .to_string()
            .contains("is not 32 lowercase hex characters"),
        "{error}"
    );
    let error = base()
        .business_id(business_id(1))
        .event_type("prospect_changed_role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.field(), Some("event_types[0]"));
    assert!(
        error.to_string().contains("is not a business event type"),
        "{error}"
    );
    assert!(server.journal().is_empty());
}

#[tokio::test]
async fn updating_an_unknown_enrollment_is_not_found_with_a_correlation_id() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    let error = client
        .businesses()
        .update_enrollment("en_00000000", "my_b2b_saas_monitor")
        .business_id(business_id(1))
        .event_type(BusinessEvent::NewOffice)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(error.correlation_id().map(str::len), Some(32));
    assert!(error.to_string().contains("not found"), "{error}");
    assert!(!error.is_retryable());
}

#[test]
fn all_39_business_event_types_have_wire_names() {
    // The generated enum is the source; this pins the count the documentation states.
    let all = [
        "ipo_announcement",
        "new_funding_round",
        "new_investment",
        "new_product",
        "new_office",
        "closing_office",
        "new_partnership",
        "increase_in_engineering_department",
        "increase_in_sales_department",
        "increase_in_marketing_department",
        "increase_in_operations_department",
        "increase_in_customer_service_department",
        "increase_in_all_departments",
        "decrease_in_engineering_department",
        "decrease_in_sales_department",
        "decrease_in_marketing_department",
        "decrease_in_operations_department",
        "decrease_in_customer_service_department",
        "decrease_in_all_departments",
        "employee_joined_company",
        "hiring_in_creative_department",
        "hiring_in_education_department",
        "hiring_in_engineering_department",
        "hiring_in_finance_department",
        "hiring_in_health_department",
        "hiring_in_human_resources_department",
        "hiring_in_legal_department",
        "hiring_in_marketing_department",
        "hiring_in_operations_department",
        "hiring_in_professional_service_department",
        "hiring_in_sales_department",
        "hiring_in_support_department",
        "hiring_in_trade_department",
        "hiring_in_unknown_department",
        "company_award",
        "outages_and_security_breaches",
        "cost_cutting",
        "merger_and_acquisitions",
        "lawsuits_and_legal_issues",
    ];
    assert_eq!(all.len(), 39);
    for wire in all {
        assert_eq!(BusinessEvent::from_wire(wire).unwrap().to_string(), wire);
    }
}
