//! The deals as a polars frame: amounts as integer minor units (exact sums),
//! dates as day numbers.

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use polars::series::IsSorted;
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::ReportDeal;
use super::columns::{Nullable, share_len};
use crate::config::StageClass;
use crate::fx::money::to_minor;

/// Day number of a date (days since 0001-01-01), comparable and subtractable.
pub fn day(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// The date of a day number.
pub fn from_day(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day)
}

/// Month number of a date (year × 12 + month − 1), for monthly buckets.
pub fn month(date: NaiveDate) -> i32 {
    date.year() * 12 + date.month0() as i32
}

/// The frame every section queries, and the names its coded text columns
/// stand for: grouping and sorting on small numbers is several times
/// faster than on text, and building text columns cost more than coding.
pub struct DealsFrame<'a> {
    /// One row per deal, in deal order.
    pub frame: DataFrame,
    /// Stage names by their code in the `stage` column, in text order.
    pub stages: Vec<&'a str>,
    /// Owner names by their code in the `owner` column, in text order.
    pub owners: Vec<&'a str>,
    /// Whether the deals were in id order, as the store reads them.
    pub in_id_order: bool,
}

/// Builds the frame every section queries, in one pass over the deals
/// on every core: a deal is hundreds of bytes, so reading every deal once
/// per column would cost more than building the columns.
pub fn deals_frame(deals: &[ReportDeal], minor_units: u32) -> PolarsResult<DealsFrame<'_>> {
    let rows = deals.len();
    let share = share_len(rows);
    let minor = |value: Option<Decimal>| value.and_then(|v| to_minor(v, minor_units));
    let mut key = Nullable::<UInt64Type>::new(rows);
    let mut class = vec![0; rows];
    let mut amount = Nullable::<Int64Type>::new(rows);
    let mut weighted = Nullable::<Int64Type>::new(rows);
    let mut closing = Nullable::<Int32Type>::new(rows);
    let mut closing_month = Nullable::<Int32Type>::new(rows);
    let mut created = Nullable::<Int32Type>::new(rows);
    let mut modified = Nullable::<Int32Type>::new(rows);
    let mut stage = vec![0; rows];
    let mut owner = vec![0; rows];
    let (parts, in_order): (Vec<(Coded<'_>, Coded<'_>)>, Vec<bool>) = (
        deals.par_chunks(share),
        key.shares(share),
        class.par_chunks_mut(share),
        amount.shares(share),
        weighted.shares(share),
        closing.shares(share),
        closing_month.shares(share),
        created.shares(share),
        modified.shares(share),
        stage.par_chunks_mut(share),
        owner.par_chunks_mut(share),
    )
        .into_par_iter()
        .map(
            |(
                deals,
                mut key,
                class,
                mut amount,
                mut weighted,
                mut closing,
                mut closing_month,
                mut created,
                mut modified,
                stage,
                owner,
            )| {
                let (mut stages, mut owners) = (Coded::default(), Coded::default());
                let mut in_order = true;
                let mut previous: Option<(&str, Option<u64>)> = None;
                for (row, d) in deals.iter().enumerate() {
                    let number = numeric_id(&d.id);
                    // Checked here, where each id is read anyway: a pass of
                    // its own would fetch every deal once more.
                    if let Some(previous) = previous {
                        in_order &= id_le(previous, (&d.id, number));
                    }
                    previous = Some((&d.id, number));
                    key.set(row, number);
                    class[row] = class_code(d.class);
                    amount.set(row, minor(d.amount_base));
                    weighted.set(row, minor(d.weighted_base));
                    closing.set(row, d.closing_date.map(day));
                    closing_month.set(row, d.closing_date.map(month));
                    created.set(row, d.created_date.map(day));
                    modified.set(row, d.modified_date.map(day));
                    stage[row] = stages.code(&d.stage);
                    owner[row] = owners.code(&d.owner);
                }
                ((stages, owners), in_order)
            },
        )
        .unzip();
    let in_id_order = in_order.into_iter().all(|in_order| in_order)
        && deals
            .chunks(share)
            .zip(deals.chunks(share).skip(1))
            .all(|(before, after)| before[before.len() - 1].id <= after[0].id);
    let (stages, owners): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
    let stages = Coded::unify(&mut stage, share, &stages);
    let owners = Coded::unify(&mut owner, share, &owners);
    let row: Vec<u32> = (0..rows as u32).collect();
    let mut frame = DataFrame::new(
        rows,
        vec![
            sorted(&Column::new("row".into(), row)),
            key.into_column("key")?,
            Column::new("class".into(), class),
            amount.into_column("amount")?,
            weighted.into_column("weighted")?,
            closing.into_column("closing")?,
            closing_month.into_column("closing_month")?,
            created.into_column("created")?,
            modified.into_column("modified")?,
            Column::new("stage".into(), stage),
            Column::new("owner".into(), owner),
        ],
    )?;
    flag_sorted_keys(&mut frame)?;
    Ok(DealsFrame {
        frame,
        stages,
        owners,
        in_id_order,
    })
}

/// Whether one id sorts before or as another, as text: ids that are
/// numbers of the same length compare as the numbers.
fn id_le((a, a_number): (&str, Option<u64>), (b, b_number): (&str, Option<u64>)) -> bool {
    match (a_number, b_number) {
        (Some(x), Some(y)) if a.len() == b.len() => x <= y,
        _ => a <= b,
    }
}

fn sorted(column: &Column) -> Column {
    let mut column = column.clone();
    column.set_sorted_flag(IsSorted::Ascending);
    column
}

/// Flags the `key` column sorted when it is, so that joins on it merge
/// instead of hashing.
pub fn flag_sorted_keys(frame: &mut DataFrame) -> PolarsResult<()> {
    let keys = frame.column("key")?.u64()?;
    if keys.null_count() == 0 && keys.into_no_null_iter().is_sorted() {
        frame.apply("key", sorted)?;
    }
    Ok(())
}

/// Texts as numbers, each distinct text numbered as one core first saw it.
#[derive(Default)]
struct Coded<'a> {
    names: Vec<&'a str>,
    seen: PlHashMap<&'a str, u32>,
}

impl<'a> Coded<'a> {
    fn code(&mut self, name: &'a str) -> u32 {
        let next = self.names.len() as u32;
        *self.seen.entry(name).or_insert_with(|| {
            self.names.push(name);
            next
        })
    }

    /// Recodes `codes`, each share of `share` numbered by its own part,
    /// against one list of every part's names in text order, so that codes
    /// sort as their names do; returns the list.
    fn unify(codes: &mut [u32], share: usize, parts: &[Coded<'a>]) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = parts.iter().flat_map(|p| p.names.clone()).collect();
        names.sort_unstable();
        names.dedup();
        codes
            .par_chunks_mut(share)
            .zip(parts)
            .for_each(|(codes, part)| {
                let global: Vec<u32> = part
                    .names
                    .iter()
                    .map(|name| names.partition_point(|other| other < name) as u32)
                    .collect();
                for code in codes {
                    *code = global[*code as usize];
                }
            });
        names
    }
}

/// A Zoho record id as a number: joins on it are several times faster
/// than on text. `None` for an id that is not exactly one (a file
/// source's `D01`, or `007`, which would not print back the same).
pub fn numeric_id(id: &str) -> Option<u64> {
    // One pass over the digits: two frames parse a million ids each.
    match id.as_bytes() {
        [] => None,
        [b'0', _, ..] => None,
        digits => digits.iter().try_fold(0_u64, |number, &byte| {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            number.checked_mul(10)?.checked_add(u64::from(digit))
        }),
    }
}

/// A stage class as the frames hold it: a small number, a quarter the size
/// of its name and quicker to compare.
pub fn class_code(class: StageClass) -> i32 {
    match class {
        StageClass::Open => 0,
        StageClass::Won => 1,
        StageClass::Lost => 2,
    }
}

/// The rows of `column` (a class column) whose class is `class`.
pub fn class_is(column: &str, class: StageClass) -> Expr {
    col(column).eq(lit(class_code(class)))
}

/// A sort key for a day column (no nulls) with ties in row order: one
/// integer, unique per row, sorts several times faster than a stable
/// sort or a sort on two columns.
pub fn by_day_then_row(day: &str) -> Expr {
    (col(day).cast(DataType::Int64) * lit(1_i64 << 32) + col("row").cast(DataType::Int64))
        .alias("order")
}

/// Reads an integer cell, treating null as 0.
pub fn int_at(frame: &DataFrame, column: &str, row: usize) -> PolarsResult<i64> {
    let column = frame.column(column)?.cast(&DataType::Int64)?;
    Ok(column.i64()?.get(row).unwrap_or(0))
}

/// Reads a coded text cell as the text it stands for.
pub fn name_at<'a>(
    frame: &DataFrame,
    column: &str,
    row: usize,
    names: &[&'a str],
) -> PolarsResult<&'a str> {
    let code = frame.column(column)?.u32()?.get(row);
    code.and_then(|code| names.get(code as usize).copied())
        .ok_or_else(|| polars_err!(ComputeError: "no name for code {code:?} in column {column}"))
}

/// A boolean mask counted as a number of rows (a bitmap count; casting
/// the mask to integers first would write a column per count).
pub fn count_where(mask: Expr) -> Expr {
    mask.sum()
}

/// The sum of an integer column over the rows of a mask.
pub fn sum_where(column: &str, mask: Expr) -> Expr {
    col(column).filter(mask).cast(DataType::Int64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_that_print_back_the_same_are_numbers() {
        let cases = [
            ("4876876000000412345", Some(4_876_876_000_000_412_345)),
            ("0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("007", None),
            ("D01", None),
            ("+5", None),
            ("12 ", None),
            ("", None),
        ];
        for (id, number) in cases {
            assert_eq!(numeric_id(id), number, "{id:?}");
        }
    }

    #[test]
    fn ids_compare_as_text_even_when_they_are_numbers() {
        let le = |a: &str, b: &str| id_le((a, numeric_id(a)), (b, numeric_id(b)));
        for (a, b) in [
            ("10", "9"),
            ("12", "34"),
            ("34", "34"),
            ("007", "7"),
            ("D1", "D10"),
        ] {
            assert!(le(a, b), "{a:?} <= {b:?}");
            assert_eq!(le(b, a), a == b, "{b:?} <= {a:?}");
        }
        assert!(le("4876876000000412345", "4876876000000412346"));
        assert!(le("99", "D0") && !le("D0", "99"));
    }

    #[test]
    fn deals_out_of_id_order_are_seen_within_and_across_shares() {
        let ids: Vec<String> = (0..64).map(|i| format!("{}", 100 + i)).collect();
        let frame_of = |ids: &[String]| {
            let deals: Vec<ReportDeal> = ids.iter().map(|id| ReportDeal::named(id, "")).collect();
            deals_frame(&deals, 2).expect("frame").in_id_order
        };
        assert!(frame_of(&ids));
        let share = share_len(ids.len());
        // Within the first share, across the first boundary, in the last share.
        for swapped in [1, share.min(ids.len() - 1), ids.len() - 1] {
            let mut ids = ids.clone();
            ids.swap(swapped - 1, swapped);
            assert!(
                !frame_of(&ids),
                "rows {} and {swapped} swapped",
                swapped - 1
            );
        }
    }

    #[test]
    fn codes_from_every_part_sort_as_their_names() {
        let (mut first, mut second) = (Coded::default(), Coded::default());
        let mut codes: Vec<u32> = ["b", "", "b", "é"].map(|n| first.code(n)).to_vec();
        codes.extend(["c", "b", "a"].map(|n| second.code(n)));
        let names = Coded::unify(&mut codes, 4, &[first, second]);
        assert_eq!(names, ["", "a", "b", "c", "é"]);
        assert_eq!(codes, [2, 0, 2, 4, 3, 2, 1]);
    }
}
