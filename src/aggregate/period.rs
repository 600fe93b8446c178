//! The reporting period and the instants that bound a report.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::PeriodKind;

/// A closed range of calendar dates in the job's timezone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Week, month or quarter.
    pub kind: PeriodKind,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

impl Period {
    /// The last full period ending on or before `as_of`: for weeks, the ISO
    /// week ending on `as_of` when it is a Sunday, else the week before.
    pub fn ending_by(kind: PeriodKind, as_of: NaiveDate) -> Period {
        let next = as_of + Days::new(1);
        let (start, end) = match kind {
            PeriodKind::Week => {
                let end = as_of - Days::new(u64::from(as_of.weekday().num_days_from_sunday()));
                (end - Days::new(6), end)
            }
            PeriodKind::Month | PeriodKind::Quarter => {
                let months = if kind == PeriodKind::Month { 1 } else { 3 };
                let month0 = next.month0() - next.month0() % months;
                // The first day of the period containing `next` ends the
                // period we want, whether or not `as_of` is its last day.
                let boundary = NaiveDate::from_ymd_opt(next.year(), month0 + 1, 1).unwrap_or(next);
                let end = boundary - Days::new(1);
                (boundary - Months::new(months), end)
            }
        };
        Period { kind, start, end }
    }

    /// True when `date` falls in the period.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// `2026-W47`, `2026-10` or `2026-Q4`: unique, sortable, printed everywhere.
    pub fn label(&self) -> String {
        format!("{}-{}", self.year(), self.short_label())
    }

    /// The year the period belongs to (the ISO year for weeks).
    pub fn year(&self) -> i32 {
        match self.kind {
            PeriodKind::Week => self.start.iso_week().year(),
            _ => self.start.year(),
        }
    }

    /// `W47`, `10` or `Q4`: the period's folder inside its year.
    pub fn short_label(&self) -> String {
        match self.kind {
            PeriodKind::Week => format!("W{:02}", self.start.iso_week().week()),
            PeriodKind::Month => format!("{:02}", self.start.month()),
            PeriodKind::Quarter => format!("Q{}", self.start.month0() / 3 + 1),
        }
    }
}

/// The last instant of `date` in `tz`: what "as of" a date means.
pub fn end_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    start_of_day(date + Days::new(1), tz) - chrono::Duration::milliseconds(1)
}

/// The first instant of `date` in `tz` (the first valid local time, should
/// a DST change skip midnight).
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=3)
        .find_map(|hours| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(hours)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date literal")
    }

    #[test]
    fn week_is_the_last_full_iso_week() {
        let monday = Period::ending_by(PeriodKind::Week, date("2026-11-23"));
        assert_eq!(
            (monday.start, monday.end),
            (date("2026-11-16"), date("2026-11-22"))
        );
        assert_eq!(monday.label(), "2026-W47");
        let sunday = Period::ending_by(PeriodKind::Week, date("2026-11-22"));
        assert_eq!(sunday, monday);
        let new_year = Period::ending_by(PeriodKind::Week, date("2027-01-04"));
        assert_eq!(new_year.label(), "2026-W53");
    }

    #[test]
    fn months_and_quarters_end_on_or_before_the_as_of_date() {
        let month = Period::ending_by(PeriodKind::Month, date("2026-11-23"));
        assert_eq!(
            (month.start, month.end),
            (date("2026-10-01"), date("2026-10-31"))
        );
        let last_day = Period::ending_by(PeriodKind::Month, date("2026-11-30"));
        assert_eq!(last_day.label(), "2026-11");
        let quarter = Period::ending_by(PeriodKind::Quarter, date("2026-11-23"));
        assert_eq!(
            (quarter.start, quarter.end),
            (date("2026-07-01"), date("2026-09-30"))
        );
        assert_eq!(quarter.label(), "2026-Q3");
        let december = Period::ending_by(PeriodKind::Quarter, date("2026-12-31"));
        assert_eq!(december.label(), "2026-Q4");
    }

    #[test]
    fn as_of_means_the_end_of_the_local_day() {
        let tz: Tz = "Asia/Singapore".parse().expect("tz");
        assert_eq!(
            end_of_day(date("2026-11-23"), tz).to_rfc3339(),
            "2026-11-23T15:59:59.999+00:00"
        );
    }
}
