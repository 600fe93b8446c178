//! The CSV files finance pulls. UTF-8, RFC 4180, a header row, ISO dates,
//! `.` decimals; amounts exact in minor units; column order fixed (and
//! documented in `docs/csv.md`).

mod deal_order;

use bytes::Bytes;
use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::format::{amount, opt_amount, push_amount, push_date, push_normalized, ratio};
use super::{Content, OutputFile};
use crate::aggregate::{Movement, MovementStep, PipelineReport, ReportDeal};
use deal_order::ListOrder;

/// A text cell as written: one that a spreadsheet would read as a formula
/// (`=`, `+`, `-`, `@`, tab or CR first) gets a leading `'`, so a deal named
/// `=HYPERLINK(…)` stays text in Excel. Numbers never pass through here.
fn text(value: &str) -> String {
    if formula_like(value) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn formula_like(value: &str) -> bool {
    matches!(
        value.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// Whether a cell needs quotes: it holds a comma, quote or line break.
/// Every byte is looked at without stopping early, which the compiler
/// turns into a few wide compares per cell.
fn needs_quotes(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |found, &b| {
        found | matches!(b, b',' | b'"' | b'\r' | b'\n')
    })
}

/// Rows written straight into a file's bytes, RFC 4180 with CRLF line
/// ends: numbers and dates formatted in place, and a cell quoted only when
/// it holds a comma, quote or line break (inner quotes doubled). A million
/// rows cost no allocation per cell and no copy through a writer's buffer.
/// Only `&str` and ASCII go in, so the bytes are UTF-8. Rows go into
/// blocks of about [`BLOCK`] bytes.
struct Rows {
    out: Vec<u8>,
    blocks: Vec<Bytes>,
    cells: usize,
    /// Bytes a block holds before the next one starts.
    limit: usize,
}

impl Default for Rows {
    fn default() -> Self {
        Rows {
            out: Vec::new(),
            blocks: Vec::new(),
            cells: 0,
            limit: BLOCK,
        }
    }
}

/// Bytes a block holds before the next one starts. Blocks well under
/// glibc's largest mmap threshold (32 MiB) reuse memory the sections freed
/// instead of faulting in fresh pages.
const BLOCK: usize = 1 << 20;

impl Rows {
    /// The file's start: the byte-order mark when asked for (what makes
    /// Excel read the file as UTF-8) and the header.
    fn start(bom: bool, header: &[&str]) -> Rows {
        let mut rows = Rows::default();
        if bom {
            rows.out.extend_from_slice("\u{feff}".as_bytes());
        }
        for name in header {
            rows.raw(name);
        }
        rows.end_row();
        rows
    }

    /// The next cell, after its comma.
    fn cell(&mut self) -> &mut Vec<u8> {
        if self.cells > 0 {
            self.out.push(b',');
        }
        self.cells += 1;
        &mut self.out
    }

    fn end_row(&mut self) {
        self.out.extend_from_slice(b"\r\n");
        self.cells = 0;
        if self.out.len() >= self.limit {
            let next = Vec::with_capacity(BLOCK + BLOCK / 4);
            self.blocks
                .push(Bytes::from(std::mem::replace(&mut self.out, next)));
        }
    }

    /// Rows kept in one buffer, however long.
    fn whole() -> Rows {
        Rows {
            limit: usize::MAX,
            ..Rows::default()
        }
    }

    /// Every block written.
    fn finish(mut self) -> Vec<Bytes> {
        self.blocks.push(Bytes::from(self.out));
        self.blocks
    }

    /// A cell as it is (codes, ids, text already neutralised).
    fn raw(&mut self, value: &str) -> &mut Self {
        self.quoted(b"", value)
    }

    /// Free text from the CRM, neutralised as [`text`] does.
    fn text(&mut self, value: &str) -> &mut Self {
        let prefix: &[u8] = if formula_like(value) { b"'" } else { b"" };
        self.quoted(prefix, value)
    }

    fn quoted(&mut self, prefix: &[u8], value: &str) -> &mut Self {
        let out = self.cell();
        let bytes = value.as_bytes();
        if needs_quotes(bytes) {
            out.push(b'"');
            out.extend_from_slice(prefix);
            for (i, part) in bytes.split(|&b| b == b'"').enumerate() {
                if i > 0 {
                    out.extend_from_slice(b"\"\"");
                }
                out.extend_from_slice(part);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(prefix);
            out.extend_from_slice(bytes);
        }
        self
    }

    fn int(&mut self, value: Option<impl itoa::Integer>) -> &mut Self {
        let out = self.cell();
        if let Some(value) = value {
            out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        }
        self
    }

    fn date(&mut self, value: Option<NaiveDate>) -> &mut Self {
        let out = self.cell();
        if let Some(value) = value {
            push_date(out, value);
        }
        self
    }

    /// A decimal as the source gave it, trailing zeros dropped.
    fn decimal(&mut self, value: Option<Decimal>) -> &mut Self {
        let out = self.cell();
        if let Some(value) = value {
            push_normalized(out, value);
        }
        self
    }

    /// [`Rows::decimal`], its text taken from `known` when it is there.
    /// Compared as stored bits, not as values: a numeric comparison
    /// rescales, and a rate stored another way is simply formatted.
    fn known_decimal(&mut self, value: Option<Decimal>, known: &[(Decimal, Vec<u8>)]) -> &mut Self {
        let bits = value.map(|v| v.serialize());
        match bits.and_then(|bits| known.iter().find(|(k, _)| k.serialize() == bits)) {
            Some((_, text)) => {
                self.cell().extend_from_slice(text);
                self
            }
            None => self.decimal(value),
        }
    }

    fn amount(&mut self, value: Option<Decimal>, dp: u32) -> &mut Self {
        let out = self.cell();
        if let Some(value) = value {
            push_amount(out, value, dp);
        }
        self
    }
}

fn csv_file(name: &'static str, blocks: Vec<Bytes>, count: usize) -> OutputFile {
    OutputFile::new(
        name,
        "text/csv; charset=utf-8",
        blocks.into_iter().collect::<Content>(),
        Some(count),
    )
}

/// A small file from rows of finished cells.
fn write(
    name: &'static str,
    bom: bool,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> OutputFile {
    let mut file = Rows::start(bom, header);
    let mut count = 0;
    for row in rows {
        for cell in &row {
            file.raw(cell);
        }
        file.end_row();
        count += 1;
    }
    csv_file(name, file.finish(), count)
}

/// Rows written by one task: larger files are written by several
/// threads, their blocks kept in order.
const PARALLEL_ROWS: usize = 20_000;

/// Room reserved per row, more than a typical row takes, so that writing
/// seldom moves the text.
const ROW_BYTES: usize = 256;

/// Writes one row per item; large files in chunks on all cores, joined in
/// order, so the bytes are the same as a single pass would give.
fn write_lines<T: Sync>(
    name: &'static str,
    bom: bool,
    header: &[&str],
    items: &[T],
    fill: impl Fn(&mut Rows, &T) + Sync,
) -> OutputFile {
    write_chunks(name, bom, header, items, |rows, chunk| {
        for item in chunk {
            fill(rows, item);
            rows.end_row();
        }
    })
}

/// [`write_lines`] with the rows of a run of items written by `body`.
fn write_chunks<T: Sync>(
    name: &'static str,
    bom: bool,
    header: &[&str],
    items: &[T],
    body: impl Fn(&mut Rows, &[T]) + Sync,
) -> OutputFile {
    let mut file = Rows::start(bom, header);
    if items.len() < PARALLEL_ROWS {
        body(&mut file, items);
        return csv_file(name, file.finish(), items.len());
    }
    let parts: Vec<Vec<Bytes>> = items
        .par_chunks(PARALLEL_ROWS)
        .map(|chunk| {
            let mut rows = Rows {
                out: Vec::with_capacity((chunk.len() * ROW_BYTES).min(BLOCK + BLOCK / 4)),
                ..Rows::default()
            };
            body(&mut rows, chunk);
            rows.finish()
        })
        .collect();
    let mut blocks = file.finish();
    blocks.extend(parts.into_iter().flatten());
    csv_file(name, blocks, items.len())
}

/// `deals.csv`: one row per deal, by id.
pub fn deals_csv(report: &PipelineReport) -> OutputFile {
    let dp = report.context.base.minor_units();
    // Each currency's rate, formatted once: a 28-digit cross rate costs
    // more to format than to find.
    let rates: Vec<(Decimal, Vec<u8>)> = report
        .by_currency
        .iter()
        .filter_map(|c| c.rate)
        .map(|rate| {
            let mut text = Vec::new();
            push_normalized(&mut text, rate);
            (rate, text)
        })
        .collect();
    write_lines(
        "deals.csv",
        report.context.csv_bom,
        &[
            "deal_id",
            "deal_name",
            "owner",
            "stage",
            "stage_class",
            "currency",
            "amount",
            "rate",
            "amount_base",
            "probability",
            "weighted_base",
            "closing_date",
            "created_date",
            "modified_date",
            "pipeline",
            "account",
            "problems",
        ],
        &report.deals,
        |line, d| {
            line.raw(&d.id)
                .text(&d.name)
                .text(&d.owner)
                .text(&d.stage)
                .raw(d.class.as_str())
                .raw(&d.currency)
                .decimal(d.amount)
                .known_decimal(d.rate, &rates)
                .amount(d.amount_base, dp)
                .int(d.probability)
                .amount(d.weighted_base, dp)
                .date(d.closing_date)
                .date(d.created_date)
                .date(d.modified_date)
                .text(&d.pipeline)
                .text(&d.account);
            let out = line.cell();
            for (i, problem) in d.problems.iter().enumerate() {
                if i > 0 {
                    out.push(b';');
                }
                out.extend_from_slice(problem.kind.code().as_bytes());
            }
        },
    )
}

/// `summary.csv`: the KPIs and the report's provenance, one metric a row.
pub fn summary_csv(report: &PipelineReport) -> OutputFile {
    // One pass over every deal's problems for both counts.
    let (quality_rows, warnings) = report.quality().fold((0_usize, 0_usize), |(all, w), row| {
        (all + 1, w + usize::from(row.problem.kind.is_warning()))
    });
    let c = &report.context;
    let k = &report.kpis;
    let dp = c.base.minor_units();
    let base = c.base.code();
    let mut rows: Vec<[String; 3]> = vec![
        ["as_of".into(), c.as_of.to_string(), "date".into()],
        ["period".into(), c.period.label(), "period".into()],
        [
            "period_start".into(),
            c.period.start.to_string(),
            "date".into(),
        ],
        ["period_end".into(), c.period.end.to_string(), "date".into()],
        ["timezone".into(), c.timezone.name().into(), "iana".into()],
        ["base_currency".into(), base.into(), "iso4217".into()],
        ["rates_date".into(), c.rates_date.to_string(), "date".into()],
        ["rates_source".into(), c.rates_source.clone(), "text".into()],
        ["deal_source".into(), c.deal_source.clone(), "text".into()],
        ["sample_data".into(), c.sample.to_string(), "bool".into()],
        [
            "deals".into(),
            report.deals.len().to_string(),
            "count".into(),
        ],
        [
            "open_count".into(),
            k.open_count.to_string(),
            "count".into(),
        ],
        ["open_amount".into(), amount(k.open_amount, dp), base.into()],
        [
            "weighted_amount".into(),
            amount(k.weighted_amount, dp),
            base.into(),
        ],
        [
            "open_without_amount".into(),
            k.open_without_amount.to_string(),
            "count".into(),
        ],
        [
            "deals_excluded_from_totals".into(),
            k.without_amount.to_string(),
            "count".into(),
        ],
        ["won_count".into(), k.won_count.to_string(), "count".into()],
        ["won_amount".into(), amount(k.won_amount, dp), base.into()],
        [
            "lost_count".into(),
            k.lost_count.to_string(),
            "count".into(),
        ],
        ["lost_amount".into(), amount(k.lost_amount, dp), base.into()],
        [
            "win_rate_count".into(),
            ratio(k.win_rate_count, 4),
            "ratio".into(),
        ],
        [
            "win_rate_amount".into(),
            ratio(k.win_rate_amount, 4),
            "ratio".into(),
        ],
        [
            "average_won_size".into(),
            opt_amount(k.average_won_size, dp),
            base.into(),
        ],
        [
            "average_cycle_days".into(),
            ratio(k.average_cycle_days, 1),
            "days".into(),
        ],
        [
            "velocity_per_day".into(),
            opt_amount(k.velocity_per_day, dp),
            format!("{base}/day"),
        ],
        [
            "data_quality_rows".into(),
            quality_rows.to_string(),
            "count".into(),
        ],
        ["data_warnings".into(), warnings.to_string(), "count".into()],
    ];
    for f in &report.forecast {
        let name = f.category.as_str();
        rows.extend([
            [
                format!("forecast_{name}_count"),
                f.count.to_string(),
                "count".into(),
            ],
            [
                format!("forecast_{name}_amount"),
                amount(f.amount, dp),
                base.into(),
            ],
            [
                format!("forecast_{name}_weighted"),
                amount(f.weighted, dp),
                base.into(),
            ],
        ]);
    }
    write(
        "summary.csv",
        report.context.csv_bom,
        &["metric", "value", "unit"],
        // Provenance text (a rates source, a deal source) is text too.
        rows.into_iter().map(|[metric, value, unit]| {
            let value = if unit == "text" { text(&value) } else { value };
            vec![metric, value, unit]
        }),
    )
}

/// `by_stage.csv`: open pipeline per stage, in stage order.
pub fn by_stage_csv(report: &PipelineReport) -> OutputFile {
    let dp = report.context.base.minor_units();
    write(
        "by_stage.csv",
        report.context.csv_bom,
        &[
            "stage",
            "known_stage",
            "count",
            "amount",
            "weighted",
            "share_of_open",
            "average_age_days",
            "forecast_category",
        ],
        report.by_stage.iter().map(|s| {
            vec![
                text(&s.stage),
                s.known.to_string(),
                s.count.to_string(),
                amount(s.amount, dp),
                amount(s.weighted, dp),
                ratio(s.share, 4),
                ratio(s.average_age_days, 1),
                s.forecast
                    .map(|f| f.as_str())
                    .unwrap_or_default()
                    .to_owned(),
            ]
        }),
    )
}

/// `by_owner.csv`: pipeline and results per owner.
pub fn by_owner_csv(report: &PipelineReport) -> OutputFile {
    let dp = report.context.base.minor_units();
    write(
        "by_owner.csv",
        report.context.csv_bom,
        &[
            "owner",
            "open_count",
            "open_amount",
            "open_weighted",
            "won_count",
            "won_amount",
            "lost_count",
            "lost_amount",
            "win_rate_count",
        ],
        report.by_owner.iter().map(|o| {
            vec![
                text(&o.owner),
                o.open_count.to_string(),
                amount(o.open_amount, dp),
                amount(o.open_weighted, dp),
                o.won_count.to_string(),
                amount(o.won_amount, dp),
                o.lost_count.to_string(),
                amount(o.lost_amount, dp),
                ratio(o.win_rate_count, 4),
            ]
        }),
    )
}

/// `by_close_month.csv`: open pipeline by expected closing month.
pub fn by_close_month_csv(report: &PipelineReport) -> OutputFile {
    let dp = report.context.base.minor_units();
    write(
        "by_close_month.csv",
        report.context.csv_bom,
        &["bucket", "count", "amount", "weighted"],
        report.by_close_month.iter().map(|m| {
            vec![
                m.bucket.clone(),
                m.count.to_string(),
                amount(m.amount, dp),
                amount(m.weighted, dp),
            ]
        }),
    )
}

/// The columns every deal list shares.
const DEAL_LIST: [&str; 8] = [
    "deal_id",
    "deal_name",
    "owner",
    "stage",
    "closing_date",
    "modified_date",
    "amount_base",
    "weighted_base",
];

/// What a deal list shows of a deal.
struct Listed<'a> {
    id: &'a str,
    name: &'a str,
    owner: &'a str,
    stage: &'a str,
    closing: Option<NaiveDate>,
    modified: Option<NaiveDate>,
    amount: Option<Decimal>,
    weighted: Option<Decimal>,
}

impl<'a> Listed<'a> {
    fn of(deal: &'a ReportDeal) -> Self {
        Self {
            id: &deal.id,
            name: &deal.name,
            owner: &deal.owner,
            stage: &deal.stage,
            closing: deal.closing_date,
            modified: deal.modified_date,
            amount: deal.amount_base,
            weighted: deal.weighted_base,
        }
    }

    fn write(&self, line: &mut Rows, dp: u32) {
        line.raw(self.id)
            .text(self.name)
            .text(self.owner)
            .text(self.stage)
            .date(self.closing)
            .date(self.modified)
            .amount(self.amount, dp)
            .amount(self.weighted, dp);
    }
}

/// Deals gathered at a time for a deal list.
const GATHER: usize = 64;

/// A deal list: the [`DEAL_LIST`] columns of each item's deal, then the
/// item's own. A long list is written in deal order (see [`ListOrder`]);
/// otherwise each run of deals is gathered first in a loop that does
/// nothing else, so that the processor fetches many at once.
fn write_deal_list<T: Sync>(
    name: &'static str,
    report: &PipelineReport,
    extra: &[&str],
    items: &[T],
    deal: impl Fn(&T) -> usize + Sync,
    fill: impl Fn(&mut Rows, &T, &Listed) + Sync,
) -> OutputFile {
    let dp = report.context.base.minor_units();
    let mut header = DEAL_LIST.to_vec();
    header.extend(extra);
    let row = |rows: &mut Rows, item: &T, deal: &ReportDeal| {
        let listed = Listed::of(deal);
        listed.write(rows, dp);
        fill(rows, item, &listed);
        rows.end_row();
    };
    let order = (items.len() >= PARALLEL_ROWS)
        .then(|| ListOrder::of(items.iter().map(&deal), report.deals.len()))
        .flatten();
    if let Some(order) = order {
        let mut blocks = Rows::start(report.context.csv_bom, &header).finish();
        blocks.extend(order.write(&report.deals, items, row));
        return csv_file(name, blocks, items.len());
    }
    write_chunks(
        name,
        report.context.csv_bom,
        &header,
        items,
        |rows, chunk| {
            let mut listed = Vec::with_capacity(GATHER);
            for run in chunk.chunks(GATHER) {
                listed.clear();
                listed.extend(run.iter().map(|item| &report.deals[deal(item)]));
                for (item, deal) in run.iter().zip(&listed) {
                    row(rows, item, deal);
                }
            }
        },
    )
}

/// `top_deals.csv`: the report's top N open deals by base amount.
pub fn top_deals_csv(report: &PipelineReport) -> OutputFile {
    let dp = report.context.base.minor_units();
    let mut header = vec!["rank"];
    header.extend(DEAL_LIST);
    let ranked: Vec<(usize, usize)> = report.top_deals.iter().copied().enumerate().collect();
    write_lines(
        "top_deals.csv",
        report.context.csv_bom,
        &header,
        &ranked,
        |line, &(rank, index)| {
            line.int(Some(rank + 1));
            Listed::of(&report.deals[index]).write(line, dp);
        },
    )
}

/// `stale.csv`: open deals untouched for the stale window, oldest first.
pub fn stale_csv(report: &PipelineReport) -> OutputFile {
    let as_of = report.context.as_of;
    write_deal_list(
        "stale.csv",
        report,
        &["days_since_modified"],
        &report.stale,
        |&index| index,
        |line, _, deal| {
            line.int(deal.modified.map(|m| (as_of - m).num_days()));
        },
    )
}

/// `movement.csv`: the waterfall from the period start to the as-of date,
/// one step a row. Without a baseline every step but `end` is empty and the
/// note says why.
pub fn movement_csv(report: &PipelineReport) -> OutputFile {
    let dp = report.context.base.minor_units();
    let rows: Vec<Vec<String>> = match &report.movement {
        Movement::Computed(steps) => steps
            .iter()
            .map(|row| {
                vec![
                    row.step.label().to_owned(),
                    row.deals.to_string(),
                    amount(row.amount, dp),
                    String::new(),
                ]
            })
            .collect(),
        Movement::NoBaseline {
            period_start,
            history_from,
        } => {
            let note = no_baseline_note(*period_start, *history_from);
            let k = &report.kpis;
            MovementStep::ALL
                .iter()
                .map(|step| match step {
                    MovementStep::End => vec![
                        step.label().to_owned(),
                        k.open_count.to_string(),
                        amount(k.open_amount, dp),
                        String::new(),
                    ],
                    _ => vec![
                        step.label().to_owned(),
                        String::new(),
                        String::new(),
                        note.clone(),
                    ],
                })
                .collect()
        }
    };
    write(
        "movement.csv",
        report.context.csv_bom,
        &["step", "deals", "amount", "note"],
        rows,
    )
}

/// Why a report has no movement, in words finance can act on.
pub fn no_baseline_note(
    period_start: chrono::DateTime<chrono::Utc>,
    history_from: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let start = period_start.format("%Y-%m-%dT%H:%M:%SZ");
    match history_from {
        Some(from) => format!(
            "no baseline: deal history starts at {}, after the period start {start}",
            from.format("%Y-%m-%dT%H:%M:%SZ")
        ),
        None => format!(
            "no baseline: no sync has finished, so there is no deal history at the period start {start}"
        ),
    }
}

/// `slipped.csv`: open deals that are overdue or whose closing date moved
/// later since the period start, the earliest closing date first.
pub fn slipped_csv(report: &PipelineReport) -> OutputFile {
    let as_of = report.context.as_of;
    write_deal_list(
        "slipped.csv",
        report,
        &["reason", "previous_closing_date", "days_overdue"],
        &report.slipped,
        |s| s.deal,
        |line, s, deal| {
            let reason = match (s.overdue, s.moved_from.is_some()) {
                (true, true) => "overdue;moved_later",
                (true, false) => "overdue",
                _ => "moved_later",
            };
            let days_overdue = deal
                .closing
                .filter(|_| s.overdue)
                .map(|c| (as_of - c).num_days());
            line.raw(reason).date(s.moved_from).int(days_overdue);
        },
    )
}

/// `by_currency.csv`: every deal by original currency, with the rate used.
pub fn by_currency_csv(report: &PipelineReport) -> OutputFile {
    let dp = report.context.base.minor_units();
    write(
        "by_currency.csv",
        report.context.csv_bom,
        &[
            "currency",
            "deals",
            "deals_with_amount",
            "amount",
            "rate",
            "amount_base",
            "deals_without_base_amount",
        ],
        report.by_currency.iter().map(|c| {
            vec![
                c.currency.clone(),
                c.deals.to_string(),
                c.with_amount.to_string(),
                c.amount.normalize().to_string(),
                c.rate
                    .map(|r| r.normalize().to_string())
                    .unwrap_or_default(),
                amount(c.amount_base, dp),
                c.without_base.to_string(),
            ]
        }),
    )
}

/// `data_quality.csv`: every problem of every deal.
pub fn data_quality_csv(report: &PipelineReport) -> OutputFile {
    write_lines(
        "data_quality.csv",
        report.context.csv_bom,
        &["deal_id", "deal_name", "problem", "severity", "detail"],
        &report.quality().collect::<Vec<_>>(),
        |line, q| {
            let severity = if q.problem.kind.is_warning() {
                "warning"
            } else {
                "note"
            };
            line.raw(&q.deal.id)
                .text(&q.deal.name)
                .raw(q.problem.kind.code())
                .raw(severity)
                .text(&q.problem.detail);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::{Rows, text, write_lines};

    #[test]
    fn rows_are_quoted_as_the_csv_crate_quotes_them() {
        let cells = [
            "plain",
            "",
            "a,b",
            "say \"hi\"",
            "\"",
            "line\nbreak",
            "cr\rhere",
            "Жанна – 東京",
            " spaced ",
            "'=x",
        ];
        let mut rows = Rows::start(false, &["one", "two,three"]);
        for pair in cells.chunks(2) {
            for cell in pair {
                rows.raw(cell);
            }
            rows.end_row();
        }
        let mut expected = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .from_writer(Vec::new());
        expected.write_record(["one", "two,three"]).expect("header");
        for pair in cells.chunks(2) {
            expected.write_record(pair).expect("row");
        }
        let expected = expected.into_inner().expect("flushed");
        assert_eq!(rows.finish().concat(), expected);
    }

    #[test]
    fn large_files_are_the_bytes_one_pass_writes() {
        let items: Vec<u32> = (0..3 * super::PARALLEL_ROWS as u32 + 7).collect();
        let fill = |rows: &mut Rows, i: &u32| {
            rows.int(Some(*i)).text(&"x".repeat(*i as usize % 300));
        };
        let file = write_lines("big.csv", true, &["n", "text"], &items, fill);
        let mut one_pass = Rows::start(true, &["n", "text"]);
        for i in &items {
            fill(&mut one_pass, i);
            one_pass.end_row();
        }
        let expected = one_pass.finish().concat();
        assert!(file.bytes.blocks().len() > 4);
        assert_eq!(file.bytes.to_bytes(), expected);
        assert_eq!(file.rows, Some(items.len()));
    }

    #[test]
    fn formula_looking_text_is_neutralised() {
        for hostile in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(text(hostile), format!("'{hostile}"));
        }
        assert_eq!(text("Acme – renewal"), "Acme – renewal");
        assert_eq!(text(""), "");
    }
}
