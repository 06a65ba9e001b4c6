//! Fixture: the account state the reference server answers from (accounts and
//! their CCXML flag, agents and their availability, groups, callback numbers,
//! numbers the network rejects, OAuth2 clients). Built in to match `cases/vars.yaml`;
//! replaceable by `serve --fixture FILE` (YAML or JSON, unknown keys denied).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::located::{self, LocatedError, Source};

/// An account.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub ccxml: bool,
}

/// Whether an agent's phone can take a call now.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AgentState {
    Available,
    Busy,
    Unreachable,
}

/// The whole state. Agents, groups and numbers are shared by every account.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fixture {
    pub accounts: BTreeMap<String, Account>,
    #[serde(default)]
    pub agents: BTreeMap<String, AgentState>,
    #[serde(default)]
    pub groups: BTreeSet<String>,
    #[serde(default)]
    pub callback_numbers: BTreeSet<String>,
    #[serde(default)]
    pub invalid_numbers: BTreeSet<String>,
    /// OAuth2 clients of the token endpoint: client id to client secret.
    #[serde(default)]
    pub clients: BTreeMap<String, String>,
    /// How long an issued token lives.
    #[serde(default = "default_lifetime")]
    pub token_lifetime_seconds: u64,
}

fn default_lifetime() -> u64 {
    3600
}

/// The built-in fixture, the same data as the shipped `cases/vars.yaml` defaults.
pub const BUILTIN: &str = "\
accounts:
  a1b2c3d4e5: {ccxml: true}
  f6g7h8i9j0: {ccxml: false}
agents:
  '1234': available
  '4567': available
  '5464': available
  '7001': busy
  '7002': unreachable
groups: ['030', '200', '400']
callbackNumbers: ['08008888888', '01256636451']
invalidNumbers: ['00000000000']
clients: {vcc-conformance: reference-client-secret}
tokenLifetimeSeconds: 3600
";

impl Fixture {
    pub fn builtin() -> Fixture {
        Fixture::parse(&Source { path: "built-in fixture".into(), text: BUILTIN.into() })
            .unwrap_or_else(|e| unreachable!("the built-in fixture is valid: {e}"))
    }

    pub fn parse(source: &Source) -> Result<Fixture, LocatedError> {
        located::parse(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_fixture_matches_the_shipped_variables() {
        let f = Fixture::builtin();
        let vars = crate::suite::load_vars(&crate::suite::source::shipped_vars()).unwrap();
        let v = |name: &str| vars.get(name).unwrap_or_else(|| panic!("vars.yaml lacks {name}")).to_owned();
        assert!(f.accounts[&v("accountKey")].ccxml);
        assert!(!f.accounts[&v("ccxmlDisabledAccountKey")].ccxml);
        assert_eq!(f.agents[&v("agentId")], AgentState::Available);
        assert_eq!(f.agents[&v("otherAgentId")], AgentState::Available);
        assert_eq!(f.agents[&v("busyAgentId")], AgentState::Busy);
        assert_eq!(f.agents[&v("unreachableAgentId")], AgentState::Unreachable);
        assert!(!f.agents.contains_key(&v("unknownAgentId")));
        assert!(f.groups.contains(&v("groupId")));
        assert!(f.callback_numbers.contains(&v("callbackNumber")));
        assert!(f.invalid_numbers.contains(&v("invalidNumber")));
        assert!(!f.invalid_numbers.contains(&v("telephoneNumber")));
    }

    #[test]
    fn a_fixture_file_with_a_typo_names_the_place() {
        let src = Source { path: "f.yaml".into(), text: "accounts: {}\nagents:\n  '1': bussy\n".into() };
        let err = Fixture::parse(&src).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.field.contains("agents"), "{err}");
    }
}
