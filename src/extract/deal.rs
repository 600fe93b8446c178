//! A deal as the report needs it, read tolerantly from a Zoho record.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use compact_str::CompactString;
use rust_decimal::Decimal;
use serde_json::Value;
use serde_json::value::RawValue;

use super::time::parse_timestamp;
use crate::quality::{Problem, ProblemKind};

/// The `Amount` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amount {
    /// Empty in the CRM.
    Missing,
    /// A number, exactly as the CRM sent it.
    Value(Decimal),
    /// Something that is not a number (kept as text for the data-quality row).
    Invalid(String),
}

/// One deal, parsed from its Zoho record. Fields that could not be read are
/// `None` and listed in `problems`; nothing here panics on bad input.
#[derive(Debug, Clone)]
pub struct Deal {
    /// Zoho record id (numeric text).
    pub id: CompactString,
    /// `Deal_Name`.
    pub name: Option<CompactString>,
    /// `Owner.name`.
    pub owner: Option<CompactString>,
    /// `Amount` in the deal's currency.
    pub amount: Amount,
    /// `Currency` (ISO code), `None` for the org's home currency.
    pub currency: Option<CompactString>,
    /// Zoho's `Exchange_Rate`: units of `currency` per unit of the home
    /// currency.
    pub exchange_rate: Option<Decimal>,
    /// `Stage`.
    pub stage: Option<CompactString>,
    /// `Probability` (0–100) as the owner set it.
    pub probability: Option<u8>,
    /// `Closing_Date`, as written.
    pub closing_date: Option<NaiveDate>,
    /// `Created_Time`.
    pub created_time: Option<DateTime<Utc>>,
    /// `Modified_Time`.
    pub modified_time: Option<DateTime<Utc>>,
    /// `Pipeline`.
    pub pipeline: Option<CompactString>,
    /// `Account_Name.name`.
    pub account: Option<CompactString>,
    /// What was wrong with the record.
    pub problems: Vec<Problem>,
}

/// A field's value as a deal reads it.
enum Scalar<'a> {
    /// A JSON string.
    Text(Cow<'a, str>),
    /// A JSON number, as written (never through a float).
    Number(Cow<'a, str>),
    /// Anything else, as JSON text.
    Other(Cow<'a, str>),
}

impl Scalar<'_> {
    /// The value written as JSON, for messages.
    fn json(&self) -> String {
        match self {
            Scalar::Text(text) => Value::String(text.to_string()).to_string(),
            Scalar::Number(text) | Scalar::Other(text) => text.to_string(),
        }
    }
}

/// Where a deal's fields are read from: a whole JSON record, or just the
/// fields a deal uses, read from stored JSON text.
trait Fields {
    /// A top-level field; `None` when absent or null.
    fn field(&self, key: &str) -> Option<Scalar<'_>>;
    /// The `name` of a lookup field (`Owner`, `Account_Name`).
    fn lookup_name(&self, key: &str) -> Option<Scalar<'_>>;
}

fn value_scalar(value: &Value) -> Option<Scalar<'_>> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Scalar::Text(Cow::Borrowed(text))),
        Value::Number(n) => Some(Scalar::Number(Cow::Owned(n.to_string()))),
        other => Some(Scalar::Other(Cow::Owned(other.to_string()))),
    }
}

impl Fields for Value {
    fn field(&self, key: &str) -> Option<Scalar<'_>> {
        value_scalar(self.get(key)?)
    }

    fn lookup_name(&self, key: &str) -> Option<Scalar<'_>> {
        value_scalar(self.get(key)?.get("name")?)
    }
}

/// The fields a deal uses, each still JSON text borrowed from the record:
/// the report reads a million stored records, and building each whole
/// record as a `Value` cost more than everything else it does with them.
#[derive(serde::Deserialize)]
struct KnownFields<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow, rename = "Deal_Name")]
    deal_name: Option<&'a RawValue>,
    #[serde(borrow, rename = "Owner")]
    owner: Option<&'a RawValue>,
    #[serde(borrow, rename = "Amount")]
    amount: Option<&'a RawValue>,
    #[serde(borrow, rename = "Currency")]
    currency: Option<&'a RawValue>,
    #[serde(borrow, rename = "Exchange_Rate")]
    exchange_rate: Option<&'a RawValue>,
    #[serde(borrow, rename = "Stage")]
    stage: Option<&'a RawValue>,
    #[serde(borrow, rename = "Probability")]
    probability: Option<&'a RawValue>,
    #[serde(borrow, rename = "Closing_Date")]
    closing_date: Option<&'a RawValue>,
    #[serde(borrow, rename = "Created_Time")]
    created_time: Option<&'a RawValue>,
    #[serde(borrow, rename = "Modified_Time")]
    modified_time: Option<&'a RawValue>,
    #[serde(borrow, rename = "Pipeline")]
    pipeline: Option<&'a RawValue>,
    #[serde(borrow, rename = "Account_Name")]
    account_name: Option<&'a RawValue>,
}

/// A lookup field's name, the rest skipped.
#[derive(serde::Deserialize)]
struct Lookup<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
}

fn raw_scalar(raw: &RawValue) -> Option<Scalar<'_>> {
    let json = raw.get();
    match json.as_bytes().first()? {
        b'n' => None,
        // A string without escapes is its own text between the quotes.
        b'"' if !json.contains('\\') => {
            Some(Scalar::Text(Cow::Borrowed(json.get(1..json.len() - 1)?)))
        }
        b'"' => serde_json::from_str(json).ok().map(Scalar::Text),
        b'-' | b'0'..=b'9' => Some(Scalar::Number(Cow::Borrowed(json))),
        _ => Some(Scalar::Other(Cow::Borrowed(json))),
    }
}

impl Fields for KnownFields<'_> {
    fn field(&self, key: &str) -> Option<Scalar<'_>> {
        raw_scalar(self.raw(key)?)
    }

    fn lookup_name(&self, key: &str) -> Option<Scalar<'_>> {
        let lookup: Lookup<'_> = serde_json::from_str(self.raw(key)?.get()).ok()?;
        raw_scalar(lookup.name?)
    }
}

impl<'a> KnownFields<'a> {
    fn raw(&self, key: &str) -> Option<&'a RawValue> {
        match key {
            "id" => self.id,
            "Deal_Name" => self.deal_name,
            "Owner" => self.owner,
            "Amount" => self.amount,
            "Currency" => self.currency,
            "Exchange_Rate" => self.exchange_rate,
            "Stage" => self.stage,
            "Probability" => self.probability,
            "Closing_Date" => self.closing_date,
            "Created_Time" => self.created_time,
            "Modified_Time" => self.modified_time,
            "Pipeline" => self.pipeline,
            "Account_Name" => self.account_name,
            _ => None,
        }
    }
}

/// A text field (a number counts, as its digits); `None` when empty.
fn scalar_text(value: Scalar<'_>) -> Option<Cow<'_, str>> {
    match value {
        Scalar::Text(s) if !s.trim().is_empty() => Some(s),
        Scalar::Number(n) => Some(n),
        _ => None,
    }
}

// Short strings (ids, codes, most names) are kept inline, not on the heap.
fn text(record: &impl Fields, key: &str) -> Option<CompactString> {
    scalar_text(record.field(key)?).map(CompactString::from)
}

fn lookup_name(record: &impl Fields, key: &str) -> Option<CompactString> {
    scalar_text(record.lookup_name(key)?).map(CompactString::from)
}

/// The record's id, if it has a usable one.
pub fn record_id(record: &Value) -> Option<String> {
    usable_id(record).map(String::from)
}

fn usable_id(record: &impl Fields) -> Option<CompactString> {
    text(record, "id").filter(|id| id.len() <= 64)
}

/// The record's `Modified_Time`, if readable.
pub fn record_modified(record: &Value) -> Option<DateTime<Utc>> {
    parse_timestamp(&text(record, "Modified_Time")?)
}

/// The record's `Created_Time`, if readable.
pub fn record_created(record: &Value) -> Option<DateTime<Utc>> {
    parse_timestamp(&text(record, "Created_Time")?)
}

impl Deal {
    /// Reads a record. `None` only when it has no id to key it by.
    pub fn from_record(record: &Value) -> Option<Deal> {
        Self::from_fields(record)
    }

    /// Reads a record from its JSON text, as [`Deal::from_record`] would
    /// from the parsed record, skipping the fields a deal does not use.
    pub fn from_json(text: &str) -> serde_json::Result<Option<Deal>> {
        let fields: KnownFields = serde_json::from_str(text)?;
        Ok(Self::from_fields(&fields))
    }

    fn from_fields(record: &impl Fields) -> Option<Deal> {
        let id = usable_id(record)?;
        let mut problems = Vec::new();
        let mut flag = |kind: ProblemKind, detail: String| problems.push(Problem { kind, detail });

        let amount = match record.field("Amount") {
            None => Amount::Missing,
            // Numbers keep their source text (serde_json's arbitrary_precision),
            // so no float ever stands between the CRM and the Decimal.
            Some(Scalar::Number(n) | Scalar::Text(n)) => parse_decimal(&n)
                .map(Amount::Value)
                .unwrap_or_else(|| Amount::Invalid(n.into_owned())),
            Some(Scalar::Other(json)) => Amount::Invalid(json.into_owned()),
        };
        let probability = record.field("Probability").and_then(|value| {
            let number = match &value {
                Scalar::Number(n) => n.parse::<f64>().ok().filter(|p| p.is_finite()),
                _ => None,
            };
            match number.filter(|p| (0.0..=100.0).contains(p)) {
                Some(p) if p.fract() == 0.0 => Some(p as u8),
                _ => {
                    flag(
                        ProblemKind::InvalidProbability,
                        format!("Probability is {}", value.json()),
                    );
                    None
                }
            }
        });
        let closing_text = text(record, "Closing_Date");
        if closing_text.is_none() {
            flag(
                ProblemKind::MissingClosingDate,
                "no closing date".to_owned(),
            );
        }
        let owner = lookup_name(record, "Owner");
        if owner.is_none() {
            flag(ProblemKind::MissingOwner, "no owner".to_owned());
        }
        let closing_date = closing_text.and_then(|raw| {
            let parsed = iso_date(raw.trim());
            if parsed.is_none() {
                flag(ProblemKind::InvalidDate, format!("Closing_Date is `{raw}`"));
            }
            parsed
        });
        let mut timestamp = |key: &str| {
            let raw = text(record, key)?;
            let parsed = parse_timestamp(&raw);
            if parsed.is_none() {
                flag(ProblemKind::InvalidDate, format!("{key} is `{raw}`"));
            }
            parsed
        };
        let created_time = timestamp("Created_Time");
        let modified_time = timestamp("Modified_Time");
        let currency = text(record, "Currency").map(|c| c.trim().to_ascii_uppercase().into());
        let exchange_rate = match record.field("Exchange_Rate") {
            Some(Scalar::Number(n) | Scalar::Text(n)) => parse_decimal(&n),
            _ => None,
        };

        Some(Deal {
            id,
            name: text(record, "Deal_Name"),
            owner,
            amount,
            currency,
            exchange_rate,
            stage: text(record, "Stage"),
            probability,
            closing_date,
            created_time,
            modified_time,
            pipeline: text(record, "Pipeline"),
            account: lookup_name(record, "Account_Name"),
            problems,
        })
    }
}

/// A `%Y-%m-%d` date, the format given as items: parsing the format text
/// again for every deal cost as much as parsing the date.
fn iso_date(text: &str) -> Option<NaiveDate> {
    use chrono::format::{Item, Numeric, Pad, Parsed, parse};
    const ITEMS: [Item<'static>; 5] = [
        Item::Numeric(Numeric::Year, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Month, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Day, Pad::Zero),
    ];
    let mut parsed = Parsed::new();
    parse(&mut parsed, text, ITEMS.iter()).ok()?;
    parsed.to_naive_date().ok()
}

/// A plain decimal number (`1234.5`, `-3`, `1e3`); thousands separators
/// and currency symbols are not guessed at.
fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_read_as_the_iso_format_reads_them() {
        for text in [
            "2026-11-23",
            "2026-1-5",
            "+2026-11-23",
            "12026-01-01",
            "2026-02-30",
            "2026-11-23x",
            "2026/11/23",
            "23-11-2026",
            "2026-11",
            "",
            " 2026-11-23",
            "2026- 11-23",
        ] {
            assert_eq!(
                iso_date(text),
                NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn reads_a_clean_record() {
        let deal = Deal::from_record(&json!({
            "id": "5725767000001234001", "Deal_Name": "Acme – annual renewal",
            "Owner": {"name": "Ana Ruiz", "id": "1", "email": "ana@example.com"},
            "Amount": 12500.10, "Currency": "EUR", "Stage": "Negotiation/Review",
            "Probability": 80, "Closing_Date": "2026-12-31",
            "Account_Name": {"name": "Acme GmbH", "id": "2"},
            "Created_Time": "2026-10-10T09:15:02+08:00", "Modified_Time": "2026-11-20T08:40:55Z"
        }))
        .expect("has an id");
        assert_eq!(
            deal.amount,
            Amount::Value("12500.10".parse().expect("decimal"))
        );
        assert_eq!(deal.owner.as_deref(), Some("Ana Ruiz"));
        assert_eq!(deal.probability, Some(80));
        assert!(deal.problems.is_empty(), "{:?}", deal.problems);
    }

    #[test]
    fn keeps_and_flags_bad_fields() {
        let deal = Deal::from_record(&json!({
            "id": "1", "Amount": "12,500.00", "Probability": 140,
            "Closing_Date": "31/12/2026", "Created_Time": "yesterday", "Owner": null
        }))
        .expect("has an id");
        assert_eq!(deal.amount, Amount::Invalid("12,500.00".into()));
        let kinds: Vec<_> = deal.problems.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                ProblemKind::InvalidProbability,
                ProblemKind::MissingOwner,
                ProblemKind::InvalidDate,
                ProblemKind::InvalidDate
            ]
        );
        assert!(Deal::from_record(&json!({"Deal_Name": "no id"})).is_none());
    }

    #[test]
    fn reading_the_text_gives_the_same_deal_as_reading_the_record() {
        let records = [
            json!({
                "id": 5725767000001234001_u64, "Deal_Name": "Acme – \"renewal\"",
                "Owner": {"name": "Ana Ruiz", "id": "1"}, "Amount": 12500.10,
                "Currency": " eur ", "Exchange_Rate": "0.93", "Stage": "Qualification",
                "Probability": null, "Closing_Date": "2026-12-31", "Pipeline": "Standard",
                "Account_Name": {"name": "Acme GmbH"}, "Created_Time": "2026-10-10T09:15:02+08:00",
                "Modified_Time": "2026-11-20T08:40:55Z", "Layout": {"id": "9"}, "Tag": []
            }),
            json!({
                "id": "1", "Amount": "12,500.00", "Probability": 140.5, "Owner": "Ana",
                "Closing_Date": "31/12/2026", "Created_Time": "yesterday", "Account_Name": null
            }),
            json!({"Deal_Name": "no id"}),
        ];
        for record in records {
            let text = record.to_string();
            let parsed = Deal::from_json(&text).expect("valid JSON");
            assert_eq!(
                format!("{parsed:?}"),
                format!("{:?}", Deal::from_record(&record))
            );
        }
        assert!(Deal::from_json("{not json").is_err());
    }
}
