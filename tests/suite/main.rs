//! The shipped data and the case loader: case files against their schemas and the page, the OpenAPI document, malformed case files, hostile case paths; the derived suite against lax implementations and the contract model.

#[path = "../common/mod.rs"]
mod common;

mod contract_files;
mod derived;
mod openapi;
mod malformed_cases;
mod suite_paths;
