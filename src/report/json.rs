//! The JSON view: the contract for dashboards, described by `schema/report.schema.json`.

use super::Report;
use std::io::{self, Write};

/// Writes `report` as pretty-printed JSON followed by a newline.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
