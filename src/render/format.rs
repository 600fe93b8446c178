//! How numbers are written: exact amounts, rounded ratios.

use rust_decimal::Decimal;

use crate::fx::money::round;

/// An amount with exactly `dp` decimals, `.` as separator, no grouping.
pub fn amount(value: Decimal, dp: u32) -> String {
    let mut text = String::new();
    push_amount(&mut text, value, dp);
    text
}

/// Appends [`amount`]'s text: the digits of the rounded mantissa with the
/// point put in place, cheaper than `Decimal`'s own formatting.
pub fn push_amount(out: &mut String, value: Decimal, dp: u32) {
    let mut value = round(value, dp);
    value.rescale(dp);
    let mantissa = value.mantissa();
    if mantissa < 0 {
        out.push('-');
    }
    let digits = mantissa.unsigned_abs().to_string();
    let dp = dp as usize;
    if digits.len() <= dp {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', dp - digits.len()));
        out.push_str(&digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - dp);
        out.push_str(int);
        if dp > 0 {
            out.push('.');
            out.push_str(frac);
        }
    }
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
        assert_eq!(grouped(d("-1234567.891"), 2), "-1,234,567.89");
        assert_eq!(grouped(d("999"), 0), "999");
        assert_eq!(percent(Some(d("0.42345"))), "42.3%");
        assert_eq!(percent(None), "–");
    }
}
