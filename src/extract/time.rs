//! Tolerant parsing of Zoho timestamps: `+08:00`, `-0700`, `Z`, fractions.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Parses an ISO 8601 timestamp with a numeric offset or `Z`. A timestamp
/// without any offset is read as UTC (Zoho always sends one; a proxy or an
/// export might not).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// The fixed-width UTC form stored in the database: text that sorts in
/// time order on SQLite and PostgreSQL alike.
pub fn db_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offset_form_gives_the_same_instant() {
        let expected = parse_timestamp("2026-11-20T08:40:55Z").expect("zulu");
        for text in [
            "2026-11-20T16:40:55+08:00",
            "2026-11-20T01:40:55-07:00",
            "2026-11-20T16:40:55+0800",
            "2026-11-20T08:40:55.000Z",
            "2026-11-20T08:40:55",
        ] {
            assert_eq!(parse_timestamp(text), Some(expected), "{text}");
        }
        assert_eq!(parse_timestamp("20/11/2026"), None);
        assert_eq!(db_time(expected), "2026-11-20T08:40:55.000Z");
    }
}
