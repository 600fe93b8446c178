pub mod csv; pub mod format; #[derive(Debug, thiserror::Error)] pub enum RenderError { #[error("x")] Csv(#[from] csv::Error) }
