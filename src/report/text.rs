//! The terminal view: totals, then the top rows of each table, then traffic per day.

use super::{Report, TimeBucket};
use crate::privacy::threshold::CountedRow;
use std::io::{self, Write};

/// Hourly rows are shown only for short periods; JSON always has them all.
const MAX_HOURLY_ROWS: usize = 48;

/// Writes `report` as aligned text tables, at most `top` rows per table.
pub fn write(report: &Report, top: usize, out: &mut dyn Write) -> io::Result<()> {
    let period = match (&report.period.first, &report.period.last) {
        (Some(first), Some(last)) => format!("{first} .. {last}"),
        _ => "no hits counted".to_string(),
    };
    let s = &report.settings;
    writeln!(out, "logveil report: {period}")?;
    writeln!(
        out,
        "privacy: IPv4 /{}, IPv6 /{}, rows need {} visitors, visitor window: {}",
        s.ipv4_prefix, s.ipv6_prefix, s.min_visitors, s.visitor_window
    )?;
    writeln!(
        out,
        "countries: {}",
        s.geoip.as_deref().unwrap_or("off (--no-geoip)")
    )?;
    if !report.complete {
        writeln!(
            out,
            "PARTIAL: some inputs were not read to the end; the counts below are incomplete"
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Inputs")?;
    for input in &report.inputs {
        let format = input.format.as_deref().unwrap_or("-");
        write!(
            out,
            "  {}  {}  {} lines  {}",
            input.name,
            format,
            input.lines,
            human_bytes(input.bytes)
        )?;
        match &input.error {
            Some(e) => writeln!(out, "  ERROR: {e}")?,
            None => writeln!(out)?,
        }
    }
    writeln!(out)?;

    let t = &report.totals;
    writeln!(out, "Totals")?;
    for (name, value) in [
        ("hits", t.hits.to_string()),
        ("page views", t.page_views.to_string()),
        ("visitors", t.visitors.to_string()),
        ("  likely automated", t.likely_automated.to_string()),
        ("visits", t.visits.to_string()),
        ("bytes", human_bytes(t.bytes)),
        ("malformed lines", t.malformed.to_string()),
        ("outside --since/--until", t.out_of_range.to_string()),
    ] {
        writeln!(out, "  {name:<24}{value:>14}")?;
    }
    if t.malformed > 0 {
        let reasons: Vec<String> = report
            .malformed_by_reason
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| format!("{r}: {n}"))
            .collect();
        writeln!(out, "  malformed by reason: {}", reasons.join(", "))?;
        if let Some(first) = report.malformed_lines.first() {
            writeln!(
                out,
                "  first malformed line: {}:{} ({})",
                first.input, first.line, first.reason
            )?;
        }
    }

    for (name, a) in &report.approximate_tables {
        writeln!(
            out,
            "  APPROXIMATE {name}: {} rows with {} hits dropped to stay bounded (in (other)); shown hits may be up to {} low",
            a.dropped_rows, a.dropped_hits, a.max_hits_error
        )?;
    }

    table(out, "Pages (page views)", &report.pages, top)?;
    table(out, "Referrer domains", &report.referrer_domains, top)?;
    table(out, "Visitor host domains", &report.host_domains, top)?;
    table(out, "Status codes", &report.status_codes, top)?;
    table(out, "Methods", &report.methods, top)?;
    table(out, "Browsers", &report.browsers, top)?;
    table(out, "Operating systems", &report.operating_systems, top)?;
    table(out, "Devices", &report.devices, top)?;
    table(out, "Bots (share of bot hits)", &report.bots, top)?;
    if s.geoip.is_some() {
        table(out, "Countries", &report.countries, top)?;
    }
    if !report.languages.is_empty() {
        table(out, "Languages (Accept-Language)", &report.languages, top)?;
    }
    timeline(out, "Daily (UTC)", &report.timeline.daily, usize::MAX)?;
    if report.timeline.hourly.len() <= MAX_HOURLY_ROWS {
        timeline(
            out,
            "Hourly (UTC)",
            &report.timeline.hourly,
            MAX_HOURLY_ROWS,
        )?;
    }
    Ok(())
}

fn table(out: &mut dyn Write, title: &str, rows: &[CountedRow], top: usize) -> io::Result<()> {
    writeln!(out)?;
    let width = rows
        .iter()
        .take(top)
        .map(|r| r.key.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(20, 60);
    let has_bytes = rows.iter().any(|r| r.bytes.is_some());
    let has_share = rows.iter().any(|r| r.share.is_some());
    write!(
        out,
        "{title:<w$}  {:>10}  {:>9}",
        "hits",
        "visitors",
        w = width + 2
    )?;
    if has_bytes {
        write!(out, "  {:>10}", "bytes")?;
    }
    if has_share {
        write!(out, "  {:>7}", "share")?;
    }
    writeln!(out)?;
    if rows.is_empty() {
        writeln!(out, "  (none)")?;
    }
    // `(other)` is always shown, since it keeps the rows adding up to the total.
    let other = rows
        .last()
        .filter(|r| r.key == crate::privacy::threshold::OTHER);
    let named = &rows[..rows.len() - usize::from(other.is_some())];
    for row in named.iter().take(top).chain(other) {
        let key: String = row.key.chars().take(60).collect();
        write!(
            out,
            "  {key:<width$}  {:>10}  {:>9}",
            row.hits, row.visitors
        )?;
        if let Some(bytes) = row.bytes {
            write!(out, "  {:>10}", human_bytes(bytes))?;
        }
        if let Some(share) = row.share {
            write!(out, "  {:>6.1}%", share * 100.0)?;
        }
        writeln!(out)?;
    }
    if named.len() > top {
        writeln!(
            out,
            "  ({} more rows; --top or --format json shows them)",
            named.len() - top
        )?;
    }
    Ok(())
}

fn timeline(
    out: &mut dyn Write,
    title: &str,
    buckets: &[TimeBucket],
    max: usize,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{title:<22}  {:>10}  {:>10}  {:>9}",
        "hits", "page views", "visitors"
    )?;
    for b in buckets.iter().take(max) {
        writeln!(
            out,
            "  {:<20}  {:>10}  {:>10}  {:>9}",
            b.start, b.hits, b.page_views, b.visitors
        )?;
    }
    Ok(())
}

/// `1536` → `1.5 KiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_shown_in_binary_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
