//! Pipeline Pulse: scheduled sales-pipeline reports.
//!
//! The crate follows the pipeline: [`extract`] deals from the CRM,
//! [`fx`] converts them to the base currency, [`aggregate`] computes the
//! report with polars, [`render`] writes CSV, PDF and email, [`publish`]
//! delivers them. [`jobs`] strings the stages together for both the
//! scheduler ([`schedule`]) and `--run-once`; [`store`] keeps deals, rates
//! and run history; [`config`] reads everything in, with credentials from
//! AWS Secrets Manager through [`aws`], which S3 shares.

pub mod aggregate;
pub mod aws;
pub mod cli;
pub mod config;
pub mod extract;
pub mod fx;
pub mod http;
pub mod jobs;
pub mod publish;
pub mod quality;
pub mod render;
pub mod schedule;
pub mod store;
pub mod telemetry;
