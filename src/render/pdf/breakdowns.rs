//! The breakdowns of the open pipeline: by stage (with forecast
//! categories), by owner, by close month, and the deals by currency; each
//! a chart where one helps, then its table.

use rust_decimal::Decimal;

use super::canvas::Canvas;
use super::chart::{self, Bar};
use super::sections::note;
use super::table::{Column, Table};
use crate::aggregate::PipelineReport;
use crate::fx::CurrencyCode;
use crate::render::format::{grouped, percent, ratio};

/// Owners drawn in the chart; the table lists every owner.
const CHART_OWNERS: usize = 12;

fn money_header(title: &str, base: CurrencyCode) -> String {
    format!("{title} ({base})")
}

/// Open pipeline by stage: bars, the table with its total, and the
/// forecast categories.
pub fn by_stage(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    let base = report.context.base;
    let dp = base.minor_units();
    let bars: Vec<Bar> = report
        .by_stage
        .iter()
        .map(|row| Bar {
            label: row.stage.clone(),
            amount: row.amount,
            weighted: row.weighted,
        })
        .collect();
    chart::bars(canvas, &bars, base.code(), dp);
    let mut table = Table::new(
        "Open pipeline by stage",
        vec![
            Column::text("Stage", 5.0),
            Column::number("Deals"),
            Column::number(money_header("Amount", base)),
            Column::number(money_header("Weighted", base)),
            Column::number("Share"),
            Column::number("Avg age (days)"),
        ],
    );
    for row in &report.by_stage {
        let stage = if row.known {
            row.stage.clone()
        } else {
            format!("{} (not in definition)", row.stage)
        };
        table.row(
            vec![
                stage,
                grouped(row.count.into(), 0),
                grouped(row.amount, dp),
                grouped(row.weighted, dp),
                percent(row.share),
                ratio(row.average_age_days, 1),
            ],
            !row.known,
        );
    }
    let k = &report.kpis;
    table.total = Some(vec![
        "Open pipeline".to_owned(),
        grouped(k.open_count.into(), 0),
        grouped(k.open_amount, dp),
        grouped(k.weighted_amount, dp),
        String::new(),
        String::new(),
    ]);
    table.draw(canvas);
    forecast(canvas, report);
}

/// The open pipeline by forecast category, when the definition maps
/// stages to categories; `closed` holds the period's won deals.
fn forecast(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    if report.forecast.is_empty() {
        return;
    }
    let base = report.context.base;
    let dp = base.minor_units();
    canvas.down(4.0);
    let mut table = Table::new(
        "Forecast categories",
        vec![
            Column::text("Forecast category", 1.0),
            Column::number("Deals"),
            Column::number(money_header("Amount", base)),
            Column::number(money_header("Weighted", base)),
        ],
    );
    for row in &report.forecast {
        table.row(
            vec![
                row.category.as_str().replace('_', " "),
                grouped(row.count.into(), 0),
                grouped(row.amount, dp),
                grouped(row.weighted, dp),
            ],
            false,
        );
    }
    table.draw(canvas);
}

/// Pipeline and results per owner: the largest owners' bars, every
/// owner in the table.
pub fn by_owner(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    let base = report.context.base;
    let dp = base.minor_units();
    let owner = |name: &str| {
        if name.is_empty() {
            "(no owner)".to_owned()
        } else {
            name.to_owned()
        }
    };
    let bars: Vec<Bar> = report
        .by_owner
        .iter()
        .filter(|row| row.open_amount > Decimal::ZERO)
        .take(CHART_OWNERS)
        .map(|row| Bar {
            label: owner(&row.owner),
            amount: row.open_amount,
            weighted: row.open_weighted,
        })
        .collect();
    if report.by_owner.len() > bars.len() && !bars.is_empty() {
        note(
            canvas,
            &format!(
                "The chart shows the {} owners with the largest open pipeline; the table lists all {}.",
                bars.len(),
                report.by_owner.len()
            ),
        );
    }
    chart::bars(canvas, &bars, base.code(), dp);
    let mut table = Table::new(
        "Pipeline by owner",
        vec![
            Column::text("Owner", 4.2),
            Column::number("Open"),
            Column::number(money_header("Open", base)),
            Column::number(money_header("Weighted", base)),
            Column::number("Won"),
            Column::number(money_header("Won", base)),
            Column::number("Lost"),
            Column::number("Win rate"),
        ],
    );
    for row in &report.by_owner {
        table.row(
            vec![
                owner(&row.owner),
                grouped(row.open_count.into(), 0),
                grouped(row.open_amount, dp),
                grouped(row.open_weighted, dp),
                grouped(row.won_count.into(), 0),
                grouped(row.won_amount, dp),
                grouped(row.lost_count.into(), 0),
                percent(row.win_rate_count),
            ],
            false,
        );
    }
    table.draw(canvas);
}

/// Open pipeline by expected close month, the overdue bucket hatched.
pub fn by_close_month(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    let base = report.context.base;
    let dp = base.minor_units();
    let columns: Vec<chart::Column> = report
        .by_close_month
        .iter()
        .map(|row| chart::Column {
            label: row.bucket.clone(),
            amount: row.amount,
            flagged: row.bucket == "overdue",
        })
        .collect();
    chart::columns(
        canvas,
        &columns,
        base.code(),
        dp,
        &format!("Overdue: expected to close before {}", report.context.as_of),
    );
    let mut table = Table::new(
        "Open pipeline by close month",
        vec![
            Column::text("Expected close", 1.0),
            Column::number("Deals"),
            Column::number(money_header("Amount", base)),
            Column::number(money_header("Weighted", base)),
        ],
    );
    for row in &report.by_close_month {
        table.row(
            vec![
                row.bucket.clone(),
                grouped(row.count.into(), 0),
                grouped(row.amount, dp),
                grouped(row.weighted, dp),
            ],
            row.bucket == "overdue",
        );
    }
    table.draw(canvas);
}

/// Every deal by original currency, with the rate used.
pub fn by_currency(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    let base = report.context.base;
    let dp = base.minor_units();
    let mut table = Table::new(
        "Deals by currency",
        vec![
            Column::fit("Currency"),
            Column::number("Deals"),
            Column::number("With amount"),
            Column::number("Amount"),
            Column::number("Rate"),
            Column::number(money_header("Amount", base)),
            Column::number(format!("No {base} amount")),
        ],
    );
    for row in &report.by_currency {
        let minor = CurrencyCode::parse(&row.currency).map_or(2, CurrencyCode::minor_units);
        table.row(
            vec![
                row.currency.clone(),
                grouped(row.deals.into(), 0),
                grouped(row.with_amount.into(), 0),
                grouped(row.amount, minor),
                row.rate
                    .map(|r| r.round_dp(6).normalize().to_string())
                    .unwrap_or_else(|| "–".to_owned()),
                grouped(row.amount_base, dp),
                grouped(row.without_base.into(), 0),
            ],
            row.without_base > 0,
        );
    }
    table.draw(canvas);
}
