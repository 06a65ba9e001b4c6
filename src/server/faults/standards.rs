//! Faults of issue 16's class 6: the standards the page relies on, read the
//! way hand-written code misreads them. RFC 6750 and RFC 9110 §11: a 401
//! without a Bearer challenge, or with another, or with one only when no
//! header came; the scheme compared byte for byte; any scheme taken. RFC 9110
//! §8.3.1 and §5.6.6: the media type compared byte for byte, white space before
//! `;` not trimmed, parameter names and values not normalised.

use super::{Fault, Input, Output, unsupported};
use crate::server::rules;

/// The faults that refuse a request the standards accept: a 401 for a scheme
/// spelled otherwise than `Bearer`, a 415 for a media type or parameter the
/// grammar allows. The faithful rules must accept it first.
pub fn refuse(fault: Fault, input: &Input<'_>) -> Option<rules::Rejection> {
    rules::authorization(input.authorization).ok()?;
    if fault == Fault::SchemeCaseSensitive && !input.authorization.unwrap_or_default().starts_with("Bearer ") {
        return Some(rules::Rejection { status: 401, message: "Authorization has been denied for this request.".into() });
    }
    let sent = input.content_type.filter(|c| rules::content_type(Some(c)).is_ok())?;
    let (media, parameters) = sent.split_once(';').unwrap_or((sent, ""));
    let parameters = || parameters.split(';').map(str::trim).filter(|p| !p.is_empty());
    let refused = match fault {
        Fault::MediaTypeCaseSensitive => media.trim() != "application/json",
        Fault::MediaTypeSpaceRefused => media != media.trim_end(),
        Fault::ParameterNamesCaseSensitive => {
            parameters().any(|p| !["version", "charset"].contains(&p.split('=').next().unwrap_or_default().trim_end()))
        }
        Fault::QuotedParameterRefused => parameters().any(|p| p.split_once('=').is_some_and(|(_, v)| v.trim_start().starts_with('"'))),
        _ => false,
    };
    refused.then(|| unsupported(media.trim()))
}

/// The faults that take what the standards refuse: any scheme's credentials
/// taken for the token.
pub fn accept(fault: Fault, input: &mut Input<'_>) {
    if fault == Fault::AnySchemeAccepted && rules::authorization(input.authorization).is_err() {
        let credentials = input.authorization.and_then(|a| a.split_once(' ')).map(|(_, c)| c.trim()).filter(|c| !c.is_empty());
        if credentials.is_some() {
            input.authorization = Some("Bearer taken-from-another-scheme");
        }
    }
}

/// The faults in a 401's challenge.
pub fn challenge(fault: Fault, out: &mut Output) {
    if out.status != 401 {
        return;
    }
    match fault {
        Fault::ChallengeMissing => out.removed.push("www-authenticate"),
        Fault::ChallengeBasic => out.headers.push(("www-authenticate", "Basic realm=\"api\"")),
        Fault::ChallengeForMissingTokenOnly if out.authorization_sent => out.removed.push("www-authenticate"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(authorization: &'a str, content_type: &'a str) -> Input<'a> {
        Input { authorization: Some(authorization), content_type: Some(content_type), body: b"{}".to_vec(), account: None }
    }

    #[test]
    fn each_fault_refuses_one_spelling_the_standards_allow_and_takes_the_usual_one() {
        let refused = |fault: Fault, authorization: &str, content_type: &str| refuse(fault, &input(authorization, content_type)).map(|r| r.status);
        let usual = ("Bearer t", "application/json; version=6");
        for (fault, authorization, content_type, status) in [
            (Fault::SchemeCaseSensitive, "bearer t", usual.1, 401),
            (Fault::MediaTypeCaseSensitive, usual.0, "APPLICATION/JSON", 415),
            (Fault::MediaTypeSpaceRefused, usual.0, "application/json ; version=6", 415),
            (Fault::ParameterNamesCaseSensitive, usual.0, "application/json; VERSION=6", 415),
            (Fault::QuotedParameterRefused, usual.0, "application/json; version=\"6\"", 415),
        ] {
            assert_eq!(refused(fault, authorization, content_type), Some(status), "{fault:?}");
            assert_eq!(refused(fault, usual.0, usual.1), None, "{fault:?}");
        }
        assert_eq!(refused(Fault::MediaTypeCaseSensitive, usual.0, "text/plain"), None, "the faithful 415 stays the rules'");
        let mut basic = input("Basic dXNlcjpwYXNz", usual.1);
        accept(Fault::AnySchemeAccepted, &mut basic);
        assert!(rules::authorization(basic.authorization).is_ok());
    }
}
