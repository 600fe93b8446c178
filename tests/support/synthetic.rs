//! A deterministic synthetic deal set and the report built from it with
//! the shipped configuration: for the PDF tests and the render benchmark.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use pipeline_pulse::aggregate::period::start_of_day;
use pipeline_pulse::aggregate::{
    Baseline, Period, PipelineReport, Preparation, ReportContext, build_report,
};
use pipeline_pulse::config::{Config, ReportDefinition};
use pipeline_pulse::extract::Deal;
use pipeline_pulse::fx::{CurrencyCode, RateMode, RateSet};
use serde_json::{Value, json};

/// The as-of date of every synthetic report.
pub const AS_OF: (i32, u32, u32) = (2026, 11, 23);

const STAGES: [&str; 10] = [
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
    "Closed-Lost to Competition",
];
const CURRENCIES: [&str; 6] = ["SGD", "USD", "EUR", "JPY", "INR", "GBP"];
/// Account names in several scripts: Latin with accents, Cyrillic, CJK.
pub const ACCOUNTS: [&str; 8] = [
    "Acme GmbH",
    "Müller & Söhne KG",
    "Ñandú Logística",
    "ООО Ромашка",
    "株式会社サンプル",
    "Globex Pte Ltd",
    "Tata Sample Ltd",
    "Umbrella Corporation International Holdings",
];
const FIRST_NAMES: [&str; 8] = [
    "Ana", "José", "Zoë", "Priya", "Олег", "田中", "Wei Ling", "Siti",
];
const LAST_NAMES: [&str; 5] = ["Ruiz", "García", "Иванов", "太郎", "Tan"];

/// splitmix64: the same numbers on every platform and version.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `count` Zoho deal records, owned by `owners` people.
pub fn records(count: usize, owners: usize) -> Vec<Value> {
    let mut random = Random(20_261_123);
    let as_of = NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).expect("date");
    (0..count)
        .map(|i| {
            let owner = i % owners.max(1);
            let owner_name = format!(
                "{} {} {}",
                FIRST_NAMES[owner % FIRST_NAMES.len()],
                LAST_NAMES[owner / FIRST_NAMES.len() % LAST_NAMES.len()],
                owner / (FIRST_NAMES.len() * LAST_NAMES.len()) + 1
            );
            let stage = STAGES[random.below(STAGES.len())];
            let currency = CURRENCIES[random.below(CURRENCIES.len())];
            let cents = random.below(40_000_000) + 100_000;
            let closing = as_of + Duration::days(random.below(300) as i64 - 90);
            let modified = as_of - Duration::days(random.below(120) as i64);
            let created = modified - Duration::days(random.below(200) as i64);
            json!({
                "id": format!("{:012}", 4_000_000_000u64 + i as u64),
                "Deal_Name": format!("{} – deal {i}", ACCOUNTS[i % ACCOUNTS.len()]),
                "Owner": {"name": owner_name, "id": owner.to_string(), "email": "owner@example.com"},
                "Amount": format!("{}.{:02}", cents / 100, cents % 100),
                "Currency": currency,
                "Stage": stage,
                "Closing_Date": closing.to_string(),
                "Created_Time": format!("{created}T09:00:00+08:00"),
                "Modified_Time": format!("{modified}T09:00:00+08:00"),
                "Account_Name": {"name": ACCOUNTS[i % ACCOUNTS.len()], "id": "1"},
            })
        })
        .collect()
}

/// The same deals as they stood at the period start: a tenth did not
/// exist yet, every closed one was still in negotiation, some were worth
/// more or less, and some were due a month earlier.
pub fn period_start(records: &[Value]) -> Vec<Value> {
    records
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 != 3)
        .map(|(i, record)| {
            let mut then = record.clone();
            if record["Stage"]
                .as_str()
                .is_some_and(|s| s.starts_with("Closed"))
            {
                then["Stage"] = json!("Negotiation/Review");
            }
            let cents: i64 = record["Amount"]
                .as_str()
                .and_then(|a| a.replace('.', "").parse().ok())
                .unwrap_or(0);
            let then_cents = match i % 7 {
                0 => cents * 4 / 5,
                1 => cents * 6 / 5,
                _ => cents,
            };
            then["Amount"] = json!(format!("{}.{:02}", then_cents / 100, then_cents % 100));
            if i % 11 == 0
                && let Some(closing) = record["Closing_Date"]
                    .as_str()
                    .and_then(|d| d.parse::<NaiveDate>().ok())
            {
                then["Closing_Date"] = json!((closing - Duration::days(30)).to_string());
            }
            then
        })
        .collect()
}

/// The shipped configuration's report definition.
pub fn definition() -> ReportDefinition {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vars = BTreeMap::from([
        (
            "JOBS_DIR".to_owned(),
            root.join("jobs").display().to_string(),
        ),
        (
            "REPORTS_DIR".to_owned(),
            root.join("reports").display().to_string(),
        ),
    ]);
    let config = Config::load(&vars).expect("the shipped configuration");
    config.reports["pipeline-summary"].clone()
}

/// The report of `records` under `definition`, with fixed provenance and
/// the deals of [`period_start`] as the baseline of its movement.
pub fn report(definition: &ReportDefinition, records: &[Value]) -> PipelineReport {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rates = RateSet::from_currencyfreaks(
        &std::fs::read_to_string(root.join("src/fx/bundled/currencyfreaks-2026-11-23.json"))
            .expect("bundled rates"),
        "bundled CurrencyFreaks snapshot",
    )
    .expect("rates");
    let as_of = NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).expect("date");
    let timezone = chrono_tz::Asia::Singapore;
    let base = CurrencyCode::SGD;
    let preparation =
        Preparation::new(definition, &rates, base, base, timezone, RateMode::Provider);
    let deals = records
        .iter()
        .filter_map(Deal::from_record)
        .map(|deal| preparation.prepare(deal))
        .collect();
    let period = Period::ending_by(definition.period, as_of);
    let baseline = Baseline::Snapshot {
        period_start: start_of_day(period.start, timezone),
        deals: period_start(records)
            .iter()
            .filter_map(Deal::from_record)
            .map(|deal| preparation.snapshot(&deal))
            .collect(),
    };
    let context = ReportContext {
        run_id: "0b7e2f4c-5d1a-4c3e-9f00-123456789abc".to_owned(),
        job: "weekly-pipeline".to_owned(),
        title: definition.title.clone(),
        as_of,
        timezone,
        period,
        base,
        rates_date: rates.date,
        rates_source: rates.source.clone(),
        deal_source: "synthetic deals".to_owned(),
        sample: false,
        last_sync: Some("2026-11-23T01:55:00Z".parse().expect("time")),
        stale_data: None,
        csv_bom: false,
    };
    build_report(context, definition, deals, &baseline).expect("a report")
}
