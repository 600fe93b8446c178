//! The storage suite, run against SQLite and PostgreSQL alike.

use chrono::{DateTime, NaiveDate, Utc};
use pipeline_pulse::extract::{ChangeBatch, Deletion};
use pipeline_pulse::fx::RateSet;
use pipeline_pulse::store::{RunFinish, RunStatus, Store, StoreError};
use serde_json::{Value, json};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("timestamp literal")
}

fn deal(id: &str, stage: &str, amount: f64, created: &str, modified: &str) -> Value {
    json!({
        "id": id, "Deal_Name": format!("Deal {id}"), "Amount": amount, "Currency": "SGD",
        "Stage": stage, "Probability": 10, "Closing_Date": "2026-12-31",
        "Owner": {"name": "Ana Ruiz", "id": "1", "email": "ana@example.com"},
        "Created_Time": created, "Modified_Time": modified
    })
}

fn batch(records: Vec<Value>) -> ChangeBatch {
    ChangeBatch {
        records,
        ..ChangeBatch::default()
    }
}

fn stages(records: &[Value]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_owned(),
                r["Stage"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(crate::support::sqlite_store().await).await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(crate::support::postgres_store().await).await; })*
        }
    };
}

on_both_databases!(
    a_version_is_written_only_when_a_tracked_field_changes,
    the_deal_set_at_any_past_instant_is_rebuilt,
    the_cursor_moves_with_its_batch_and_history_starts_at_the_first_sync,
    an_older_copy_of_a_record_does_not_overwrite_a_newer_one,
    rates_round_trip_exactly_and_are_found_by_date,
    runs_are_recorded_and_listed_newest_first,
    a_delivery_is_recorded_once_per_period_and_recipients,
    one_database_holds_one_deal_source,
);

async fn a_version_is_written_only_when_a_tracked_field_changes(store: Store) {
    let first = vec![
        deal(
            "1",
            "Qualification",
            100.0,
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
        ),
        deal(
            "2",
            "Qualification",
            200.0,
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
        ),
    ];
    let outcome = store
        .apply_batch("sample", &batch(first.clone()), Utc::now())
        .await
        .expect("first batch");
    assert_eq!((outcome.inserted, outcome.changed), (2, 0));
    let again = store
        .apply_batch("sample", &batch(first), Utc::now())
        .await
        .expect("same batch");
    assert_eq!((again.inserted, again.changed, again.unchanged), (0, 0, 2));
    assert_eq!(store.deal_version_count().await.expect("count"), 2);

    // Only Modified_Time moves: no new version.
    let touched = deal(
        "1",
        "Qualification",
        100.0,
        "2026-01-01T00:00:00Z",
        "2026-01-05T00:00:00Z",
    );
    store
        .apply_batch("sample", &batch(vec![touched]), Utc::now())
        .await
        .expect("touch");
    assert_eq!(store.deal_version_count().await.expect("count"), 2);

    let moved = deal(
        "1",
        "Needs Analysis",
        100.0,
        "2026-01-01T00:00:00Z",
        "2026-01-06T00:00:00Z",
    );
    let outcome = store
        .apply_batch("sample", &batch(vec![moved]), Utc::now())
        .await
        .expect("change");
    assert_eq!(outcome.changed, 1);
    assert_eq!(store.deal_version_count().await.expect("count"), 3);
}

async fn the_deal_set_at_any_past_instant_is_rebuilt(store: Store) {
    let created = deal(
        "1",
        "Qualification",
        100.0,
        "2026-01-01T00:00:00+08:00",
        "2026-01-01T00:00:00+08:00",
    );
    store
        .apply_batch("sample", &batch(vec![created]), Utc::now())
        .await
        .expect("create");
    let advanced = deal(
        "1",
        "Negotiation/Review",
        150.0,
        "2026-01-01T00:00:00+08:00",
        "2026-02-01T00:00:00Z",
    );
    store
        .apply_batch("sample", &batch(vec![advanced]), Utc::now())
        .await
        .expect("advance");
    let deleted = ChangeBatch {
        records: Vec::new(),
        deletions: vec![Deletion {
            id: "1".into(),
            deleted_time: at("2026-03-01T00:00:00Z"),
        }],
        deletions_through: Some(at("2026-03-02T00:00:00Z")),
    };
    assert_eq!(
        store
            .apply_batch("sample", &deleted, Utc::now())
            .await
            .expect("delete")
            .deleted,
        1
    );

    let stage_at = |records: Vec<Value>| stages(&records);
    assert!(
        store
            .deals_at(at("2025-12-31T15:59:59Z"))
            .await
            .expect("before")
            .is_empty()
    );
    assert_eq!(
        stage_at(
            store
                .deals_at(at("2026-01-15T00:00:00Z"))
                .await
                .expect("january")
        ),
        [("1".to_owned(), "Qualification".to_owned())]
    );
    assert_eq!(
        stage_at(
            store
                .deals_at(at("2026-02-01T00:00:00Z"))
                .await
                .expect("change instant")
        ),
        [("1".to_owned(), "Negotiation/Review".to_owned())]
    );
    assert!(
        store
            .deals_at(at("2026-03-01T00:00:00Z"))
            .await
            .expect("deleted")
            .is_empty()
    );
}

async fn the_cursor_moves_with_its_batch_and_history_starts_at_the_first_sync(store: Store) {
    assert_eq!(
        store.sync_state("sample").await.expect("state").cursor,
        None
    );
    let records = vec![
        deal(
            "1",
            "Qualification",
            1.0,
            "2026-01-01T00:00:00Z",
            "2026-01-03T00:00:00Z",
        ),
        deal(
            "2",
            "Qualification",
            1.0,
            "2026-01-01T00:00:00Z",
            "2026-01-09T10:00:00+08:00",
        ),
    ];
    store
        .apply_batch("sample", &batch(records), Utc::now())
        .await
        .expect("batch");
    let state = store.sync_state("sample").await.expect("state");
    assert_eq!(state.cursor, Some(at("2026-01-09T02:00:00Z")));
    assert_eq!(state.history_from, None);
    store
        .finish_sync("sample", at("2026-01-10T00:00:00Z"))
        .await
        .expect("finish");
    let later = deal(
        "3",
        "Qualification",
        1.0,
        "2026-01-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
    );
    store
        .apply_batch("sample", &batch(vec![later]), Utc::now())
        .await
        .expect("batch");
    store
        .finish_sync("sample", at("2026-02-02T00:00:00Z"))
        .await
        .expect("finish");
    let state = store.sync_state("sample").await.expect("state");
    assert_eq!(state.cursor, Some(at("2026-02-01T00:00:00Z")));
    assert_eq!(state.history_from, Some(at("2026-01-09T02:00:00Z")));
    assert_eq!(state.last_success_at, Some(at("2026-02-02T00:00:00Z")));
}

async fn an_older_copy_of_a_record_does_not_overwrite_a_newer_one(store: Store) {
    let newer = deal(
        "1",
        "Closed Won",
        1.0,
        "2026-01-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
    );
    let older = deal(
        "1",
        "Qualification",
        1.0,
        "2026-01-01T00:00:00Z",
        "2026-01-15T00:00:00Z",
    );
    store
        .apply_batch("sample", &batch(vec![newer]), Utc::now())
        .await
        .expect("newer");
    let outcome = store
        .apply_batch("sample", &batch(vec![older]), Utc::now())
        .await
        .expect("older");
    assert_eq!(outcome.stale, 1);
    let now = store
        .deals_at(at("2026-06-01T00:00:00Z"))
        .await
        .expect("now");
    assert_eq!(stages(&now), [("1".to_owned(), "Closed Won".to_owned())]);
}

async fn rates_round_trip_exactly_and_are_found_by_date(store: Store) {
    let body = r#"{"date":"2026-11-23 00:00:00+00","base":"USD","rates":{"SGD":"1.2934","EUR":"0.9340084415835656","KWD":"0.3074500000000000000000000001"}}"#;
    let set = RateSet::from_currencyfreaks(body, "test").expect("rates");
    store.save_rates(&set, Utc::now()).await.expect("save");
    store
        .save_rates(&set, Utc::now())
        .await
        .expect("save again replaces");
    let day = |d: &str| d.parse::<NaiveDate>().expect("date");
    assert_eq!(
        store
            .rates_on_or_before(day("2026-11-30"))
            .await
            .expect("read"),
        Some(set)
    );
    assert_eq!(
        store
            .rates_on_or_before(day("2026-11-22"))
            .await
            .expect("read"),
        None
    );
}

async fn runs_are_recorded_and_listed_newest_first(store: Store) {
    let as_of: NaiveDate = "2026-11-23".parse().expect("date");
    store
        .start_run(
            "a",
            "weekly-pipeline",
            as_of,
            "run-once",
            false,
            "worker-1",
            at("2026-11-23T00:00:00Z"),
        )
        .await
        .expect("start");
    store
        .start_run(
            "b",
            "sync-deals",
            as_of,
            "schedule",
            false,
            "worker-2",
            at("2026-11-23T00:15:00Z"),
        )
        .await
        .expect("start");
    let finish = RunFinish {
        deals_extracted: 460,
        warnings: 2,
        error: None,
        ..RunFinish::default()
    };
    store
        .finish_run(
            "a",
            RunStatus::Warnings,
            at("2026-11-23T00:00:02Z"),
            &finish,
        )
        .await
        .expect("finish");
    let all = store.runs(None, 10).await.expect("runs");
    assert_eq!(
        all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["b", "a"]
    );
    assert_eq!(all[0].status, "running");
    let weekly = store.runs(Some("weekly-pipeline"), 10).await.expect("runs");
    assert_eq!(weekly.len(), 1);
    assert_eq!(
        (
            weekly[0].status.as_str(),
            weekly[0].deals_extracted,
            weekly[0].warnings
        ),
        ("warnings", 460, 2)
    );
    assert_eq!(weekly[0].finished_at, Some(at("2026-11-23T00:00:02Z")));

    // "b" beats at 00:16; a check at 00:17 with a two-minute silence limit
    // leaves it alone, one at 00:19 closes it.
    store
        .heartbeat("b", at("2026-11-23T00:16:00Z"))
        .await
        .expect("heartbeat");
    let closed = store
        .close_abandoned_runs(at("2026-11-23T00:15:00Z"), at("2026-11-23T00:17:00Z"))
        .await
        .expect("close");
    assert_eq!(closed, 0);
    let closed = store
        .close_abandoned_runs(at("2026-11-23T00:17:00Z"), at("2026-11-23T00:19:00Z"))
        .await
        .expect("close");
    assert_eq!(closed, 1);
    let b = &store.runs(Some("sync-deals"), 1).await.expect("runs")[0];
    assert_eq!(b.status, "interrupted");
    assert!(
        b.error
            .as_deref()
            .is_some_and(|e| e.contains("no heartbeat since 2026-11-23T00:16:00")),
        "{:?}",
        b.error
    );
    assert_eq!(
        store
            .interrupt_runs_of("worker-1", "stopped", at("2026-11-23T00:20:00Z"))
            .await
            .expect("interrupt"),
        0,
        "finished runs are left as they are"
    );
    assert_eq!(store.runs(None, 1).await.expect("runs").len(), 1);
}

async fn a_delivery_is_recorded_once_per_period_and_recipients(store: Store) {
    let key = ("weekly-pipeline", "2026-W47", "a@example.com,b@example.com");
    assert_eq!(
        store.delivery(key.0, key.1, key.2).await.expect("lookup"),
        None
    );
    store
        .record_delivery(key.0, key.1, key.2, "run-1", "m-1", Utc::now())
        .await
        .expect("record");
    store
        .record_delivery(key.0, key.1, key.2, "run-2", "m-2", Utc::now())
        .await
        .expect("forced");
    assert_eq!(
        store.delivery(key.0, key.1, key.2).await.expect("lookup"),
        Some("run-2".to_owned())
    );
    assert_eq!(
        store
            .delivery(key.0, "2026-W48", key.2)
            .await
            .expect("lookup"),
        None
    );
}

async fn one_database_holds_one_deal_source(store: Store) {
    store.check_source("sample").await.expect("empty database");
    let record = deal(
        "1",
        "Qualification",
        1.0,
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
    );
    store
        .apply_batch("sample", &batch(vec![record]), Utc::now())
        .await
        .expect("batch");
    store.check_source("sample").await.expect("same source");
    assert!(matches!(
        store.check_source("zoho").await,
        Err(StoreError::SourceMismatch { .. })
    ));
}
