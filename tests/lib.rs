//! Every integration test, linked into one binary. They run the real
//! binary in temporary directories and use real databases on loopback.

mod cli;
mod golden;
mod pdf;
mod pipeline;
mod properties;
mod publish;
mod rates;
mod serve;
mod storage;
mod support;
mod zoho;
