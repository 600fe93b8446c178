//! What changed since the period started: the movement waterfall and the
//! slipped deals, both from the deal set at the period start joined to the
//! one at the as-of date.

use chrono::{DateTime, NaiveDate, Utc};
use compact_str::CompactString;
use polars::prelude::*;
use polars_ops::frame::MaintainOrderJoin;
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::ReportDeal;
use super::columns::{Nullable, share_len};
use super::frame::{
    by_day_then_row, class_code, class_is, count_where, day, flag_sorted_keys, from_day, int_at,
    numeric_id, sum_where,
};
use crate::config::StageClass;
use crate::fx::money::{from_minor, to_minor};

/// A deal as it stood at the period start: only what movement and slipped
/// compare, valued at the as-of rates.
#[derive(Debug, Clone)]
pub struct SnapshotDeal {
    /// Zoho record id.
    pub id: CompactString,
    /// How its stage counted then.
    pub class: StageClass,
    /// Its amount then, converted at the as-of rates.
    pub amount_base: Option<Decimal>,
    /// Its closing date then.
    pub closing_date: Option<NaiveDate>,
}

/// The deal set at the period start, when history reaches back that far.
#[derive(Debug, Clone)]
pub enum Baseline {
    /// History starts after the period start: there is nothing to compare.
    Missing {
        /// The first instant of the period.
        period_start: DateTime<Utc>,
        /// Where complete history starts, if any sync finished.
        history_from: Option<DateTime<Utc>>,
    },
    /// The deals at the first instant of the period.
    Snapshot {
        /// The first instant of the period.
        period_start: DateTime<Utc>,
        /// Every deal that existed then.
        deals: Vec<SnapshotDeal>,
    },
}

/// One step of the waterfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MovementStep {
    /// Open amount at the period start.
    Start,
    /// Open now, absent then.
    New,
    /// Open then and now, worth more now.
    Increased,
    /// Open then and now, worth less now.
    Decreased,
    /// Open then, won now.
    Won,
    /// Open then, lost now.
    Lost,
    /// Open then and deleted now, or closed then and open now.
    Other,
    /// Open amount now.
    End,
}

impl MovementStep {
    /// Every step, in waterfall order.
    pub const ALL: [MovementStep; 8] = [
        Self::Start,
        Self::New,
        Self::Increased,
        Self::Decreased,
        Self::Won,
        Self::Lost,
        Self::Other,
        Self::End,
    ];

    /// The word in `movement.csv`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::New => "new",
            Self::Increased => "increased",
            Self::Decreased => "decreased",
            Self::Won => "won",
            Self::Lost => "lost",
            Self::Other => "other",
            Self::End => "end",
        }
    }
}

/// One bar of the waterfall. Steps that take away are negative, so
/// start + every step = end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementRow {
    /// Which step.
    pub step: MovementStep,
    /// Deals in it.
    pub deals: u64,
    /// Its amount in the base currency.
    pub amount: Decimal,
}

/// The movement section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Movement {
    /// No stored history at the period start: nothing is invented.
    NoBaseline {
        /// The first instant of the period.
        period_start: DateTime<Utc>,
        /// Where complete history starts, if any sync finished.
        history_from: Option<DateTime<Utc>>,
    },
    /// Every step, in order.
    Computed(Vec<MovementRow>),
}

/// An open deal that slipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlippedRow {
    /// Index into the report's deals.
    pub deal: usize,
    /// Its closing date is before the as-of date.
    pub overdue: bool,
    /// Its closing date at the period start, when it has moved later since.
    pub moved_from: Option<NaiveDate>,
}

/// Every deal now, beside how it stood at the period start.
pub struct Comparison {
    /// The current deals, each with its period-start columns (`s_…`, null
    /// when it did not exist then).
    joined: DataFrame,
    /// Deals open at the period start, and their amount in minor units,
    /// deleted ones included.
    open_then: (i64, i64),
}

impl Comparison {
    /// Joins the baseline to the current deals frame by deal id: on the
    /// number when every id is one (as Zoho's are), and by merging when
    /// both sides are in id order, several times faster than hashing.
    pub fn new(
        frame: &DataFrame,
        now: &[ReportDeal],
        baseline: &Baseline,
        minor_units: u32,
    ) -> PolarsResult<Self> {
        let deals_then: &[SnapshotDeal] = match baseline {
            Baseline::Snapshot { deals, .. } => deals,
            Baseline::Missing { .. } => &[],
        };
        let mut then = snapshot_frame(deals_then, minor_units)?;
        let numeric =
            frame.column("key")?.null_count() == 0 && then.column("key")?.null_count() == 0;
        let (key, now_key) = if numeric {
            flag_sorted_keys(&mut then)?;
            ("key", frame.column("key")?.clone())
        } else {
            let text_ids = |ids: Vec<&str>| Column::new("id".into(), ids);
            then.with_column(text_ids(deals_then.iter().map(|d| d.id.as_str()).collect()))?;
            ("id", text_ids(now.iter().map(|d| d.id.as_str()).collect()))
        };
        let then = then.lazy();
        let open = class_is("s_class", StageClass::Open);
        let open_then = then
            .clone()
            .select([
                count_where(open.clone()).alias("deals"),
                sum_where("s_amount", open).alias("amount"),
            ])
            .collect()?;
        let open_then = (
            int_at(&open_then, "deals", 0)?,
            int_at(&open_then, "amount", 0)?,
        );
        let now = frame
            .select(["row", "class", "amount", "closing"])?
            .hstack(&[now_key])?
            .lazy();
        // Joined once, queried by both sections, in row order. A left join
        // keeps the merge path; the deals deleted since are counted from
        // `open_then`.
        let joined = now
            .join(
                then,
                [col(key)],
                [col(key)],
                JoinArgs {
                    maintain_order: MaintainOrderJoin::Left,
                    ..JoinArgs::new(JoinType::Left)
                },
            )
            .select([
                col("row"),
                col("class"),
                col("amount"),
                col("closing"),
                col("s_class"),
                col("s_amount"),
                col("s_closing"),
            ])
            .collect()?;
        Ok(Self { joined, open_then })
    }

    /// The waterfall, or why there is none.
    pub fn movement(&self, baseline: &Baseline, minor_units: u32) -> PolarsResult<Movement> {
        if let Baseline::Missing {
            period_start,
            history_from,
        } = baseline
        {
            return Ok(Movement::NoBaseline {
                period_start: *period_start,
                history_from: *history_from,
            });
        }
        // Every deal makes exactly one transition: its class then
        // ([`ABSENT`] when it did not exist), its class now, and whether its
        // amount rose, fell or held. A deal without a base amount counts 0, so
        // that it is in exactly the steps its class changes put it in.
        let (then, now) = (
            col("s_amount").fill_null(lit(0_i64)),
            col("amount").fill_null(lit(0_i64)),
        );
        let direction = when(now.clone().gt(then.clone()))
            .then(lit(ROSE))
            .when(now.clone().lt(then.clone()))
            .then(lit(FELL))
            .otherwise(lit(HELD));
        // The three parts as one small number: grouping on one integer is
        // several times faster than on three columns.
        let transition = (col("s_class").fill_null(lit(ABSENT)) * lit(9_i32)
            + col("class") * lit(3_i32)
            + direction)
            .alias("transition");
        let transitions = self
            .joined
            .clone()
            .lazy()
            .group_by([transition])
            .agg([
                len().cast(DataType::Int64).alias("deals"),
                now.sum().alias("now"),
                then.sum().alias("then"),
            ])
            .collect()?;
        let column = |name: &str| -> PolarsResult<Vec<i64>> {
            Ok(transitions
                .column(name)?
                .cast(&DataType::Int64)?
                .i64()?
                .iter()
                .map(|value| value.unwrap_or(0))
                .collect())
        };
        let [open, won, lost] = [StageClass::Open, StageClass::Won, StageClass::Lost]
            .map(|class| Some(i64::from(class_code(class))));
        let mut new = (0, 0);
        let mut increased = (0, 0);
        let mut decreased = (0, 0);
        let mut closed_won = (0, 0);
        let mut closed_lost = (0, 0);
        let mut still_here = (0, 0);
        let mut reopened = (0, 0);
        let mut end = (0, 0);
        let add = |total: &mut (i64, i64), deals: i64, amount: i64| {
            total.0 += deals;
            total.1 += amount;
        };
        let groups = column("transition")?
            .into_iter()
            .zip(column("deals")?)
            .zip(column("now")?.into_iter().zip(column("then")?));
        for ((transition, n), (now, then)) in groups {
            let then_class = Some(transition / 9).filter(|&c| c != i64::from(ABSENT));
            let now_class = Some(transition / 3 % 3);
            let direction = (transition % 3) as i32;
            if now_class == open {
                add(&mut end, n, now);
                match then_class {
                    None => add(&mut new, n, now),
                    c if c == open && direction == ROSE => add(&mut increased, n, now - then),
                    c if c == open && direction == FELL => add(&mut decreased, n, now - then),
                    c if c == open => {}
                    _ => add(&mut reopened, n, now),
                }
            }
            if then_class == open {
                add(&mut still_here, n, then);
                if now_class == won {
                    add(&mut closed_won, n, -then);
                } else if now_class == lost {
                    add(&mut closed_lost, n, -then);
                }
            }
        }
        let start = self.open_then;
        // Open then and gone now (deleted) takes away; closed then and
        // open now (reopened) adds.
        let other = (
            start.0 - still_here.0 + reopened.0,
            still_here.1 - start.1 + reopened.1,
        );
        let steps = [
            start,
            new,
            increased,
            decreased,
            closed_won,
            closed_lost,
            other,
            end,
        ];
        Ok(Movement::Computed(
            MovementStep::ALL
                .iter()
                .zip(steps)
                .map(|(step, (deals, amount))| MovementRow {
                    step: *step,
                    deals: u64::try_from(deals).unwrap_or(0),
                    amount: from_minor(amount, minor_units),
                })
                .collect(),
        ))
    }

    /// Open deals that are overdue or whose closing date moved later since
    /// the period start; the earliest closing date first.
    pub fn slipped(&self, as_of: NaiveDate) -> PolarsResult<Vec<SlippedRow>> {
        let open_now = class_is("class", StageClass::Open);
        let overdue = col("closing").lt(lit(day(as_of))).fill_null(lit(false));
        let moved = col("closing").gt(col("s_closing")).fill_null(lit(false));
        let picked = self
            .joined
            .clone()
            .lazy()
            .filter(open_now.and(overdue.clone().or(moved.clone())))
            .select([
                col("row"),
                overdue.alias("overdue"),
                when(moved)
                    .then(col("s_closing"))
                    .otherwise(lit(NULL).cast(DataType::Int32))
                    .alias("moved_from"),
                col("closing"),
            ])
            .sort_by_exprs([by_day_then_row("closing")], SortMultipleOptions::default())
            .collect()?;
        let rows = picked.column("row")?.u32()?;
        let overdue = picked.column("overdue")?.bool()?;
        let moved_from = picked.column("moved_from")?.cast(&DataType::Int32)?;
        let moved_from = moved_from.i32()?;
        Ok((0..picked.height())
            .filter_map(|i| {
                Some(SlippedRow {
                    deal: rows.get(i)? as usize,
                    overdue: overdue.get(i).unwrap_or(false),
                    moved_from: moved_from.get(i).and_then(from_day),
                })
            })
            .collect())
    }
}

/// The period-start columns of the snapshot deals, filled on every core.
fn snapshot_frame(deals: &[SnapshotDeal], minor_units: u32) -> PolarsResult<DataFrame> {
    let rows = deals.len();
    let share = share_len(rows);
    let mut key = Nullable::<UInt64Type>::new(rows);
    let mut class = vec![0; rows];
    let mut amount = Nullable::<Int64Type>::new(rows);
    let mut closing = Nullable::<Int32Type>::new(rows);
    (
        deals.par_chunks(share),
        key.shares(share),
        class.par_chunks_mut(share),
        amount.shares(share),
        closing.shares(share),
    )
        .into_par_iter()
        .for_each(|(deals, mut key, class, mut amount, mut closing)| {
            for (row, d) in deals.iter().enumerate() {
                key.set(row, numeric_id(&d.id));
                class[row] = class_code(d.class);
                amount.set(row, d.amount_base.and_then(|a| to_minor(a, minor_units)));
                closing.set(row, d.closing_date.map(day));
            }
        });
    DataFrame::new(
        rows,
        vec![
            key.into_column("key")?,
            Column::new("s_class".into(), class),
            amount.into_column("s_amount")?,
            closing.into_column("s_closing")?,
        ],
    )
}

/// The class code of a deal absent from the period start.
const ABSENT: i32 = 3;

/// How a deal's amount moved since the period start.
const HELD: i32 = 0;
const ROSE: i32 = 1;
const FELL: i32 = 2;
