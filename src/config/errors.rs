//! Configuration problems, collected so that every one is reported at once.

use std::fmt;

/// One configuration problem: where it is (a file and key, or a variable)
/// and what is wrong with it, phrased so the reader knows what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// `jobs/weekly-pipeline.toml: cron`, `BASE_CURRENCY`, …
    pub location: String,
    /// What is wrong and what is expected instead.
    pub message: String,
}

/// Every problem found while loading the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors {
    issues: Vec<ConfigIssue>,
}

impl ConfigErrors {
    /// Records one problem.
    pub fn push(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.issues.push(ConfigIssue {
            location: location.into(),
            message: message.into(),
        });
    }

    /// Takes every problem of another collection.
    pub fn extend(&mut self, other: ConfigErrors) {
        self.issues.extend(other.issues);
    }

    /// The problems, in the order they were found.
    pub fn issues(&self) -> &[ConfigIssue] {
        &self.issues
    }

    /// Where each problem is, in order.
    pub fn locations(&self) -> Vec<&str> {
        self.issues.iter().map(|i| i.location.as_str()).collect()
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, else every problem.
    pub fn into_result<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.issues.len();
        let plural = if count == 1 { "" } else { "s" };
        write!(f, "{count} configuration problem{plural}:")?;
        for issue in &self.issues {
            write!(f, "\n  {}: {}", issue.location, issue.message)?;
        }
        Ok(())
    }
}
