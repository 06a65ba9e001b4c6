//! Derive: the cases the contract model (`contract/rules.yaml`) implies, so
//! that every rule is probed in every form of the request it applies to, the
//! ways lax code gets it wrong. [`model`] reads the model, [`crossing`] picks
//! the forms (pairwise, or all of them), [`probes`] the values that break or
//! keep each rule, [`cases`] builds ordinary [`crate::suite::Case`]s from them.

pub mod cases;
pub mod crossing;
pub mod model;
pub mod probes;

use std::sync::OnceLock;

pub use cases::FILE;
pub use crossing::Depth;
pub use model::Model;

use crate::located::LocatedError;
use crate::suite::load::{MAX_SUITE, Total};
use crate::suite::{Case, Vars};

/// The shipped model, read once.
pub fn shipped() -> Result<&'static Model, LocatedError> {
    static MODEL: OnceLock<Result<Model, LocatedError>> = OnceLock::new();
    MODEL.get_or_init(Model::shipped).as_ref().map_err(Clone::clone)
}

/// The derived cases of the shipped model at `depth`.
pub fn derived(vars: &Vars, depth: Depth) -> Result<Vec<Case>, LocatedError> {
    derived_within(vars, depth, &Total::new(MAX_SUITE))
}

/// [`derived`], every case counted into `total` (which the case files share).
pub fn derived_within(vars: &Vars, depth: Depth, total: &Total) -> Result<Vec<Case>, LocatedError> {
    cases::build(shipped()?, vars, depth, total)
}

#[cfg(test)]
mod tests;
