//! Every deal of the report by its original currency.
//!
//! Exact decimal sums rather than polars: original amounts come with any
//! number of decimals, and their sums must be exact to tie to `deals.csv`.

use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
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

/// The rate of a currency's deals, as far as seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rate {
    /// No deal seen yet.
    Unseen,
    /// Every deal so far used this one.
    Same(Option<Decimal>),
    /// Deals used different rates.
    Mixed,
}

impl Rate {
    fn merge(self, other: Rate) -> Rate {
        match (self, other) {
            (Rate::Unseen, rate) | (rate, Rate::Unseen) => rate,
            (Rate::Same(a), Rate::Same(b)) if a == b => Rate::Same(a),
            _ => Rate::Mixed,
        }
    }
}

/// A currency's running totals.
#[derive(Debug, Clone, Copy)]
struct Totals {
    deals: u64,
    with_amount: u64,
    amount: Decimal,
    rate: Rate,
    amount_base: Decimal,
    without_base: u64,
}

impl Totals {
    const ZERO: Totals = Totals {
        deals: 0,
        with_amount: 0,
        amount: Decimal::ZERO,
        rate: Rate::Unseen,
        amount_base: Decimal::ZERO,
        without_base: 0,
    };

    fn add(&mut self, deal: &ReportDeal) {
        self.deals += 1;
        self.rate = self.rate.merge(Rate::Same(deal.rate));
        if let Some(amount) = deal.amount {
            self.with_amount += 1;
            self.amount += amount;
            match deal.amount_base {
                Some(base) => self.amount_base += base,
                None => self.without_base += 1,
            }
        }
    }

    fn merge(mut self, other: Totals) -> Totals {
        self.deals += other.deals;
        self.with_amount += other.with_amount;
        self.amount += other.amount;
        self.rate = self.rate.merge(other.rate);
        self.amount_base += other.amount_base;
        self.without_base += other.without_base;
        self
    }
}

/// Rows in currency-code order, summed on every core.
pub fn by_currency(deals: &[ReportDeal]) -> Vec<CurrencyRow> {
    // Hashed while summing (a lookup per deal), sorted once at the end.
    type ByCode<'a> = HashMap<&'a str, Totals>;
    fn merge<'a>(mut a: ByCode<'a>, b: ByCode<'a>) -> ByCode<'a> {
        for (code, totals) in b {
            let entry = a.entry(code).or_insert(Totals::ZERO);
            *entry = entry.merge(totals);
        }
        a
    }
    let mut rows: Vec<(&str, Totals)> = deals
        .par_iter()
        .fold(ByCode::new, |mut rows, deal| {
            rows.entry(deal.currency.as_str())
                .or_insert(Totals::ZERO)
                .add(deal);
            rows
        })
        .reduce(ByCode::new, merge)
        .into_iter()
        .collect();
    rows.sort_unstable_by_key(|(code, _)| *code);
    rows.into_iter()
        .map(|(code, t)| CurrencyRow {
            currency: code.to_owned(),
            deals: t.deals,
            with_amount: t.with_amount,
            amount: t.amount,
            rate: match t.rate {
                Rate::Same(rate) => rate,
                Rate::Unseen | Rate::Mixed => None,
            },
            amount_base: t.amount_base,
            without_base: t.without_base,
        })
        .collect()
}
