//! Exchange-rate sets per date.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::Row;

use super::{Store, StoreError, query_error};
use crate::extract::db_time;
use crate::fx::RateSet;

impl Store {
    /// Stores a rate set, replacing one of the same date and source.
    pub async fn save_rates(
        &self,
        set: &RateSet,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_error("starting to store rates"))?;
        let date = set.date.to_string();
        sqlx::query("DELETE FROM exchange_rates WHERE rates_date = $1 AND source = $2")
            .bind(&date)
            .bind(&set.source)
            .execute(&mut *tx)
            .await
            .map_err(query_error("replacing stored rates"))?;
        for (currency, rate) in &set.rates {
            sqlx::query(
                "INSERT INTO exchange_rates (rates_date, source, base_currency, currency, rate, fetched_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&date)
            .bind(&set.source)
            .bind(&set.base)
            .bind(currency)
            .bind(rate.to_string())
            .bind(db_time(fetched_at))
            .execute(&mut *tx)
            .await
            .map_err(query_error("storing rates"))?;
        }
        tx.commit().await.map_err(query_error("committing rates"))
    }

    /// The newest stored rate set dated on or before `date`.
    pub async fn rates_on_or_before(&self, date: NaiveDate) -> Result<Option<RateSet>, StoreError> {
        let key: Option<(String, String)> = sqlx::query_as(
            "SELECT rates_date, source FROM exchange_rates WHERE rates_date <= $1 ORDER BY rates_date DESC, source LIMIT 1",
        )
        .bind(date.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("finding stored rates"))?;
        let Some((rates_date, source)) = key else {
            return Ok(None);
        };
        let rows = sqlx::query("SELECT base_currency, currency, rate FROM exchange_rates WHERE rates_date = $1 AND source = $2")
            .bind(&rates_date)
            .bind(&source)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("reading stored rates"))?;
        let corrupt = |detail: String| StoreError::Corrupt {
            action: "reading stored rates",
            detail,
        };
        let mut set = RateSet {
            date: rates_date
                .parse()
                .map_err(|_| corrupt(format!("rates date `{rates_date}`")))?,
            source,
            base: String::new(),
            rates: Default::default(),
        };
        for row in rows {
            let currency: String = row
                .try_get("currency")
                .map_err(query_error("reading stored rates"))?;
            let rate: String = row
                .try_get("rate")
                .map_err(query_error("reading stored rates"))?;
            set.base = row
                .try_get("base_currency")
                .map_err(query_error("reading stored rates"))?;
            let rate: Decimal = rate
                .parse()
                .map_err(|_| corrupt(format!("rate `{rate}` of {currency}")))?;
            set.rates.insert(currency, rate);
        }
        Ok(Some(set))
    }
}
