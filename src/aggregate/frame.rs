//! The deals as a polars frame: amounts as integer minor units (exact sums),
//! dates as day numbers.

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use polars::series::IsSorted;
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::ReportDeal;
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
}

/// Builds the frame every section queries.
pub fn deals_frame(deals: &[ReportDeal], minor_units: u32) -> PolarsResult<DealsFrame<'_>> {
    let mut parts: Vec<Part<'_>> = shares(deals)
        .into_par_iter()
        .map(|(first, chunk)| frame_part(chunk, first, minor_units))
        .collect::<PolarsResult<_>>()?;
    let stages = Coded::unify(parts.iter_mut().map(|p| &mut p.stage).collect());
    let owners = Coded::unify(parts.iter_mut().map(|p| &mut p.owner).collect());
    let mut frame = stack(
        parts
            .into_iter()
            .map(|mut part| {
                part.columns.extend([
                    Column::new("stage".into(), part.stage.codes),
                    Column::new("owner".into(), part.owner.codes),
                ]);
                DataFrame::new(part.len, part.columns)
            })
            .collect::<PolarsResult<_>>()?,
    )?;
    frame.apply("row", sorted)?;
    flag_sorted_keys(&mut frame)?;
    Ok(DealsFrame {
        frame,
        stages,
        owners,
    })
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

/// A frame built by each core from its share of `items` in one pass: an
/// item is tens or hundreds of bytes, so reading every item once per
/// column costs more than building the columns.
pub fn in_parts<T: Sync>(
    items: &[T],
    part: impl Fn(&[T]) -> PolarsResult<DataFrame> + Sync,
) -> PolarsResult<DataFrame> {
    stack(
        shares(items)
            .into_par_iter()
            .map(|(_, chunk)| part(chunk))
            .collect::<PolarsResult<_>>()?,
    )
}

/// One share of `items` per core (one empty share when there are none),
/// with the index of its first item.
fn shares<T>(items: &[T]) -> Vec<(usize, &[T])> {
    let share = items.len().div_ceil(rayon::current_num_threads()).max(1);
    let mut shares: Vec<_> = items
        .chunks(share)
        .enumerate()
        .map(|(i, chunk)| (i * share, chunk))
        .collect();
    if shares.is_empty() {
        shares.push((0, items));
    }
    shares
}

/// The parts one under the other, in one chunk per column.
fn stack(parts: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    let mut parts = parts.into_iter();
    let Some(mut frame) = parts.next() else {
        return Ok(DataFrame::empty());
    };
    for part in parts {
        frame.vstack_mut_owned(part)?;
    }
    frame.rechunk_mut_par();
    Ok(frame)
}

/// A run of deals' columns, its text columns still coded by the run.
struct Part<'a> {
    len: usize,
    columns: Vec<Column>,
    stage: Coded<'a>,
    owner: Coded<'a>,
}

/// A text column as codes, each distinct text numbered as first seen.
#[derive(Default)]
struct Coded<'a> {
    codes: Vec<u32>,
    names: Vec<&'a str>,
    seen: PlHashMap<&'a str, u32>,
}

impl<'a> Coded<'a> {
    fn push(&mut self, name: &'a str) {
        let next = self.names.len() as u32;
        let code = *self.seen.entry(name).or_insert_with(|| {
            self.names.push(name);
            next
        });
        self.codes.push(code);
    }

    /// Recodes every part against one list of all their names in text
    /// order, so that codes sort as their names do; returns the list.
    fn unify(parts: Vec<&mut Coded<'a>>) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = parts.iter().flat_map(|p| p.names.clone()).collect();
        names.sort_unstable();
        names.dedup();
        parts.into_par_iter().for_each(|part| {
            let global: Vec<u32> = part
                .names
                .iter()
                .map(|name| names.partition_point(|other| other < name) as u32)
                .collect();
            for code in &mut part.codes {
                *code = global[*code as usize];
            }
        });
        names
    }
}

/// The columns of a run of deals, the first being deal `first`.
fn frame_part(deals: &[ReportDeal], first: usize, minor_units: u32) -> PolarsResult<Part<'_>> {
    let n = deals.len();
    let minor = |value: Option<Decimal>| value.and_then(|v| to_minor(v, minor_units));
    let mut key = Vec::with_capacity(n);
    let mut stage = Coded::default();
    let mut owner = Coded::default();
    let mut class = Vec::with_capacity(n);
    let mut amount = Vec::with_capacity(n);
    let mut weighted = Vec::with_capacity(n);
    let mut closing = Vec::with_capacity(n);
    let mut closing_month = Vec::with_capacity(n);
    let mut created = Vec::with_capacity(n);
    let mut modified = Vec::with_capacity(n);
    for d in deals {
        key.push(numeric_id(&d.id));
        stage.push(&d.stage);
        owner.push(&d.owner);
        class.push(class_code(d.class));
        amount.push(minor(d.amount_base));
        weighted.push(minor(d.weighted_base));
        closing.push(d.closing_date.map(day));
        closing_month.push(d.closing_date.map(month));
        created.push(d.created_date.map(day));
        modified.push(d.modified_date.map(day));
    }
    let first = first as u32;
    let row: Vec<u32> = (first..first + n as u32).collect();
    Ok(Part {
        len: n,
        columns: vec![
            Column::new("row".into(), row),
            Column::new("key".into(), key),
            Column::new("class".into(), class),
            Column::new("amount".into(), amount),
            Column::new("weighted".into(), weighted),
            Column::new("closing".into(), closing),
            Column::new("closing_month".into(), closing_month),
            Column::new("created".into(), created),
            Column::new("modified".into(), modified),
        ],
        stage,
        owner,
    })
}

/// A Zoho record id as a number: joins on it are several times faster
/// than on text. `None` for an id that is not exactly one (a file
/// source's `D01`, or `007`, which would not print back the same).
pub fn numeric_id(id: &str) -> Option<u64> {
    let canonical = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'));
    canonical.then(|| id.parse().ok()).flatten()
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
    fn codes_from_every_part_sort_as_their_names() {
        let mut first = Coded::default();
        let mut second = Coded::default();
        for name in ["b", "", "b", "é"] {
            first.push(name);
        }
        for name in ["c", "b", "a"] {
            second.push(name);
        }
        let names = Coded::unify(vec![&mut first, &mut second]);
        assert_eq!(names, ["", "a", "b", "c", "é"]);
        assert_eq!(first.codes, [2, 0, 2, 4]);
        assert_eq!(second.codes, [3, 2, 1]);
    }
}
