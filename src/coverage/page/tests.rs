//! Tests of the page check, on the shipped page and on copies of it edited by
//! string replacement.

use std::collections::BTreeSet;

use super::read::Page;
use super::*;

const PAGE: &str = include_str!("../../../contract/seed-calls-endpoint-doc.txt");

fn items() -> Vec<Item> {
    crate::coverage::items().unwrap()
}

/// The page with `from` replaced by `to` (which must change it).
fn edited(from: &str, to: &str) -> String {
    assert!(PAGE.contains(from), "the page lacks {from:?}");
    PAGE.replacen(from, to, 1)
}

fn messages(page: &Page, status: u16) -> Vec<&str> {
    page.stated
        .iter()
        .filter_map(|s| match &s.what {
            Statement::Message { status: st, text } if *st == status => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_shipped_page_states_exactly_the_documented_items() {
    let report = check_page(PAGE, &items());
    assert!(report.agrees(), "{report}");
    let page = Page::read(PAGE);
    assert_eq!(messages(&page, 400).len(), 18);
    assert_eq!(messages(&page, 415), ["The requested resource does not support content type 'multipart/form-data'."]);
    let count = |f: fn(&Statement) -> bool| page.stated.iter().filter(|s| f(&s.what)).count();
    assert_eq!(count(|s| matches!(s, Statement::Limit { .. })), 4);
    assert_eq!(count(|s| matches!(s, Statement::Request(_))), 8);
    assert_eq!(report.stated, 18 + 1 + 4 + 8);
    assert!(page.unreadable.is_empty(), "{:?}", page.unreadable);
    assert!(report.to_string().starts_with("page: it states the 32 documented items: 31 as its messages, limits and request examples, 1 in words\n"), "{report}");
    assert_eq!((report.items, report.in_words), (32, 1));
}

#[test]
fn the_compared_form_yields_the_messages_not_the_old_conditions_or_quotes() {
    let page = Page::read(PAGE);
    let all = messages(&page, 400);
    assert_eq!(all[0], "Ccxml must be enabled for this account");
    assert_eq!(all[3], "Unable to place call - invalid Agent Id.");
    assert_eq!(all[6], "Unable to place call to Agent. Please try again");
    for text in all {
        assert!(!text.contains('"') && !text.contains(" busy - ") && !text.contains("Call Failed"), "{text}");
    }
    assert!(!page.prose.contains("This line was added"), "the key is not page text");
}

#[test]
fn each_form_of_a_status_bullet_gives_its_message() {
    for page in [
        // The new form, the old form, and the two interleaved.
        "Returns HTTP Status Code 400.\n\n  • Agent Id is odd: an odd agent\n",
        "Returns HTTP Status Code 400.\n\n  • An odd agent - \"Agent Id is odd\"\n",
        "Returns HTTP Status Code 400.\n\n  • Odd agent - \"Agent Id is odd\"Next - \": An odd agent\n",
    ] {
        assert_eq!(messages(&Page::read(page), 400), ["Agent Id is odd"], "{page}");
    }
}

#[test]
fn a_removed_message_is_an_item_gone_from_the_page() {
    let report = check_page(&edited("  • Agent Id must contain digits only\n", ""), &items());
    assert!(report.missing_from_items.is_empty(), "{report}");
    let gone: Vec<&str> = report.gone_from_page.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(gone, ["400: Agent Id must contain digits only"]);
    assert!(report.to_string().contains("lists what the page no longer states:\n  400: Agent Id must contain digits only"), "{report}");
}

#[test]
fn an_added_message_is_missing_from_the_items() {
    let page = edited("  • Agent Id must be specified\n", "  • Agent Id must be specified\n  • Agent Id must not be blank\n");
    let report = check_page(&page, &items());
    assert!(report.gone_from_page.is_empty(), "{report}");
    assert_eq!(report.missing_from_items.len(), 1, "{report}");
    let added = &report.missing_from_items[0];
    assert_eq!(added.what, Statement::Message { status: 400, text: "Agent Id must not be blank".into() });
    assert_eq!(page.lines().nth(added.line - 1).map(str::trim), Some("• Agent Id must not be blank"), "its line");
}

#[test]
fn a_changed_limit_is_reported_both_ways() {
    let report = check_page(&edited("Telephone number exceeds 30 characters", "Telephone number exceeds 40 characters"), &items());
    let missing: Vec<String> = report.missing_from_items.iter().map(|s| s.what.to_string()).collect();
    assert_eq!(missing, ["limit: telephone number 40 characters", "400 message \"Telephone number exceeds 40 characters\""]);
    let gone: Vec<&str> = report.gone_from_page.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(gone, ["400: Telephone number exceeds 30 characters", "limit: telephone number 30 characters"]);
    // In the compared form a changed word follows the old one: the number next to its unit is current.
    let report = check_page(&edited("up to 32 characters", "up to 32 64 characters"), &items());
    let missing: Vec<String> = report.missing_from_items.iter().map(|s| s.what.to_string()).collect();
    assert_eq!(missing, ["limit: application 64 characters"], "{report}");
    assert!(report.gone_from_page.is_empty(), "the message still states 32: {report}");
}

#[test]
fn a_changed_example_or_phrase_is_reported() {
    let report = check_page(&edited("\"telephoneNumber\": \"07970303957\"", "\"telephoneNumber\": \"07970303958\""), &items());
    assert_eq!(report.missing_from_items.len(), 1, "{report}");
    assert!(matches!(&report.missing_from_items[0].what, Statement::Request(body) if body["to"]["telephoneNumber"] == "07970303958"));
    assert_eq!(report.gone_from_page.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), ["example-8"]);
    let report = check_page(&PAGE.replace("or a valid URL", "or a URN"), &items());
    assert_eq!(report.gone_from_page.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), ["limit: reference is alphanumeric or a valid URL"]);
}

#[test]
fn a_code_block_that_is_not_json_is_reported() {
    let report = check_page(&edited("{\n \"message\": \"Ccxml", "{\n \"message\" \"Ccxml"), &items());
    assert!(!report.agrees());
    assert_eq!(report.unreadable.len(), 1, "{report}");
    assert!(report.to_string().contains("code blocks that cannot be read"), "{report}");
}

#[test]
fn every_documented_item_says_how_the_page_states_it() {
    for item in items().iter().filter(|i| i.documented) {
        assert!(!expected(item).is_empty(), "{} gives nothing to look for on the page", item.id);
    }
}

#[test]
fn any_text_reads_without_panic() {
    for cut in (0..PAGE.len()).step_by(97).filter(|&i| PAGE.is_char_boundary(i)) {
        let _ = check_page(&PAGE[..cut], &items());
        let _ = check_page(&PAGE[cut..], &items());
    }
    assert!(!check_page("", &items()).agrees());
}

#[test]
fn the_model_is_checked_against_the_page_both_ways() {
    // A message the page no longer states: its rule, and the field's domain phrase, are gone from it.
    let report = check_page(&edited("  • Agent Id must contain digits only\n", ""), &items());
    let gone: Vec<&str> = report.model_gone_from_page.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(gone, ["rule agent-id-not-digits", "field /from/agentId"], "{report}");
    assert!(report.to_string().contains("contract/rules.yaml models what the page no longer states:\n  rule agent-id-not-digits"), "{report}");
    // A message or a limit the page adds: the model has no rule for it.
    let page = edited("  • Agent Id must be specified\n", "  • Agent Id must be specified\n  • Group exceeds 12 characters\n");
    let report = check_page(&page, &items());
    let missing: Vec<String> = report.missing_from_model.iter().map(|s| s.what.to_string()).collect();
    assert_eq!(missing, ["limit: group 12 characters", "400 message \"Group exceeds 12 characters\""], "{report}");
    assert!(report.to_string().contains("the page states what contract/rules.yaml has no rule for:"), "{report}");
    // A field the page no longer names, a listed value it no longer lists.
    let report = check_page(&PAGE.replace("• presentedCLID.", "• callerId.").replace("TwoParty - both", "ThreeParty - all"), &items());
    let gone: BTreeSet<&str> = report.model_gone_from_page.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(gone, BTreeSet::from(["field /from/presentedCLID", "field /from/consent", "field /to/consent"]), "{report}");
    assert!(!report.agrees());
}
