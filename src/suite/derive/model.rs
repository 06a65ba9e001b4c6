//! The contract model (`contract/rules.yaml`) as types: the forms of a request,
//! the fields and their domains, the documented rules. Reading it checks what
//! the types cannot (known fields, rule ids, levels, answers), each error naming
//! the file, line and field.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::located::{self, LocatedError, Source, Spots};
use crate::suite::load::kebab;

/// The shipped model.
pub const SHIPPED: (&str, &str) = ("contract/rules.yaml", include_str!("../../../contract/rules.yaml"));

/// The whole model.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub forms: Vec<Dimension>,
    pub fields: Vec<Field>,
    pub rules: Vec<Rule>,
    pub created: Created,
    /// The line of each rule's `- id:` (1-based), in order; filled on reading.
    #[serde(skip)]
    pub lines: Vec<usize>,
    /// The line of `created:`.
    #[serde(skip)]
    pub created_line: usize,
}

/// One dimension of the forms of a request: its levels, the first the common one.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub dimension: String,
    pub why: String,
    pub levels: Vec<Level>,
}

/// One level of a dimension: what it writes into the body (JSON pointer to value).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub name: String,
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
}

/// A field of the request body.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub pointer: String,
    /// Where the 201 echoes it.
    #[serde(default)]
    pub echo: Option<String>,
    pub domain: Domain,
    /// Phrases the page states the domain with.
    #[serde(default)]
    pub states: Vec<String>,
    /// What a well-formed value that names nothing answers: rule ids or `accepted`.
    #[serde(default)]
    pub unknown: Vec<String>,
    /// What an empty value answers (empty: only a 400); `None`: not probed.
    #[serde(default)]
    pub empty: Option<Vec<String>>,
    #[serde(default)]
    pub why: Option<String>,
}

/// The values a field takes.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    /// ASCII digits.
    Digits,
    /// ASCII letters and digits.
    Alphanumeric,
    /// Alphanumeric, or a valid (http or https) URL.
    AlphanumericOrUrl,
    /// Any text.
    Text,
    /// A list of display IDs.
    List,
    /// One of these values, exactly.
    Listed(Vec<String>),
}

/// A documented rule (or an undocumented one the page implies).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// The documented message; `None` for an undocumented rule.
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default = "bad_request")]
    pub status: u16,
    /// An undocumented rule's item.
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default)]
    pub also_covers: Vec<String>,
    #[serde(default)]
    pub fields: Vec<String>,
    pub breaks: Breaks,
    /// The item the empty-value probes of a `neither` rule cover.
    #[serde(default)]
    pub empty: Option<String>,
    pub why: String,
}

fn bad_request() -> u16 {
    400
}

/// How a request breaks a rule.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Breaks {
    /// The request addresses the account named by this variable.
    Account(String),
    /// The field names the agent or number of this variable.
    State(String),
    Limit(Limit),
    /// A value outside the field's domain.
    Domain,
    /// The field is there (with this value) where it must not be.
    Present(String),
    /// None of the fields.
    Neither,
    /// All of the fields.
    Both,
}

/// A maximum length.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub max: usize,
    pub unit: Unit,
    pub subject: String,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    Characters,
    Digits,
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::Characters => "characters",
            Unit::Digits => "digits",
        })
    }
}

/// The success forms.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Created {
    pub covers: Vec<String>,
    pub why: String,
}

/// An answer a field's `unknown` or `empty` list may name besides a rule id.
pub const ACCEPTED: &str = "accepted";

impl Rule {
    /// The items its breaking cases cover: the message item (or the undocumented
    /// one), the limit item, and `also_covers`.
    pub fn items(&self) -> Vec<String> {
        let mut items: Vec<String> = self.message.iter().map(|m| format!("{}: {m}", self.status)).collect();
        items.extend(self.item.clone());
        items.extend(self.limit_item());
        items.extend(self.also_covers.iter().cloned());
        items
    }

    /// `limit: <subject> <max> <unit>`, for a limit rule.
    pub fn limit_item(&self) -> Option<String> {
        match &self.breaks {
            Breaks::Limit(l) => Some(format!("limit: {} {} {}", l.subject, l.max, l.unit)),
            _ => None,
        }
    }

    pub fn documented(&self) -> bool {
        self.message.is_some()
    }

    /// Whether it depends on the account's state rather than the request alone.
    pub fn needs_state(&self) -> bool {
        matches!(self.breaks, Breaks::Account(_) | Breaks::State(_))
    }
}

impl Model {
    /// The shipped model.
    pub fn shipped() -> Result<Model, LocatedError> {
        Model::read(&Source { path: SHIPPED.0.into(), text: SHIPPED.1.into() })
    }

    /// Reads and checks a model.
    pub fn read(source: &Source) -> Result<Model, LocatedError> {
        let mut model: Model = located::parse(source)?;
        model.check().map_err(|(field, message)| {
            LocatedError::at(source, Spots::of(source).locate(&field, false), field, message)
        })?;
        model.lines = item_lines(&source.text, "rules:", "  - id:");
        if model.lines.len() != model.rules.len() {
            let spots = Spots::of(source);
            model.lines = (0..model.rules.len()).map(|i| spots.locate(&format!("rules[{i}].id"), false).0).collect();
        }
        model.created_line = top_line(&source.text, "created:");
        Ok(model)
    }

    pub fn field(&self, pointer: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.pointer == pointer)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// What the types cannot say: (field path, message) of the first problem.
    fn check(&self) -> Result<(), (String, String)> {
        let (mut dimensions, mut names) = (BTreeSet::new(), BTreeSet::new());
        for (d, dim) in self.forms.iter().enumerate() {
            let at = format!("forms[{d}]");
            if !kebab(&dim.dimension) || !dimensions.insert(dim.dimension.as_str()) {
                return Err((format!("{at}.dimension"), format!("`{}` is not a new kebab-case name", dim.dimension)));
            }
            if dim.levels.is_empty() {
                return Err((format!("{at}.levels"), "a dimension needs at least one level".into()));
            }
            for (l, level) in dim.levels.iter().enumerate() {
                if !kebab(&level.name) || !names.insert(level.name.as_str()) {
                    return Err((format!("{at}.levels[{l}].name"), format!("`{}` is not a new kebab-case name", level.name)));
                }
                if let Some(pointer) = level.set.keys().find(|p| self.field(p).is_none()) {
                    return Err((format!("{at}.levels[{l}].set"), format!("`{pointer}` is not one of the fields")));
                }
            }
        }
        let mut pointers = BTreeSet::new();
        for (i, field) in self.fields.iter().enumerate() {
            if !field.pointer.starts_with('/') || !pointers.insert(field.pointer.as_str()) {
                return Err((format!("fields[{i}].pointer"), format!("`{}` is not a new JSON pointer", field.pointer)));
            }
            let answers = field.unknown.iter().map(|a| ("unknown", a)).chain(field.empty.iter().flatten().map(|a| ("empty", a)));
            for (key, answer) in answers {
                if answer != ACCEPTED && self.rule(answer).is_none_or(|r| !r.documented()) {
                    let message = format!("`{answer}` is neither `{ACCEPTED}` nor a documented rule's id");
                    return Err((format!("fields[{i}].{key}"), message));
                }
            }
        }
        let mut ids = BTreeSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let at = |key: &str| format!("rules[{i}].{key}");
            if !kebab(&rule.id) || !ids.insert(rule.id.as_str()) {
                return Err((at("id"), format!("`{}` is not a new kebab-case id", rule.id)));
            }
            if rule.message.is_some() == rule.item.is_some() {
                return Err((at("message"), "give the documented `message`, or the undocumented `item`, not both".into()));
            }
            if let Some(f) = rule.fields.iter().position(|p| self.field(p).is_none()) {
                return Err((at(&format!("fields[{f}]")), format!("`{}` is not one of the fields", rule.fields[f])));
            }
            let needs = match rule.breaks {
                Breaks::Account(_) => 0..=0,
                Breaks::Neither | Breaks::Both => 2..=usize::MAX,
                _ => 1..=usize::MAX,
            };
            if !needs.contains(&rule.fields.len()) {
                return Err((at("fields"), format!("this kind of rule governs {needs:?} fields, not {}", rule.fields.len())));
            }
            let domains = rule.fields.iter().filter_map(|p| self.field(p)).map(|f| &f.domain);
            let probed = |d: &Domain| matches!(d, Domain::Digits | Domain::Alphanumeric | Domain::AlphanumericOrUrl | Domain::Listed(_));
            match rule.breaks {
                Breaks::Domain if !domains.clone().all(probed) => {
                    return Err((at("breaks"), "a `domain` rule needs fields of a domain with probes (digits, alphanumeric, alphanumeric-or-url, listed)".into()));
                }
                Breaks::Limit(_) if domains.clone().any(|d| *d == Domain::List) => {
                    return Err((at("breaks"), "a limit is on a text, not on a list".into()));
                }
                Breaks::Neither | Breaks::Both => {
                    let parents: BTreeSet<&str> = rule.fields.iter().map(|p| p.rsplit_once('/').map_or("", |(parent, _)| parent)).collect();
                    if parents.len() != 1 {
                        return Err((at("fields"), "`neither` and `both` are about fields of one object (from, or to)".into()));
                    }
                }
                _ => {}
            }
            if matches!(rule.breaks, Breaks::Neither) != rule.empty.is_some() {
                return Err((at("empty"), "a `neither` rule, and only one, names the item of its empty-value probes".into()));
            }
        }
        Ok(())
    }
}

/// The lines (1-based) of the items of the list under the top-level key
/// `section`, each starting with `prefix`.
pub fn item_lines(text: &str, section: &str, prefix: &str) -> Vec<usize> {
    let mut inside = false;
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if !line.starts_with([' ', '#']) && !line.is_empty() {
            inside = line.trim_end() == section;
        } else if inside && line.starts_with(prefix) {
            lines.push(n + 1);
        }
    }
    lines
}

/// The line of a top-level key (`created:`), 1 when it is not found.
fn top_line(text: &str, key: &str) -> usize {
    text.lines().position(|l| l.trim_end() == key).map_or(1, |n| n + 1)
}
