//! A deal as the report needs it, read tolerantly from a Zoho record.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

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
    pub id: String,
    /// `Deal_Name`.
    pub name: Option<String>,
    /// `Owner.name`.
    pub owner: Option<String>,
    /// `Amount` in the deal's currency.
    pub amount: Amount,
    /// `Currency` (ISO code), `None` for the org's home currency.
    pub currency: Option<String>,
    /// Zoho's `Exchange_Rate`: units of `currency` per unit of the home
    /// currency.
    pub exchange_rate: Option<Decimal>,
    /// `Stage`.
    pub stage: Option<String>,
    /// `Probability` (0–100) as the owner set it.
    pub probability: Option<u8>,
    /// `Closing_Date`, as written.
    pub closing_date: Option<NaiveDate>,
    /// `Created_Time`.
    pub created_time: Option<DateTime<Utc>>,
    /// `Modified_Time`.
    pub modified_time: Option<DateTime<Utc>>,
    /// `Pipeline`.
    pub pipeline: Option<String>,
    /// `Account_Name.name`.
    pub account: Option<String>,
    /// What was wrong with the record.
    pub problems: Vec<Problem>,
}

fn text(record: &Value, key: &str) -> Option<String> {
    match record.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn lookup_name(record: &Value, key: &str) -> Option<String> {
    text(record.get(key)?, "name")
}

/// The record's id, if it has a usable one.
pub fn record_id(record: &Value) -> Option<String> {
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
        let id = record_id(record)?;
        let mut problems = Vec::new();
        let mut flag = |kind: ProblemKind, detail: String| problems.push(Problem { kind, detail });

        let amount = match record.get("Amount") {
            None | Some(Value::Null) => Amount::Missing,
            // Numbers keep their source text (serde_json's arbitrary_precision),
            // so no float ever stands between the CRM and the Decimal.
            Some(Value::Number(n)) => parse_decimal(&n.to_string())
                .map(Amount::Value)
                .unwrap_or_else(|| Amount::Invalid(n.to_string())),
            Some(Value::String(s)) => parse_decimal(s)
                .map(Amount::Value)
                .unwrap_or_else(|| Amount::Invalid(s.clone())),
            Some(other) => Amount::Invalid(other.to_string()),
        };
        let probability = match record.get("Probability") {
            None | Some(Value::Null) => None,
            Some(value) => match value.as_f64().filter(|p| (0.0..=100.0).contains(p)) {
                Some(p) if p.fract() == 0.0 => Some(p as u8),
                _ => {
                    flag(
                        ProblemKind::InvalidProbability,
                        format!("Probability is {value}"),
                    );
                    None
                }
            },
        };
        if text(record, "Closing_Date").is_none() {
            flag(
                ProblemKind::MissingClosingDate,
                "no closing date".to_owned(),
            );
        }
        let owner = lookup_name(record, "Owner");
        if owner.is_none() {
            flag(ProblemKind::MissingOwner, "no owner".to_owned());
        }
        let closing_date = text(record, "Closing_Date").and_then(|raw| {
            let parsed = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok();
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
        let currency = text(record, "Currency").map(|c| c.trim().to_ascii_uppercase());
        let exchange_rate = match record.get("Exchange_Rate") {
            Some(Value::Number(n)) => parse_decimal(&n.to_string()),
            Some(Value::String(s)) => parse_decimal(s),
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
}
