//! Properties: for any deal set, every total is exactly the sum of the
//! per-deal base amounts `deals.csv` lists, movement reconciles, and the
//! report is the same whatever order the deals arrive in.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use pipeline_pulse::aggregate::{Movement, MovementStep, PipelineReport, SnapshotDeal};
use pipeline_pulse::config::StageClass;
use pipeline_pulse::render::pdf::PdfOptions;
use pipeline_pulse::render::render_files;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::reports;

const CURRENCIES: [&str; 7] = ["SGD", "USD", "EUR", "JPY", "KWD", "IDR", "VND"];
const OWNERS: [&str; 3] = ["Ana Ruiz", "Bjørn Olsen", "=cmd"];
const STAGES: [&str; 6] = [
    "Qualification",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
    "Verbal Commit",
    "Proposal/Price Quote",
];

fn record(index: usize, (amount, currency, stage, probability, closing): DealParams) -> Value {
    let closing = as_of() + chrono::Duration::days(closing);
    json!({
        "id": format!("{index:06}"),
        "Deal_Name": format!("Deal {index}"),
        "Owner": {"name": OWNERS[index % OWNERS.len()], "id": "1", "email": "ana@example.com"},
        "Amount": amount.map(|(mantissa, scale)| Value::String(Decimal::new(mantissa, scale).to_string())),
        "Currency": CURRENCIES[currency],
        "Stage": STAGES[stage],
        "Probability": probability,
        "Closing_Date": closing.to_string(),
        "Created_Time": "2026-06-01T09:00:00+08:00",
        "Modified_Time": "2026-11-01T09:00:00+08:00"
    })
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
}

/// The report of `records` as of 2026-11-23, with `then` (when given) as
/// the deal set at the start of the period, and that set as converted.
fn report_with(records: &[Value], then: Option<&[Value]>) -> (PipelineReport, Vec<SnapshotDeal>) {
    reports::build(reports::Inputs {
        now: records,
        then,
        as_of: as_of(),
        rates: &reports::bundled_rates(),
    })
}

fn report(records: &[Value]) -> PipelineReport {
    report_with(records, None).0
}

/// (class, amount_base, weighted_base, closing_date) of every row of `deals.csv`.
fn deals_csv(report: &PipelineReport) -> Vec<(String, Decimal, Decimal, String)> {
    let files = render_files(report, &PdfOptions::default()).expect("render");
    let file = files
        .iter()
        .find(|f| f.name == "deals.csv")
        .expect("deals.csv");
    let bytes = file.bytes.to_bytes();
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let headers = reader.headers().expect("header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (class, base, weighted, closing) = (
        column("stage_class"),
        column("amount_base"),
        column("weighted_base"),
        column("closing_date"),
    );
    let decimal = |text: &str| {
        if text.is_empty() {
            Decimal::ZERO
        } else {
            text.parse().expect("decimal")
        }
    };
    reader
        .records()
        .map(|row| {
            let row = row.expect("row");
            (
                row[class].to_owned(),
                decimal(&row[base]),
                decimal(&row[weighted]),
                row[closing].to_owned(),
            )
        })
        .collect()
}

/// The waterfall as SPEC.md defines it, step by step, from the two deal
/// sets: the oracle the polars join is checked against.
fn expected_movement(
    then: &[SnapshotDeal],
    report: &PipelineReport,
) -> BTreeMap<MovementStep, (u64, Decimal)> {
    let value = |amount: Option<Decimal>| amount.unwrap_or_default();
    let now: HashMap<&str, _> = report.deals.iter().map(|d| (d.id.as_str(), d)).collect();
    let before: HashMap<&str, _> = then.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut steps: BTreeMap<MovementStep, (u64, Decimal)> = MovementStep::ALL
        .iter()
        .map(|s| (*s, (0, Decimal::ZERO)))
        .collect();
    let mut add = |step, amount| {
        let entry = steps.get_mut(&step).expect("every step");
        entry.0 += 1;
        entry.1 += amount;
    };
    for old in then.iter().filter(|d| d.class == StageClass::Open) {
        add(MovementStep::Start, value(old.amount_base));
        match now.get(old.id.as_str()) {
            None => add(MovementStep::Other, -value(old.amount_base)),
            Some(new) => match new.class {
                StageClass::Won => add(MovementStep::Won, -value(old.amount_base)),
                StageClass::Lost => add(MovementStep::Lost, -value(old.amount_base)),
                StageClass::Open => {
                    let change = value(new.amount_base) - value(old.amount_base);
                    if change > Decimal::ZERO {
                        add(MovementStep::Increased, change);
                    } else if change < Decimal::ZERO {
                        add(MovementStep::Decreased, change);
                    }
                }
            },
        }
    }
    for new in report.deals.iter().filter(|d| d.class == StageClass::Open) {
        add(MovementStep::End, value(new.amount_base));
        match before.get(new.id.as_str()) {
            None => add(MovementStep::New, value(new.amount_base)),
            Some(old) if old.class != StageClass::Open => {
                add(MovementStep::Other, value(new.amount_base))
            }
            Some(_) => {}
        }
    }
    steps
}

type DealParams = (Option<(i64, u32)>, usize, usize, Option<u8>, i64);

fn deal_params() -> impl Strategy<Value = DealParams> {
    (
        prop::option::weighted(0.9, (0i64..100_000_000_000, 0u32..5)),
        0..CURRENCIES.len(),
        0..STAGES.len(),
        prop::option::of(0u8..=100),
        -200i64..200,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn movement_reconciles_for_any_pair_of_snapshots(
        pairs in prop::collection::vec(
            (
                prop::option::weighted(0.8, deal_params()),
                prop::option::weighted(0.8, deal_params()),
                any::<bool>(),
            ),
            0..60,
        )
    ) {
        // Half of the deals that exist at both instants are unchanged.
        let mut then = Vec::new();
        let mut now = Vec::new();
        for (i, (before, after, same)) in pairs.into_iter().enumerate() {
            if let Some(before) = before {
                then.push(record(i, before));
                if same {
                    now.push(record(i, before));
                    continue;
                }
            }
            if let Some(after) = after {
                now.push(record(i, after));
            }
        }
        let (report, snapshot) = report_with(&now, Some(&then));
        let Movement::Computed(rows) = &report.movement else {
            panic!("a baseline was given");
        };
        let steps: Vec<MovementStep> = rows.iter().map(|r| r.step).collect();
        prop_assert_eq!(steps, MovementStep::ALL.to_vec());
        let between: Decimal = rows[1..7].iter().map(|r| r.amount).sum();
        prop_assert_eq!(rows[0].amount + between, rows[7].amount, "start + steps = end: {:?}", rows);
        prop_assert_eq!(rows[7].amount, report.kpis.open_amount);
        prop_assert_eq!(rows[7].deals as i64, report.kpis.open_count);
        let expected = expected_movement(&snapshot, &report);
        for row in rows {
            prop_assert_eq!((row.deals, row.amount), expected[&row.step], "step {}", row.step.label());
        }
        // Slipped: open deals overdue, or whose closing date moved later.
        let as_of = as_of();
        let before: HashMap<&str, _> = snapshot.iter().map(|d| (d.id.as_str(), d)).collect();
        let mut expected_slipped: Vec<&str> = report
            .deals
            .iter()
            .filter(|d| d.class == StageClass::Open)
            .filter(|d| {
                let overdue = d.closing_date.is_some_and(|c| c < as_of);
                let moved = before.get(d.id.as_str()).and_then(|old| old.closing_date).zip(d.closing_date).is_some_and(|(old, new)| new > old);
                overdue || moved
            })
            .map(|d| d.id.as_str())
            .collect();
        expected_slipped.sort_unstable();
        let mut slipped: Vec<&str> = report.slipped.iter().map(|s| report.deals[s.deal].id.as_str()).collect();
        slipped.sort_unstable();
        prop_assert_eq!(slipped, expected_slipped);
    }

    #[test]
    fn the_report_does_not_depend_on_the_order_deals_arrive_in(
        deals in prop::collection::vec(deal_params(), 1..80),
        seed in any::<u64>(),
    ) {
        // Numbers of different lengths ("9" before "10" as numbers, after
        // it as text), numbers of one length and text ids, all mixed.
        let records: Vec<Value> = deals
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let mut record = record(i, d);
                record["id"] = json!(match i % 3 {
                    0 => format!("{}", i * 7),
                    1 => format!("{i:06}"),
                    _ => format!("D{i}"),
                });
                record
            })
            .collect();
        let mut in_id_order = records.clone();
        in_id_order.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        let mut shuffled = records;
        fastrand::Rng::with_seed(seed).shuffle(&mut shuffled);
        let (sorted, arrived) = (report(&in_id_order), report(&shuffled));
        let ids = |report: &PipelineReport| report.deals.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
        let expected: Vec<_> = in_id_order.iter().map(|r| r["id"].as_str().expect("id").to_owned()).collect();
        prop_assert_eq!(ids(&sorted), expected.clone());
        prop_assert_eq!(ids(&arrived), expected);
        let csvs = |report: &PipelineReport| {
            render_files(report, &PdfOptions::default())
                .expect("render")
                .into_iter()
                .filter(|f| f.name.ends_with(".csv"))
                .map(|f| (f.name, f.bytes.to_bytes().to_vec()))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(csvs(&sorted), csvs(&arrived));
    }

    #[test]
    fn every_total_is_the_sum_of_the_per_deal_base_amounts(
        deals in prop::collection::vec(deal_params(), 0..80)
    ) {
        let records: Vec<Value> = deals.into_iter().enumerate().map(|(i, d)| record(i, d)).collect();
        let report = report(&records);
        let rows = deals_csv(&report);
        prop_assert_eq!(rows.len(), records.len());
        let open = StageClass::Open.as_str();
        let all: Decimal = rows.iter().map(|r| r.1).sum();
        let open_amount: Decimal = rows.iter().filter(|r| r.0 == open).map(|r| r.1).sum();
        let open_weighted: Decimal = rows.iter().filter(|r| r.0 == open).map(|r| r.2).sum();
        prop_assert_eq!(report.kpis.open_amount, open_amount);
        prop_assert_eq!(report.kpis.weighted_amount, open_weighted);
        prop_assert_eq!(report.by_stage.iter().map(|s| s.amount).sum::<Decimal>(), open_amount);
        prop_assert_eq!(report.by_stage.iter().map(|s| s.weighted).sum::<Decimal>(), open_weighted);
        prop_assert_eq!(report.by_currency.iter().map(|c| c.amount_base).sum::<Decimal>(), all);
        let owners = &report.by_owner;
        prop_assert_eq!(owners.iter().map(|o| o.open_amount).sum::<Decimal>(), open_amount);
        prop_assert_eq!(owners.iter().map(|o| o.open_weighted).sum::<Decimal>(), open_weighted);
        prop_assert_eq!(owners.iter().map(|o| o.open_count).sum::<i64>(), report.kpis.open_count);
        prop_assert_eq!(owners.iter().map(|o| o.won_amount).sum::<Decimal>(), report.kpis.won_amount);
        prop_assert_eq!(owners.iter().map(|o| o.lost_amount).sum::<Decimal>(), report.kpis.lost_amount);
        // Overdue and the six months from November 2026: closing before 2027-05-01.
        let bucketed: Decimal = rows
            .iter()
            .filter(|r| r.0 == open && !r.3.is_empty() && r.3.as_str() < "2027-05-01")
            .map(|r| r.1)
            .sum();
        prop_assert_eq!(report.by_close_month.len(), 7);
        prop_assert_eq!(report.by_close_month.iter().map(|m| m.amount).sum::<Decimal>(), bucketed);
        let overdue: Decimal = rows
            .iter()
            .filter(|r| r.0 == open && !r.3.is_empty() && r.3.as_str() < "2026-11-23")
            .map(|r| r.1)
            .sum();
        prop_assert_eq!(report.by_close_month[0].amount, overdue);
        let with_amount = report.deals.iter().filter(|d| d.class == StageClass::Open && d.amount_base.is_some()).count();
        prop_assert_eq!(report.ranked, with_amount);
        // The top N: largest first, ties in deal order.
        let mut largest: Vec<usize> = (0..report.deals.len())
            .filter(|&i| report.deals[i].class == StageClass::Open && report.deals[i].amount_base.is_some())
            .collect();
        largest.sort_by_key(|&i| (std::cmp::Reverse(report.deals[i].amount_base), i));
        largest.truncate(report.top_n);
        prop_assert_eq!(&report.top_deals, &largest);
        let counted: u64 = report.by_currency.iter().map(|c| c.deals).sum();
        prop_assert_eq!(counted as usize, rows.len());
    }
}
