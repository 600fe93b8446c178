//! Exact money arithmetic: products taken in full, then rounded once.

use num_bigint::BigInt;
use num_integer::Integer;
use rust_decimal::{Decimal, RoundingStrategy};

/// `round_half_even(a × b, dp)` with the product taken exactly.
///
/// `Decimal`'s own multiplication rounds a product that needs more than 28
/// digits (an amount times a 28-digit cross rate does) before we round to
/// the minor unit, and that double rounding can move a half-cent tie. The
/// product is therefore formed as a big integer and rounded once.
pub fn mul_round(a: Decimal, b: Decimal, dp: u32) -> Option<Decimal> {
    let scale = a.scale() + b.scale();
    // Most products (an amount times a 28-digit rate) fit in 127 bits:
    // the same arithmetic in i128, without a heap allocation per deal.
    if let Some(product) = a.mantissa().checked_mul(b.mantissa()) {
        let mantissa = if scale <= dp {
            product.checked_mul(10i128.checked_pow(dp - scale)?)?
        } else {
            let divisor = 10i128.checked_pow(scale - dp)?;
            let (quotient, remainder) = (product.div_euclid(divisor), product.rem_euclid(divisor));
            let twice = remainder * 2;
            if twice > divisor || (twice == divisor && quotient % 2 != 0) {
                quotient + 1
            } else {
                quotient
            }
        };
        return Decimal::try_from_i128_with_scale(mantissa, dp).ok();
    }
    mul_round_big(a, b, dp)
}

fn mul_round_big(a: Decimal, b: Decimal, dp: u32) -> Option<Decimal> {
    let scale = a.scale() + b.scale();
    let product = BigInt::from(a.mantissa()) * BigInt::from(b.mantissa());
    let rounded = if scale <= dp {
        product * BigInt::from(10u8).pow(dp - scale)
    } else {
        let divisor = BigInt::from(10u8).pow(scale - dp);
        let (quotient, remainder) = product.div_mod_floor(&divisor);
        let twice = remainder * 2u8;
        if twice > divisor || (twice == divisor && quotient.is_odd()) {
            quotient + 1u8
        } else {
            quotient
        }
    };
    let mantissa: i128 = rounded.try_into().ok()?;
    Decimal::try_from_i128_with_scale(mantissa, dp).ok()
}

/// Rounds half to even at `dp` places.
pub fn round(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven)
}

/// An amount in minor units (cents), for exact integer sums in polars.
pub fn to_minor(value: Decimal, dp: u32) -> Option<i64> {
    if value.scale() <= dp {
        let minor = value
            .mantissa()
            .checked_mul(10i128.checked_pow(dp - value.scale())?)?;
        return i64::try_from(minor).ok();
    }
    let scaled = round(value, dp) * Decimal::from(10i64.checked_pow(dp)?);
    i64::try_from(scaled.trunc()).ok()
}

/// Minor units back to an amount with exactly `dp` places.
pub fn from_minor(minor: i64, dp: u32) -> Decimal {
    Decimal::new(minor, dp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("decimal literal")
    }

    #[test]
    fn rounds_half_to_even_once() {
        assert_eq!(mul_round(d("1234.005"), d("1"), 2), Some(d("1234.00")));
        assert_eq!(mul_round(d("1234.015"), d("1"), 2), Some(d("1234.02")));
        assert_eq!(mul_round(d("-2.5"), d("1"), 0), Some(d("-2")));
        assert_eq!(mul_round(d("100"), d("1.3384"), 2), Some(d("133.84")));
    }

    #[test]
    fn a_tie_hidden_past_28_digits_is_not_a_tie() {
        // 0.125 + 1e-27: a tie at 2 places only if the product is rounded
        // to 28 digits first.
        let rate = d("0.1250000000000000000000000001");
        assert_eq!(mul_round(d("1"), rate, 2), Some(d("0.13")));
        assert_eq!(mul_round(d("1"), d("0.125"), 2), Some(d("0.12")));
    }

    #[test]
    fn the_i128_path_agrees_with_the_big_integer_path() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let a = Decimal::new(rng.i64(..), rng.u32(0..=10));
            let b = Decimal::from_i128_with_scale(
                rng.i128(-(10i128.pow(28))..10i128.pow(28)),
                rng.u32(0..=28),
            );
            let dp = rng.u32(0..=4);
            if a.mantissa().checked_mul(b.mantissa()).is_some() {
                assert_eq!(
                    mul_round(a, b, dp),
                    mul_round_big(a, b, dp),
                    "{a} × {b} at {dp}"
                );
            }
        }
    }

    #[test]
    fn minor_units_round_trip() {
        assert_eq!(to_minor(d("1234.56"), 2), Some(123_456));
        assert_eq!(from_minor(123_456, 2), d("1234.56"));
        assert_eq!(to_minor(d("5000"), 0), Some(5000));
        assert_eq!(from_minor(5, 3).to_string(), "0.005");
    }
}
