//! Enrichment: classes derived from a raw field that are safe to keep (is this agent a bot?).
//!
//! Called by [`crate::privacy`] while the raw field still exists; only the class goes on.

pub mod agent;
