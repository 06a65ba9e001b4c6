//! Building the derived cases: each rule of the model, on each field it
//! governs, crossed with the forms its probes allow, becomes ordinary
//! [`Case`]s (file `derived`, source the rule's line in `contract/rules.yaml`)
//! with variables expanded as in a case file, so that `--var`s apply.
//!
//! Names are stable: `<rule>[.<field>][.<probe>].<form>`, the form being the
//! levels that write something (`derived::agent-id-not-digits.to-agent-id.plus-sign.from-groups.to-agent.clid`).

use serde_json::{Map, Value};

use super::crossing::{self, Allowed, Depth};
use super::model::{ACCEPTED, Breaks, Field, Model, Rule};
use super::probes::{self, Edit, Outcome, Probe};
use crate::located::LocatedError;
use crate::suite::case::{Case, Expect, Expectation, Request};
use crate::suite::load::{Total, resolve_request};
use crate::suite::raw::{DEFAULT_PATH, RawRequest};
use crate::suite::vars::{Budget, Vars};

/// The file stem of every derived case (`derived::...`).
pub const FILE: &str = "derived";

/// Every derived case of `model` at `depth`, variables from `vars`, each
/// counted into `total` as a case file's is.
pub fn build(model: &Model, vars: &Vars, depth: Depth, total: &Total) -> Result<Vec<Case>, LocatedError> {
    let mut builder = Builder { model, vars, total, cases: Vec::new() };
    for (i, rule) in model.rules.iter().enumerate() {
        let line = model.lines.get(i).copied().unwrap_or(1);
        let targets: Vec<Option<&Field>> = match rule.breaks {
            Breaks::Account(_) | Breaks::Neither | Breaks::Both => vec![None],
            _ => rule.fields.iter().map(|p| model.field(p)).collect(),
        };
        for field in targets {
            let label = (field.is_some() && rule.fields.len() > 1).then(|| field.map(|f| probes::kebab(&f.pointer))).flatten();
            let mut name = rule.id.clone();
            if let Some(label) = label {
                name = format!("{name}.{label}");
            }
            let base = restrictions(model, rule, field);
            builder.cross(&name, line, Some(rule), &base, &probes::of(model, rule, field), depth)?;
        }
    }
    let base = model.forms.iter().map(|d| (0..d.levels.len()).collect()).collect();
    builder.cross("created", model.created_line, None, &base, &[probes::created(model)], depth)?;
    Ok(builder.cases)
}

/// The levels each dimension may take for `rule` (on `field`): where the field
/// is written, those that write it; where the rule names which fields a side
/// has (`neither`, `both`), none (the probes write that side).
fn restrictions(model: &Model, rule: &Rule, field: Option<&Field>) -> Allowed {
    model
        .forms
        .iter()
        .map(|dim| {
            let writes = |pointers: &[&str]| -> Vec<usize> {
                (0..dim.levels.len()).filter(|&l| pointers.iter().any(|p| dim.levels[l].set.contains_key(*p))).collect()
            };
            let all = (0..dim.levels.len()).collect();
            match (&rule.breaks, field) {
                (Breaks::Neither | Breaks::Both, _) => {
                    let fields: Vec<&str> = rule.fields.iter().map(String::as_str).collect();
                    if writes(&fields).is_empty() { all } else { Vec::new() }
                }
                (_, Some(field)) => {
                    let levels = writes(&[field.pointer.as_str()]);
                    if levels.is_empty() { all } else { levels }
                }
                _ => all,
            }
        })
        .collect()
}

struct Builder<'a> {
    model: &'a Model,
    vars: &'a Vars,
    total: &'a Total,
    cases: Vec<Case>,
}

/// What every case of one probe shares.
struct Shared {
    expect: Expect,
    covers: Vec<String>,
    tags: Vec<String>,
    note: String,
}

impl Builder<'_> {
    /// The cases of `probes` crossed with the forms `base` allows.
    fn cross(&mut self, name: &str, line: usize, rule: Option<&Rule>, base: &Allowed, probes: &[Probe], depth: Depth) -> Result<(), LocatedError> {
        let allowed: Vec<Allowed> = probes.iter().map(|p| self.alone(base, p.alone_under.as_deref())).collect();
        let shared: Vec<Shared> = probes.iter().map(|p| self.shared(rule, p)).collect();
        let calls: Vec<bool> = shared.iter().map(|s| s.tags.iter().any(|t| t == "places-call")).collect();
        for row in crossing::rows(&allowed, &calls, depth) {
            let (probe, shared) = (&probes[row.probe], &shared[row.probe]);
            let form = row.levels.iter().zip(&self.model.forms).filter_map(|(l, dim)| l.map(|l| &dim.levels[l]));
            let named = form.clone().filter(|level| !level.set.is_empty()).map(|level| level.name.as_str());
            let case_name = [name, probe.name.as_str()].into_iter().chain(named).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(".");
            let mut body = Value::Object(Map::new());
            for (pointer, value) in form.flat_map(|level| &level.set) {
                set(&mut body, pointer, value.clone());
            }
            let mut path = DEFAULT_PATH.to_owned();
            for edit in &probe.edits {
                match edit {
                    Edit::Set(pointer, value) => set(&mut body, pointer, value.clone()),
                    Edit::Ensure(pointer) => ensure(&mut body, pointer),
                    Edit::Account(var) => path = DEFAULT_PATH.replace("accountKey", var),
                }
            }
            let request = self.request(path, body, &case_name, line)?;
            let case = Case {
                file: FILE.to_owned(),
                source: super::model::SHIPPED.0.to_owned(),
                line,
                name: case_name,
                covers: shared.covers.clone(),
                documented: probe.documented,
                standard: None,
                note: Some(shared.note.clone()),
                tags: shared.tags.clone(),
                request,
                expect: shared.expect.clone(),
            };
            self.total.admit(&case).map_err(|message| located(&case.name, line, message))?;
            self.cases.push(case);
        }
        Ok(())
    }

    /// The expectation, items, tags and note of every case of `probe`.
    fn shared(&self, rule: Option<&Rule>, probe: &Probe) -> Shared {
        let expect = self.expect(rule, &probe.outcome);
        let may_call = expect.alternatives().iter().any(|a| a.status.contains(201));
        let state = rule.is_some_and(Rule::needs_state)
            || may_call
            || matches!(&probe.outcome, Outcome::Answers(a) if a.iter().any(|id| self.model.rule(id).is_some_and(Rule::needs_state)));
        let tags = [(may_call, "places-call"), (state, "needs-state"), (probe.boundary, "boundary"), (!probe.documented, "undocumented")];
        let mut covers = probe.covers.clone();
        if probe.outcome == Outcome::Created && rule.is_some() {
            covers.extend(self.model.created.covers.iter().cloned());
        }
        Shared {
            expect,
            covers,
            tags: tags.iter().filter(|(on, _)| *on).map(|(_, tag)| (*tag).to_owned()).collect(),
            note: format!("{} (derived: {})", probe.note, rule.map_or("the success forms", |r| r.id.as_str())),
        }
    }

    /// `base`, with nothing else written under `parent` (when given).
    fn alone(&self, base: &Allowed, parent: Option<&str>) -> Allowed {
        let Some(parent) = parent else { return base.clone() };
        let under = |pointer: &String| pointer.starts_with(&format!("{parent}/"));
        base.iter()
            .zip(&self.model.forms)
            .map(|(levels, dim)| levels.iter().copied().filter(|&l| !dim.levels[l].set.keys().any(under)).collect())
            .collect()
    }

    fn expect(&self, rule: Option<&Rule>, outcome: &Outcome) -> Expect {
        let answer = |id: &str| match self.model.rule(id) {
            _ if id == ACCEPTED => Expectation { schema: Some("call-created".into()), ..Expectation::new(201) },
            Some(rule) => error(rule),
            None => refused(),
        };
        match (outcome, rule) {
            (Outcome::Created, _) => {
                Expectation { schema: Some("call-created".into()), echo: true, self_link: true, ..Expectation::new(201) }.into()
            }
            (Outcome::Breaks, Some(rule)) => error(rule).into(),
            (Outcome::Answers(answers), _) if answers.len() > 1 => Expect::AnyOf(answers.iter().map(|a| answer(a)).collect()),
            (Outcome::Answers(answers), _) => answers.first().map_or_else(refused, |a| answer(a)).into(),
            (Outcome::Breaks, None) => refused().into(),
        }
    }

    /// The request, resolved as a case file's is (variables expanded within
    /// one case's budget).
    fn request(&self, path: String, body: Value, name: &str, line: usize) -> Result<Request, LocatedError> {
        let raw = RawRequest {
            method: "POST".into(),
            path,
            headers: Default::default(),
            auth: true,
            auth_scheme: None,
            json: Some(body),
            raw: None,
        };
        resolve_request(raw, self.vars, &mut Budget::case()).map_err(|e| located(name, line, format!("{}: {}", e.field, e.message)))
    }
}

/// An error in the derived case `name`, at the model's line.
fn located(name: &str, line: usize, message: String) -> LocatedError {
    LocatedError { file: super::model::SHIPPED.0.to_owned(), line, column: 1, field: format!("{FILE}::{name}"), message }
}

/// A 400 (or the rule's status) with an error body and the rule's message; only
/// the status and the body's shape for an undocumented rule.
fn error(rule: &Rule) -> Expectation {
    Expectation { schema: Some("error".into()), message: rule.message.clone(), ..Expectation::new(rule.status) }
}

fn refused() -> Expectation {
    Expectation { schema: Some("error".into()), ..Expectation::new(400) }
}

/// Writes `value` at `pointer`, making the objects on the way.
fn set(body: &mut Value, pointer: &str, value: Value) {
    let Some((parent, key)) = pointer.rsplit_once('/') else { return };
    ensure(body, parent);
    if let Some(Value::Object(map)) = body.pointer_mut(parent) {
        map.insert(key.to_owned(), value);
    }
}

/// Makes sure an object is at `pointer` (the root is one).
fn ensure(body: &mut Value, pointer: &str) {
    let mut at = body;
    for key in pointer.split('/').skip(1) {
        let Value::Object(map) = at else { return };
        at = map.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
    }
}
