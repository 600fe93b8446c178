//! Every deal of the report by its original currency.
//!
//! Exact decimal sums rather than polars: original amounts come with any
//! number of decimals, and their sums must be exact to tie to `deals.csv`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::ReportDeal;

/// One row of `by_currency.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyRow {
    /// ISO code of the deals' own currency.
    pub currency: String,
    /// Deals in this currency.
    pub deals: u64,
    /// Of those, deals with an amount.
    pub with_amount: u64,
    /// Sum of their amounts, in this currency.
    pub amount: Decimal,
    /// The rate to the base currency when every deal used the same one.
    pub rate: Option<Decimal>,
    /// Sum of the rounded base amounts.
    pub amount_base: Decimal,
    /// Deals with an amount but no base amount (no rate).
    pub without_base: u64,
}

/// Rows in currency-code order.
pub fn by_currency(deals: &[ReportDeal]) -> Vec<CurrencyRow> {
    let mut rows: BTreeMap<&str, (CurrencyRow, Vec<Option<Decimal>>)> = BTreeMap::new();
    for deal in deals {
        let (row, rates) = rows.entry(deal.currency.as_str()).or_insert_with(|| {
            (
                CurrencyRow {
                    currency: deal.currency.clone(),
                    deals: 0,
                    with_amount: 0,
                    amount: Decimal::ZERO,
                    rate: None,
                    amount_base: Decimal::ZERO,
                    without_base: 0,
                },
                Vec::new(),
            )
        });
        row.deals += 1;
        rates.push(deal.rate);
        if let Some(amount) = deal.amount {
            row.with_amount += 1;
            row.amount += amount;
            match deal.amount_base {
                Some(base) => row.amount_base += base,
                None => row.without_base += 1,
            }
        }
    }
    rows.into_values()
        .map(|(mut row, rates)| {
            let first = rates.first().copied().flatten();
            row.rate = first.filter(|_| rates.iter().all(|r| *r == first));
            row
        })
        .collect()
}
