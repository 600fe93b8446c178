//! Each deal made ready for the report: converted, classified, weighted.

use chrono::NaiveDate;
use chrono_tz::Tz;
use compact_str::CompactString;
use foldhash::HashMap;
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::SnapshotDeal;
use crate::config::{ReportDefinition, StageClass, StageDefinition};
use crate::extract::Deal;
use crate::fx::money::mul_round;
use crate::fx::{CrossRates, CurrencyCode, RateMode, RateSet, convert_at};
use crate::quality::{Problem, ProblemKind};

/// One row of `deals.csv`: everything the sections aggregate.
#[derive(Debug, Clone)]
pub struct ReportDeal {
    /// Zoho record id.
    pub id: CompactString,
    /// Deal name.
    pub name: CompactString,
    /// Owner's name, empty when none.
    pub owner: CompactString,
    /// Stage as the CRM spells it, empty when none.
    pub stage: CompactString,
    /// How the stage counts (open when unknown).
    pub class: StageClass,
    /// Deal currency.
    pub currency: CompactString,
    /// Amount in the deal currency.
    pub amount: Option<Decimal>,
    /// Rate to the base currency.
    pub rate: Option<Decimal>,
    /// Amount in the base currency, rounded to its minor units.
    pub amount_base: Option<Decimal>,
    /// Probability used for weighting: the deal's own, else the stage's.
    pub probability: Option<u8>,
    /// `round_half_even(amount_base × probability ÷ 100)`.
    pub weighted_base: Option<Decimal>,
    /// Expected closing date.
    pub closing_date: Option<NaiveDate>,
    /// Creation date in the job's timezone.
    pub created_date: Option<NaiveDate>,
    /// Last modification date in the job's timezone.
    pub modified_date: Option<NaiveDate>,
    /// Pipeline name.
    pub pipeline: CompactString,
    /// Account name.
    pub account: CompactString,
    /// Everything wrong with the record.
    pub problems: Vec<Problem>,
}

/// Inputs that every deal is prepared against.
pub struct Preparation<'a> {
    /// The definition's stages by name, looked up once per deal.
    stages: HashMap<&'a str, &'a StageDefinition>,
    minor_units: u32,
    rates: CrossRates<'a>,
    base: CurrencyCode,
    home: CurrencyCode,
    timezone: Tz,
    rate_mode: RateMode,
}

impl<'a> Preparation<'a> {
    /// Prepares deals with the definition's stages, `rates` converted to
    /// `base` (deals without a currency are in `home`), and dates in
    /// `timezone`.
    pub fn new(
        definition: &'a ReportDefinition,
        rates: &'a RateSet,
        base: CurrencyCode,
        home: CurrencyCode,
        timezone: Tz,
        rate_mode: RateMode,
    ) -> Self {
        Self {
            stages: definition
                .stages
                .iter()
                .map(|stage| (stage.name.as_str(), stage))
                .collect(),
            minor_units: base.minor_units(),
            rates: rates.to_base(base.code()),
            base,
            home,
            timezone,
            rate_mode,
        }
    }

    /// What movement compares of a deal as it stood at the period start,
    /// converted at the same rates as the current deals.
    pub fn snapshot(&self, deal: &Deal) -> SnapshotDeal {
        let conversion = convert_at(deal, &self.rates, self.base, self.home, self.rate_mode);
        let stage = deal.stage.as_deref().unwrap_or_default();
        SnapshotDeal {
            id: deal.id.clone(),
            class: self.stages.get(stage).map_or(StageClass::Open, |s| s.class),
            amount_base: conversion.amount_base,
            closing_date: deal.closing_date,
        }
    }

    /// Converts, classifies and weights one deal, collecting its problems.
    pub fn prepare(&self, deal: Deal) -> ReportDeal {
        let conversion = convert_at(&deal, &self.rates, self.base, self.home, self.rate_mode);
        let mut problems = deal.problems;
        problems.extend(conversion.problems);
        let stage = deal.stage.unwrap_or_default();
        let definition = self.stages.get(stage.as_str());
        if definition.is_none() {
            let (kind, detail) = if stage.is_empty() {
                (
                    ProblemKind::MissingStage,
                    "no stage; counted as open".to_owned(),
                )
            } else {
                (
                    ProblemKind::UnknownStage,
                    format!("stage `{stage}` is not in the report definition; counted as open"),
                )
            };
            problems.push(Problem { kind, detail });
        }
        problems.sort_by_key(|p| p.kind);
        let probability = deal.probability.or(definition.map(|s| s.probability));
        // amount × p/100, rounded once; the same exact product as
        // `amount × p ÷ 100`, without a decimal division per deal.
        let weighted_base = conversion
            .amount_base
            .zip(probability)
            .and_then(|(amount, p)| {
                mul_round(amount, Decimal::new(i64::from(p), 2), self.minor_units)
            });
        let local_date = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| t.with_timezone(&self.timezone).date_naive())
        };
        ReportDeal {
            id: deal.id,
            name: deal.name.unwrap_or_default(),
            owner: deal.owner.unwrap_or_default(),
            class: definition.map_or(StageClass::Open, |s| s.class),
            stage,
            currency: conversion.currency,
            amount: conversion.amount,
            rate: conversion.rate,
            amount_base: conversion.amount_base,
            probability,
            weighted_base,
            closing_date: deal.closing_date,
            created_date: local_date(deal.created_time),
            modified_date: local_date(deal.modified_time),
            pipeline: deal.pipeline.unwrap_or_default(),
            account: deal.account.unwrap_or_default(),
            problems,
        }
    }
}

/// Bytes of an id compared in place; longer ids fall back to the whole id.
const ID_PREFIX: usize = 24;

/// The deals in id order. The ids' first bytes are sorted beside their
/// index, then the deals are swapped into place along the permutation's
/// cycles: comparing ids through the deals would miss the cache on every
/// comparison, moving whole deals while sorting would copy each many
/// times, and gathering them into a new vector would hold them twice.
pub fn sort_by_id(mut deals: Vec<ReportDeal>) -> Vec<ReportDeal> {
    let mut order: Vec<([u8; ID_PREFIX], usize)> = deals
        .par_iter()
        .enumerate()
        .map(|(index, deal)| {
            let mut prefix = [0; ID_PREFIX];
            let id = deal.id.as_bytes();
            let n = id.len().min(ID_PREFIX);
            prefix[..n].copy_from_slice(&id[..n]);
            (prefix, index)
        })
        .collect();
    order.par_sort_unstable_by(|(a, i), (b, j)| {
        a.cmp(b).then_with(|| deals[*i].id.cmp(&deals[*j].id))
    });
    // `from[i]`: where the deal that belongs at `i` is now; `i` once placed.
    let mut from: Vec<usize> = order.into_iter().map(|(_, index)| index).collect();
    for start in 0..from.len() {
        let mut at = start;
        while from[at] != start {
            let next = from[at];
            deals.swap(at, next);
            from[at] = at;
            at = next;
        }
        from[at] = at;
    }
    deals
}

#[cfg(test)]
impl ReportDeal {
    /// An open deal with only an id and a name.
    pub(crate) fn named(id: &str, name: &str) -> Self {
        ReportDeal {
            id: id.into(),
            name: name.into(),
            owner: CompactString::default(),
            stage: CompactString::default(),
            class: StageClass::Open,
            currency: "SGD".into(),
            amount: None,
            rate: None,
            amount_base: None,
            probability: None,
            weighted_base: None,
            closing_date: None,
            created_date: None,
            modified_date: None,
            pipeline: CompactString::default(),
            account: CompactString::default(),
            problems: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(id: &str) -> ReportDeal {
        ReportDeal::named(id, &format!("deal {id}"))
    }

    #[test]
    fn deals_are_sorted_by_id_as_text() {
        let long = "x".repeat(30);
        let mut ids: Vec<String> = (0..500).map(|i| format!("{}", 7919 * i % 1000)).collect();
        ids.extend((0..40).map(|i| format!("{long}{i}")));
        ids.extend(["D01", "D1", "", "a\u{0}", "a", "Ω"].map(String::from));
        let mut rng = fastrand::Rng::with_seed(7);
        rng.shuffle(&mut ids);
        let sorted = sort_by_id(ids.iter().map(|id| deal(id)).collect());
        ids.sort();
        let got: Vec<&str> = sorted.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(got, ids);
        assert!(sorted.iter().all(|d| d.name == format!("deal {}", d.id)));
    }
}
