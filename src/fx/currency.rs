//! ISO 4217 currency codes and their minor units.

use std::fmt;

use iso_currency::Currency;

/// An ISO 4217 currency, used for the base and home currencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CurrencyCode(Currency);

impl CurrencyCode {
    /// Singapore dollar, the default base currency.
    pub const SGD: CurrencyCode = CurrencyCode(Currency::SGD);

    /// Parses a code such as `SGD` (case-insensitive).
    pub fn parse(code: &str) -> Option<CurrencyCode> {
        Currency::from_code(&code.trim().to_ascii_uppercase()).map(CurrencyCode)
    }

    /// The three-letter code.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Decimal places of the minor unit (JPY 0, SGD 2, KWD 3); 0 for codes
    /// without one, such as gold.
    pub fn minor_units(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(0))
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_come_from_iso_4217() {
        let units = |code| CurrencyCode::parse(code).map(CurrencyCode::minor_units);
        assert_eq!(units("JPY"), Some(0));
        assert_eq!(units("sgd"), Some(2));
        assert_eq!(units("KWD"), Some(3));
        assert_eq!(units("XYZ"), None);
    }
}
