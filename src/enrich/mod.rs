//! Enrichment: classes derived from a raw field that are safe to keep: what kind of agent
//! sent a request, and which country its truncated address is in.
//!
//! The agent class is taken by [`crate::privacy`] while the raw field still exists; only the
//! class goes on. Countries are looked up on the truncated prefix only.

pub mod agent;
pub mod geo;
