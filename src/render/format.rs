//! How numbers are written: exact amounts, rounded ratios.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::fx::money::round;

/// An amount with exactly `dp` decimals, `.` as separator, no grouping.
pub fn amount(value: Decimal, dp: u32) -> String {
    let mut text = Vec::new();
    push_amount(&mut text, value, dp);
    // Digits, `-` and `.`: ASCII, one char per byte.
    text.into_iter().map(char::from).collect()
}

/// Appends [`amount`]'s text: the digits of the rounded mantissa with the
/// point put in place, cheaper than `Decimal`'s own formatting.
pub fn push_amount(out: &mut Vec<u8>, value: Decimal, dp: u32) {
    if value.scale() == dp {
        push_scaled(out, value.mantissa(), dp);
    } else {
        let mut value = round(value, dp);
        value.rescale(dp);
        push_scaled(out, value.mantissa(), dp);
    }
}

/// Appends a decimal as `Decimal::normalize` then `to_string` would write
/// it (`1.50` → `1.5`, `-0` → `0`), without their allocations.
pub fn push_normalized(out: &mut Vec<u8>, value: Decimal) {
    let value = value.normalize();
    push_scaled(out, value.mantissa(), value.scale());
}

/// Appends `mantissa × 10^-scale` with exactly `scale` decimals.
fn push_scaled(out: &mut Vec<u8>, mantissa: i128, scale: u32) {
    if mantissa < 0 {
        out.push(b'-');
    }
    let mut buffer = itoa::Buffer::new();
    let magnitude = mantissa.unsigned_abs();
    // Dividing a u128 is several times slower than a u64, and amounts
    // seldom need more.
    let digits = match u64::try_from(magnitude) {
        Ok(small) => buffer.format(small),
        Err(_) => buffer.format(magnitude),
    }
    .as_bytes();
    let scale = scale as usize;
    if digits.len() <= scale {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + scale - digits.len(), b'0');
        out.extend_from_slice(digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(int);
        if scale > 0 {
            out.push(b'.');
            out.extend_from_slice(frac);
        }
    }
}

/// Appends a date as ISO 8601 (`2026-11-25`), as chrono's `Display` does,
/// without going through the formatting machinery.
pub fn push_date(out: &mut Vec<u8>, date: NaiveDate) {
    let year = date.year();
    if !(0..=9999).contains(&year) {
        out.extend_from_slice(date.to_string().as_bytes());
        return;
    }
    let two = |n: u32| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let year = year as u32;
    let [y1, y2] = two(year / 100);
    let [y3, y4] = two(year % 100);
    let [m1, m2] = two(date.month());
    let [d1, d2] = two(date.day());
    out.extend_from_slice(&[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2]);
}

/// An optional amount; empty when absent.
pub fn opt_amount(value: Option<Decimal>, dp: u32) -> String {
    value.map(|v| amount(v, dp)).unwrap_or_default()
}

/// A ratio rounded to `dp` places; empty when there is none.
pub fn ratio(value: Option<Decimal>, dp: u32) -> String {
    value.map(|v| amount(v, dp)).unwrap_or_default()
}

/// An amount for people: thousands separators, e.g. `1,234,567.89`.
pub fn grouped(value: Decimal, dp: u32) -> String {
    let plain = amount(value, dp);
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |rest| ("-", rest));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(plain.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(frac) => format!("{sign}{out}.{frac}"),
        None => format!("{sign}{out}"),
    }
}

/// A fraction as a percentage for people, e.g. `42.3%`; `–` when absent.
pub fn percent(value: Option<Decimal>) -> String {
    value.map_or_else(
        || "–".to_owned(),
        |v| format!("{}%", amount(v * Decimal::ONE_HUNDRED, 1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("decimal literal")
    }

    #[test]
    fn amounts_are_exact_and_ratios_rounded() {
        assert_eq!(amount(d("5"), 2), "5.00");
        assert_eq!(amount(d("1234.5"), 0), "1234");
        assert_eq!(amount(d("-0.05"), 2), "-0.05");
        assert_eq!(amount(d("0"), 2), "0.00");
        assert_eq!(amount(d("-12.3456"), 3), "-12.346");
        assert_eq!(amount(d("7"), 3), "7.000");
        assert_eq!(amount(d("-7.25"), 2), "-7.25");
        assert_eq!(
            amount(d("-98765432109876543210.5"), 1),
            "-98765432109876543210.5"
        );
        assert_eq!(amount(d("0.5"), 0), "0");
        assert_eq!(grouped(d("-1234567.891"), 2), "-1,234,567.89");
        assert_eq!(grouped(d("999"), 0), "999");
        assert_eq!(percent(Some(d("0.42345"))), "42.3%");
        assert_eq!(percent(None), "–");
    }

    #[test]
    fn fast_paths_write_what_display_writes() {
        for text in [
            "1.50",
            "-0.000",
            "0.05",
            "-12.3400",
            "100",
            "123456789.123456789",
            "0",
        ] {
            let mut out = Vec::new();
            push_normalized(&mut out, d(text));
            assert_eq!(out, d(text).normalize().to_string().as_bytes(), "{text}");
        }
        for (y, m, day) in [
            (2026, 11, 5),
            (1, 1, 1),
            (999, 12, 31),
            (9999, 2, 28),
            (-5, 3, 4),
            (10_000, 1, 1),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, day).expect("a date");
            let mut out = Vec::new();
            push_date(&mut out, date);
            assert_eq!(out, date.to_string().as_bytes());
        }
    }
}
