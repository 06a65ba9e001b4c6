//! Probes: the requests that break one rule, derived from how the rule is
//! broken and the domain of the field it governs, by probe class (what lax code
//! gets wrong): a limit in characters counts every character, a limit in digits
//! every digit (leading zeros too), a limit holds for every accepted form of the
//! value; a domain is probed with what lax parsers and regular expressions let
//! through; listed values are exact; an empty value names nothing. Each probe
//! says what it writes, what every reading of the page answers, and why it
//! exists. Character probes stay within the field's length limits, and agent
//! IDs are built on `${unknownAgentId}`, so that a server that reads
//! "+99999" as agent 99999 answers "unknown" rather than placing a call.

use serde_json::{Value, json};

use super::model::{ACCEPTED, Breaks, Domain, Field, Limit, Model, Rule, Unit};

/// A change to the request of a form.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Write this value at the pointer.
    Set(String, Value),
    /// Make sure an object is at the pointer.
    Ensure(String),
    /// Address the account named by this variable.
    Account(String),
}

/// What every reading of the page answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The rule's message (a 400 with an error body, for an undocumented rule).
    Breaks,
    /// Any of these: rule ids, or `accepted` (a 201); none: a 400 with an error body.
    Answers(Vec<String>),
    /// A 201 that echoes the request, with its self link.
    Created,
}

/// One way to break (or, at a limit, to keep) a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Its part of the case name; empty for a rule's only probe.
    pub name: String,
    /// The probe class and why the case exists.
    pub note: String,
    pub edits: Vec<Edit>,
    /// Nothing else is written under this pointer (the forms' optional fields
    /// there stay out).
    pub alone_under: Option<String>,
    pub outcome: Outcome,
    pub covers: Vec<String>,
    pub documented: bool,
    pub boundary: bool,
}

impl Probe {
    fn new(name: &str, note: impl Into<String>, edits: Vec<Edit>, rule: &Rule) -> Probe {
        Probe {
            name: name.to_owned(),
            note: note.into(),
            edits,
            alone_under: None,
            outcome: Outcome::Breaks,
            covers: rule.items(),
            documented: rule.documented(),
            boundary: false,
        }
    }

    /// The probe keeps the rule: what the field's `answers` say, covering `covers`.
    fn keeps(mut self, answers: &[String], covers: Vec<String>) -> Probe {
        self.outcome = Outcome::Answers(answers.to_vec());
        self.covers = covers;
        self
    }
}

/// The probes of `rule` (on `field`, for a rule about one field at a time).
pub fn of(model: &Model, rule: &Rule, field: Option<&Field>) -> Vec<Probe> {
    let set = |value: Value| field.map(|f| Edit::Set(f.pointer.clone(), value)).into_iter().collect::<Vec<_>>();
    const EVERY_FORM: &str = "The rule in every form it applies to";
    match (&rule.breaks, field) {
        (Breaks::Account(var), _) => vec![Probe::new("", EVERY_FORM, vec![Edit::Account(var.clone())], rule)],
        (Breaks::State(var), Some(_)) => vec![Probe::new("", EVERY_FORM, set(json!(format!("${{{var}}}"))), rule)],
        (Breaks::Present(value), Some(_)) => vec![Probe::new("", EVERY_FORM, set(json!(value)), rule)],
        (Breaks::Limit(limit), Some(field)) => limit_probes(rule, field, limit),
        (Breaks::Domain, Some(field)) => domain_probes(rule, field),
        (Breaks::Neither, _) => neither(model, rule),
        (Breaks::Both, _) => {
            let edits = rule.fields.iter().filter_map(|p| valid_value(model, p).map(|v| Edit::Set(p.clone(), v))).collect();
            vec![Probe::new("", "Both of the fields the page says to use one of", edits, rule)]
        }
        _ => Vec::new(),
    }
}

/// The success forms' one probe.
pub fn created(model: &Model) -> Probe {
    Probe {
        name: String::new(),
        note: format!("Every field comes back in every success form: {}", model.created.why),
        edits: Vec::new(),
        alone_under: None,
        outcome: Outcome::Created,
        covers: model.created.covers.clone(),
        documented: false,
        boundary: false,
    }
}

/// The value the forms write at `pointer` first.
pub fn valid_value(model: &Model, pointer: &str) -> Option<Value> {
    model.forms.iter().flat_map(|d| &d.levels).find_map(|l| l.set.get(pointer).cloned())
}

/// `n` characters of `pattern` over and over, the last one a digit.
fn cycled(pattern: &str, n: usize) -> String {
    let mut s: String = pattern.chars().cycle().take(n).collect();
    if s.chars().last().is_some_and(|c| !c.is_ascii_digit()) {
        s.pop();
        s.push('7');
    }
    s
}

/// `prefix` then `fill` up to `n` characters.
fn padded(prefix: &str, fill: &str, n: usize) -> String {
    let mut s = prefix.to_owned();
    s.extend(fill.chars().cycle().take(n.saturating_sub(prefix.chars().count())));
    s
}

fn limit_probes(rule: &Rule, field: &Field, limit: &Limit) -> Vec<Probe> {
    let (n, over) = (limit.max, limit.max + 1);
    let counts = match limit.unit {
        Unit::Characters => "A limit in characters counts every character",
        Unit::Digits => "A limit in digits counts every digit, leading zeros too",
    };
    let every_form = "A limit holds for every accepted form of the value";
    let at_limit = "At the limit: not over it, so not this message";
    let breaking = |name: &str, why: &str, value: String| {
        let mut probe = Probe::new(name, format!("{counts}: {why}"), vec![Edit::Set(field.pointer.clone(), json!(value))], rule);
        probe.boundary = true;
        probe
    };
    // A value at the limit is probed where the model says what it answers.
    let keeping = |name: &str, why: &str, value: String| {
        let covers = rule.limit_item().into_iter().collect();
        let mut probe = breaking(name, why, value).keeps(&field.unknown, covers);
        probe.note = format!("{at_limit}: {why}");
        probe
    };
    let mut probes = match (&field.domain, limit.unit) {
        (Domain::Digits, _) => vec![
            breaking("over", &format!("{over} digits"), "9".repeat(over)),
            breaking("leading-zero", &format!("{over} digits, the first a 0, which integer parsing drops"), format!("0{}", "9".repeat(n))),
            keeping("at-limit", &format!("{n} digits, naming no agent (assumed)"), "9".repeat(n)),
            keeping("at-limit-leading-zeros", &format!("{n} digits, two of them leading zeros, naming no agent (assumed)"), format!("00{}", "9".repeat(n.saturating_sub(2)))),
        ],
        (Domain::Alphanumeric, _) => vec![
            breaking("over", &format!("{over} letters"), "a".repeat(over)),
            breaking("digits", &format!("{over} characters, all digits"), "7".repeat(over)),
            keeping("at-limit", &format!("{n} letters"), "a".repeat(n)),
        ],
        (Domain::AlphanumericOrUrl, _) => vec![
            breaking("over", &format!("{over} letters"), "a".repeat(over)),
            breaking("url", &format!("{every_form}: a URL of {over} characters"), padded("http://Test.com/", "a", over)),
            breaking("url-with-query", &format!("{every_form}: a URL of {over} characters with a query"), padded("https://Test.com/r?id=", "a1&b=", over)),
            keeping("at-limit", &format!("{n} letters"), "a".repeat(n)),
            keeping("at-limit-url", &format!("{every_form}: a URL of {n} characters"), padded("http://Test.com/", "a", n)),
        ],
        _ => vec![
            breaking("over", &format!("{over} digits"), "7".repeat(over)),
            breaking("plus-sign", &format!("a + and {n} digits ({over} characters)"), format!("+{}", "7".repeat(n))),
            breaking("spaces", &format!("{over} characters, digits in groups between spaces"), cycled("020 7206 8888 ", over)),
            breaking("punctuation", &format!("{over} characters, digits between brackets, hyphens and dots"), cycled("(020)7206-8888.", over)),
            keeping("at-limit", &format!("{n} digits"), "7".repeat(n)),
            keeping("at-limit-plus-sign", &format!("a + and {} digits ({n} characters)", n.saturating_sub(1)), format!("+{}", "7".repeat(n.saturating_sub(1)))),
        ],
    };
    if field.unknown.is_empty() {
        probes.retain(|p| p.outcome == Outcome::Breaks);
    }
    probes
}

/// Values outside a domain, as lax checks let them through: (name, value, why).
fn outside(domain: &Domain) -> Vec<(&'static str, String, &'static str)> {
    const ID: &str = "${unknownAgentId}";
    let id = |pattern: &str| pattern.replace("ID", ID);
    match domain {
        Domain::Digits => vec![
            ("letter", id("IDa"), "a letter is not a digit"),
            ("plus-sign", id("+ID"), "integer parsers (long.Parse, Long.parseLong, str::parse, int()) accept a leading +"),
            ("minus-sign", id("-ID"), "integer parsers accept a leading -"),
            ("leading-space", id(" ID"), ".NET's int.Parse and Python's int() skip surrounding white space"),
            ("trailing-space", id("ID "), "a server that trims before checking lets it through"),
            ("trailing-newline", id("ID\n"), "^\\d+$ matches \"123\\n\" where $ also matches before a final newline (.NET, PCRE, Python)"),
            ("decimal-point", id("ID.0"), "float and decimal parsers accept \"99999.0\""),
            ("exponent", id("IDe0"), "float parsers and JavaScript's Number() accept \"99999e0\""),
            ("hex-prefix", id("0xID"), "strtol with base 0, Python's int(s, 0) and Number() read \"0x...\" as hexadecimal"),
            ("digit-separator", id("9_ID"), "Python's int() accepts _ between digits"),
        ],
        Domain::Alphanumeric => vec![
            ("hyphen", "app-Name".into(), "a hyphen is neither a letter nor a digit"),
            ("underscore", "app_Name".into(), "\\w (and the range [A-z]) matches _"),
            ("space", "app Name".into(), "a space is not alphanumeric"),
            ("period", "app.Name".into(), "a dot is not alphanumeric"),
            ("trailing-newline", "appName\n".into(), "^[A-Za-z0-9]+$ matches before a final newline"),
            ("leading-space", " appName".into(), "a server that trims before checking lets it through"),
        ],
        Domain::AlphanumericOrUrl => vec![
            ("punctuation", "not a url!".into(), "neither alphanumeric nor a URL"),
            ("underscore", "0012400000_ATTUQ".into(), "\\w matches _, and it has no scheme, so it is no URL"),
            ("trailing-newline", "0012400000ATTUQ\n".into(), "$ matches before a final newline"),
            ("leading-space", " 0012400000ATTUQ".into(), "a server that trims before checking lets it through"),
            ("host-without-scheme", "Test.com".into(), "an absolute URL has a scheme (RFC 3986 4.3); a check that prepends http:// lets it through"),
            ("space-in-host", "http://Test .com".into(), "a space is no URL character (RFC 3986); a check of the prefix lets it through"),
            ("scheme-without-host", "http://".into(), "an http URL with an empty host is invalid (RFC 9110 4.2.1); a prefix check lets it through"),
        ],
        Domain::Listed(values) if !values.is_empty() => {
            let v = |i: usize| values[i % values.len()].clone();
            vec![
                ("lower-case", v(1).to_lowercase(), "a listed value in another letter case is not that value"),
                ("upper-case", v(2).to_uppercase(), "a listed value in another letter case is not that value"),
                ("leading-space", format!(" {}", v(0)), "a padded value is not the listed one; a server that trims lets it through"),
                ("trailing-space", format!("{} ", v(1)), "a padded value is not the listed one; a server that trims lets it through"),
                ("number", "1".into(), "a number is not a listed value; .NET's Enum.Parse reads \"1\" as the value numbered 1"),
            ]
        }
        _ => Vec::new(),
    }
}

/// Values inside a domain that lax checks refuse: (name, value, why).
fn inside(domain: &Domain) -> Vec<(String, String, String)> {
    match domain {
        Domain::AlphanumericOrUrl => vec![
            ("url".into(), "http://Test.com".into(), "the page's own URL".into()),
            ("url-with-query".into(), "https://eu1.example.com/lightning/r/Account/0012400000ATTUQ/view?tab=detail#top".into(),
                "a URL with https, a path, a query and a fragment, as a link to a CRM record looks".into()),
        ],
        Domain::Listed(values) => values
            .iter()
            .map(|v| (format!("listed-{}", kebab(v)), v.clone(), format!("{v}, exactly as the page lists it, is accepted and echoed")))
            .collect(),
        _ => Vec::new(),
    }
}

fn domain_probes(rule: &Rule, field: &Field) -> Vec<Probe> {
    let class = match field.domain {
        Domain::Listed(_) => "Listed values are exact",
        _ => "What lax parsers and regular expressions let through",
    };
    let set = |value: String| vec![Edit::Set(field.pointer.clone(), json!(value))];
    let mut probes: Vec<Probe> =
        outside(&field.domain).into_iter().map(|(name, value, why)| Probe::new(name, format!("{class}: {why}."), set(value), rule)).collect();
    for (name, value, why) in inside(&field.domain) {
        let probe = Probe::new(&name, format!("{class}: {why}."), set(value), rule);
        probes.push(match field.domain {
            Domain::Listed(_) => Probe { outcome: Outcome::Created, ..probe },
            _ => probe.keeps(&[ACCEPTED.to_owned()], rule.also_covers.clone()),
        });
    }
    probes
}

/// A `neither` rule: the object with none of the fields, no object at all, and
/// each field empty.
fn neither(model: &Model, rule: &Rule) -> Vec<Probe> {
    let parent = rule.fields.first().and_then(|p| p.rsplit_once('/')).map_or("", |(parent, _)| parent).to_owned();
    let side = parent.trim_start_matches('/');
    let note = format!("The rule in every form: {side} names nothing (with the form's other {side} fields, if any)");
    let none = Probe::new(&format!("empty-{side}"), note, vec![Edit::Ensure(parent.clone())], rule);
    let absent = Probe::new(&format!("without-{side}"), format!("The rule in every form: no {side} at all"), Vec::new(), rule);
    let absent = Probe { alone_under: Some(parent.clone()), ..absent };
    let mut probes = vec![none, absent];
    for field in rule.fields.iter().filter_map(|p| model.field(p)) {
        let Some(answers) = &field.empty else { continue };
        let label = kebab(field.pointer.rsplit('/').next().unwrap_or(""));
        // A list is empty with no item, and as good as empty with one empty item.
        let empties = if field.domain == Domain::List {
            vec![(format!("empty-{label}"), json!([])), (format!("empty-{label}-id"), json!([""]))]
        } else {
            vec![(format!("empty-{label}"), json!(""))]
        };
        for (name, empty) in empties {
            let note = format!("Empty is not given: {empty} does not satisfy \"use either\". Not documented: {}", field.why.as_deref().unwrap_or(""));
            let probe = Probe::new(&name, note, vec![Edit::Set(field.pointer.clone(), empty)], rule);
            probes.push(Probe { documented: false, ..probe.keeps(answers, rule.empty.iter().cloned().collect()) });
        }
    }
    probes
}

/// `presentedCLID` → `presented-clid`, `/from/agentId` → `from-agent-id`.
pub fn kebab(text: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in text.trim_start_matches('/').chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push('-');
        }
        match c {
            '/' | '_' | ' ' => out.push('-'),
            c => out.push(c.to_ascii_lowercase()),
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    out
}
