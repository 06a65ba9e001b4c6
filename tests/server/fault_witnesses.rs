//! Every fault written for the derived suite really deviates: for each, one
//! request (a witness, written from the fault's description and the built-in
//! fixture, not shipped as a case) that the faulty server answers otherwise than
//! the faithful one, over HTTP. Without this, a fault that did nothing would sit
//! looking like a gap in the suite.

use serde_json::{Value, json};
use vcc_conformance::server::{self, faults::FOR_THE_DERIVED_SUITE, faults::Fault, fixture::Fixture};

const NUMBER: &str = "02072068888";

/// The witness of each fault: the account, then the body.
fn witness(fault: Fault) -> Option<(&'static str, Value)> {
    let to_number = |from: Value| json!({"from": from, "to": {"telephoneNumber": NUMBER}});
    let body = match fault {
        Fault::CcxmlForAgentCallersOnly => return Some(("f6g7h8i9j0", to_number(json!({"groups": ["030"]})))),
        Fault::BusyCallerToNumbersOnly => json!({"from": {"agentId": "7001"}, "to": {"agentId": "4567"}}),
        Fault::UnknownCallerToNumbersOnly => json!({"from": {"agentId": "99999"}, "to": {"agentId": "4567"}}),
        Fault::CallFailedToNumbersOnly => json!({"from": {"agentId": "7002"}, "to": {"agentId": "4567"}}),
        Fault::BusyCallerWithoutClidOnly => to_number(json!({"agentId": "7001", "presentedCLID": "08008888888"})),
        Fault::BusyDestinationForAgentCallersOnly => json!({"from": {"groups": ["030"]}, "to": {"agentId": "7001"}}),
        Fault::UnknownDestinationForAgentCallersOnly => json!({"from": {"groups": ["030"]}, "to": {"agentId": "99999"}}),
        Fault::InvalidNumberForOneCallerOnly => json!({"from": {"groups": ["030", "200"]}, "to": {"telephoneNumber": "00000000000"}}),
        Fault::ApplicationForAgentCallersOnly => json!({"from": {"groups": ["030"]}, "to": {"telephoneNumber": NUMBER}, "application": "app-name"}),
        Fault::ReferenceToNumbersOnly => json!({"from": {"agentId": "1234"}, "to": {"agentId": "4567"}, "regarding": {"reference": "not a url!"}}),
        Fault::NumberInFromForAgentCallersOnly => to_number(json!({"groups": ["030"], "telephoneNumber": NUMBER})),
        Fault::ToBothForAgentCallersOnly => json!({"from": {"groups": ["030"]}, "to": {"telephoneNumber": NUMBER, "agentId": "4567"}}),
        Fault::ToAgentDigitsForAgentCallersOnly => json!({"from": {"groups": ["030"]}, "to": {"agentId": "45b7"}}),
        Fault::EchoDropsClidForGroups => to_number(json!({"groups": ["030"], "presentedCLID": "08008888888"})),
        Fault::EchoDropsFromConsentForGroups => to_number(json!({"groups": ["030"], "consent": "OneParty"})),
        Fault::EchoKeepsFirstGroupOnly => to_number(json!({"groups": ["030", "200"]})),
        Fault::EchoDropsReferenceForAgents => json!({"from": {"agentId": "1234"}, "to": {"agentId": "4567"}, "regarding": {"reference": "abc"}}),
        Fault::EchoDropsApplicationForGroups => json!({"from": {"groups": ["030"]}, "to": {"telephoneNumber": NUMBER}, "application": "appName"}),
        Fault::NumberLengthCountsDigits => json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": format!("+44 {}", "2".repeat(27))}}),
        Fault::NumberLengthIgnoresPlus => json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": format!("+{}", "4".repeat(30))}}),
        Fault::AgentLengthIgnoresLeadingZeros => to_number(json!({"agentId": "000000001234"})),
        Fault::ReferenceLengthAlphanumericOnly => {
            json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": NUMBER}, "regarding": {"reference": format!("http://x.example/{}", "a".repeat(1990))}})
        }
        Fault::ConsentCaseInsensitive => to_number(json!({"agentId": "1234", "consent": "oneparty"})),
        Fault::ConsentTrimmed => to_number(json!({"agentId": "1234", "consent": " OneParty"})),
        Fault::ConsentParsedAsEnum => to_number(json!({"agentId": "1234", "consent": "1"})),
        Fault::EmptyGroupsTakenAsGiven => to_number(json!({"groups": []})),
        Fault::EmptyGroupIdTakenAsGiven => to_number(json!({"groups": [""]})),
        Fault::EmptyNumberTakenAsGiven => json!({"from": {"agentId": "1234"}, "to": {"telephoneNumber": ""}}),
        Fault::EmptyToAgentIdTakenAsGiven => json!({"from": {"agentId": "1234"}, "to": {"agentId": ""}}),
        _ => return None,
    };
    Some(("a1b2c3d4e5", body))
}

/// The status and the body of the answer, without what differs by nature (the id and its link).
async fn answer(fault: Option<Fault>, account: &str, body: &Value) -> (u16, Value) {
    let addr = server::start_embedded(Fixture::builtin(), fault).await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/v0/{account}/calls/"))
        .bearer_auth("witness-token")
        .header("content-type", "application/json")
        .body(body.to_string())
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let mut body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    if let Some(map) = body.as_object_mut() {
        map.remove("id");
        map.remove("links");
    }
    (status, body)
}

#[tokio::test]
async fn each_fault_for_the_derived_suite_answers_its_witness_otherwise() {
    vcc_conformance::client::install_crypto();
    for (fault, class) in FOR_THE_DERIVED_SUITE {
        let (account, body) = witness(*fault).unwrap_or_else(|| panic!("{} (class {class}) has no witness", fault.name()));
        let faithful = answer(None, account, &body).await;
        let faulty = answer(Some(*fault), account, &body).await;
        assert_ne!(faithful, faulty, "{} answers its witness {body} as the faithful server does", fault.name());
        assert!(faulty.0 < 500, "{}: {faulty:?}", fault.name());
    }
}
