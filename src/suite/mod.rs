//! Suite: the cases, their variables and the schemas their answers are checked
//! against. [`raw`] is a case file as written, [`case`] the resolved model,
//! [`load`] turns one into the other; [`source`] holds the shipped files;
//! [`derive`] generates the cases the contract model implies.

pub mod case;
pub mod derive;
pub mod load;
pub mod raw;
pub mod schemas;
pub mod source;
pub mod vars;

pub use crate::located::{LocatedError, Source};
pub use case::{BEARER, Case, Expect, Expectation, Request, Statuses, TAGS};
pub use load::{load, load_vars};
pub use raw::DEFAULT_PATH;
pub use schemas::Schemas;
pub use source::{SHIPPED, SHIPPED_VARS};
pub use vars::Vars;
