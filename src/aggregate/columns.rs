//! Frame columns filled in place, a share of rows on every core: no
//! column of options to convert, and no parts to stack and copy again.

use polars::prelude::*;
use polars_arrow::bitmap::Bitmap;
use rayon::prelude::*;

/// Rows each core fills: a whole number of bytes of validity bits, so
/// that shares never write the same byte.
pub fn share_len(rows: usize) -> usize {
    rows.div_ceil(rayon::current_num_threads())
        .next_multiple_of(8)
        .max(8)
}

/// A column that may hold nulls: its values and a validity bit per row.
pub struct Nullable<P: PolarsNumericType> {
    values: Vec<P::Native>,
    valid: Vec<u8>,
}

impl<P: PolarsNumericType> Nullable<P> {
    /// `rows` nulls.
    pub fn new(rows: usize) -> Self {
        Self {
            values: vec![P::Native::default(); rows],
            valid: vec![0; rows.div_ceil(8)],
        }
    }

    /// The column in shares of `share` rows (a multiple of 8).
    pub fn shares(&mut self, share: usize) -> impl IndexedParallelIterator<Item = Share<'_, P>> {
        self.values
            .par_chunks_mut(share)
            .zip(self.valid.par_chunks_mut(share / 8))
            .map(|(values, valid)| Share { values, valid })
    }

    /// The finished column; without a validity bitmap when nothing is null.
    pub fn into_column(self, name: &str) -> PolarsResult<Column> {
        let rows = self.values.len();
        let validity = Bitmap::try_new(self.valid, rows)?;
        let validity = (validity.unset_bits() > 0).then_some(validity);
        Ok(ChunkedArray::<P>::from_vec_validity(name.into(), self.values, validity).into_column())
    }
}

/// The rows of a [`Nullable`] column one core fills.
pub struct Share<'a, P: PolarsNumericType> {
    values: &'a mut [P::Native],
    valid: &'a mut [u8],
}

impl<P: PolarsNumericType> Share<'_, P> {
    /// Sets row `row` of the share; `None` leaves it null.
    pub fn set(&mut self, row: usize, value: Option<P::Native>) {
        if let Some(value) = value {
            self.values[row] = value;
            self.valid[row / 8] |= 1 << (row % 8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_fill_one_column_with_its_nulls() {
        let rows = 83;
        let share = 16;
        let mut column = Nullable::<Int64Type>::new(rows);
        column
            .shares(share)
            .enumerate()
            .for_each(|(index, mut part)| {
                for row in 0..part.values.len() {
                    let at = (index * share + row) as i64;
                    part.set(row, (at % 3 != 0).then_some(at));
                }
            });
        let column = column.into_column("n").expect("column");
        let got: Vec<Option<i64>> = column.i64().expect("i64").iter().collect();
        let expected: Vec<Option<i64>> = (0..rows as i64)
            .map(|i| (i % 3 != 0).then_some(i))
            .collect();
        assert_eq!(got, expected);
        let full = Nullable::<Int32Type>::new(0)
            .into_column("empty")
            .expect("column");
        assert_eq!(full.len(), 0);
    }
}
