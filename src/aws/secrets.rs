//! Credentials from one AWS Secrets Manager secret, read at start-up.
//!
//! The secret is a JSON object whose keys are variable names
//! ([`SECRET_KEYS`]). A variable set in the environment (or `.env`) wins
//! over the secret's key of the same name, so one value can be overridden
//! for a single run without editing the secret; the log names every key
//! that was overridden. No value is ever printed, logged or put in an error.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{describe_error, sdk_config};

/// The variables a secret may supply.
pub const SECRET_KEYS: [&str; 7] = [
    "ZOHO_CLIENT_ID",
    "ZOHO_CLIENT_SECRET",
    "ZOHO_REFRESH_TOKEN",
    "CURRENCY_API_KEY",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "DATABASE_URL",
];

/// The variable that names the secret.
const SECRET_NAME: &str = "AWS_SECRETS_MANAGER_SECRET_NAME";

/// Why the secret could not supply the credentials. Names the secret and
/// keys, never a value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Secrets Manager did not return the secret.
    #[error(
        "reading the AWS Secrets Manager secret `{name}` ({SECRET_NAME}): {message}. Check the name, AWS_REGION, and that the worker's role may call secretsmanager:GetSecretValue on it"
    )]
    Fetch {
        /// The secret's name or ARN.
        name: String,
        /// The service's answer.
        message: String,
    },
    /// The secret is binary or empty.
    #[error(
        "the AWS Secrets Manager secret `{name}` has no text value; store a JSON object such as {{\"ZOHO_CLIENT_SECRET\": \"…\"}}"
    )]
    NotText {
        /// The secret's name.
        name: String,
    },
    /// The secret is not a JSON object of strings.
    #[error(
        "the AWS Secrets Manager secret `{name}` is not a JSON object of strings: {problem} (the value is not shown)"
    )]
    NotJson {
        /// The secret's name.
        name: String,
        /// Where the JSON is wrong, or which key is not a string.
        problem: String,
    },
    /// A key the worker does not read (a typo, most likely).
    #[error(
        "the AWS Secrets Manager secret `{name}` has the key `{key}`, which the worker does not read; the keys it reads are {}",
        SECRET_KEYS.join(", ")
    )]
    UnknownKey {
        /// The secret's name.
        name: String,
        /// The unexpected key.
        key: String,
    },
    /// A credential the configuration needs is in neither place.
    #[error(
        "the AWS Secrets Manager secret `{name}` has no key `{key}` and the environment does not set {key}; it is needed because {why}. Add the key to the secret"
    )]
    MissingKey {
        /// The secret's name.
        name: String,
        /// The missing key.
        key: &'static str,
        /// Which setting needs it.
        why: &'static str,
    },
}

/// What [`apply_secret`] did, for the start-up log (names only).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SecretUse {
    /// Keys taken from the secret.
    pub taken: Vec<String>,
    /// Keys of the secret that the environment overrode.
    pub overridden: Vec<String>,
}

/// When `AWS_SECRETS_MANAGER_SECRET_NAME` is set, reads the secret and
/// returns the variables with its keys added; otherwise the variables as
/// they are.
pub async fn load_secret(
    vars: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, SecretError> {
    let Some(name) = vars
        .get(SECRET_NAME)
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
    else {
        return Ok(vars.clone());
    };
    let sdk = sdk_config(
        vars.get("AWS_REGION").map(String::as_str),
        Duration::from_secs(30),
    )
    .await;
    let mut config = aws_sdk_secretsmanager::config::Builder::from(&sdk);
    // The SDK reads this variable from the process environment itself; read
    // it from `.env` too, like every other setting.
    if let Some(endpoint) = vars.get("AWS_ENDPOINT_URL_SECRETS_MANAGER") {
        config = config.endpoint_url(endpoint);
    }
    let client = aws_sdk_secretsmanager::Client::from_conf(config.build());
    let output = client
        .get_secret_value()
        .secret_id(&name)
        .send()
        .await
        .map_err(|e| SecretError::Fetch {
            name: name.clone(),
            message: describe_error(&e),
        })?;
    let text = output
        .secret_string()
        .ok_or_else(|| SecretError::NotText { name: name.clone() })?;
    let (merged, used) = apply_secret(vars, &name, text)?;
    tracing::info!(
        secret = %name,
        keys = %used.taken.join(","),
        overridden_by_environment = %used.overridden.join(","),
        "Read credentials from AWS Secrets Manager."
    );
    Ok(merged)
}

/// Adds the secret's keys to `vars` (the environment wins on a clash) and
/// checks that every credential the configuration needs is now present.
pub fn apply_secret(
    vars: &BTreeMap<String, String>,
    name: &str,
    text: &str,
) -> Result<(BTreeMap<String, String>, SecretUse), SecretError> {
    let not_json = |problem: String| SecretError::NotJson {
        name: name.to_owned(),
        problem,
    };
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
        // serde_json's message can quote the value: only the position.
        .map_err(|e| {
            not_json(format!(
                "invalid at line {} column {}",
                e.line(),
                e.column()
            ))
        })?;
    let mut merged = vars.clone();
    let mut used = SecretUse::default();
    for (key, value) in object {
        if !SECRET_KEYS.contains(&key.as_str()) {
            return Err(SecretError::UnknownKey {
                name: name.to_owned(),
                key,
            });
        }
        let serde_json::Value::String(value) = value else {
            return Err(not_json(format!("the value of `{key}` is not a string")));
        };
        if is_set(vars, &key) {
            used.overridden.push(key);
        } else {
            merged.insert(key.clone(), value);
            used.taken.push(key);
        }
    }
    for (key, why) in needed(&merged) {
        if !is_set(&merged, key) {
            return Err(SecretError::MissingKey {
                name: name.to_owned(),
                key,
                why,
            });
        }
    }
    Ok((merged, used))
}

fn is_set(vars: &BTreeMap<String, String>, key: &str) -> bool {
    vars.get(key).is_some_and(|v| !v.trim().is_empty())
}

/// The credentials the chosen adapters need, and why.
fn needed(vars: &BTreeMap<String, String>) -> Vec<(&'static str, &'static str)> {
    let is = |key: &str, value: &str| {
        vars.get(key)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
    };
    let mut needed = Vec::new();
    if is("DEAL_SOURCE", "zoho") {
        needed.push(("ZOHO_CLIENT_ID", "DEAL_SOURCE=zoho"));
        needed.push(("ZOHO_CLIENT_SECRET", "DEAL_SOURCE=zoho"));
    }
    if is("RATE_SOURCE", "currencyfreaks") {
        needed.push(("CURRENCY_API_KEY", "RATE_SOURCE=currencyfreaks"));
    }
    if is("MAILER", "smtp") && is_set(vars, "SMTP_USERNAME") {
        needed.push(("SMTP_PASSWORD", "SMTP_USERNAME is set (MAILER=smtp)"));
    }
    needed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars as vars;

    #[test]
    fn the_environment_wins_and_values_never_reach_errors() {
        let env = vars(&[("DEAL_SOURCE", "zoho"), ("ZOHO_CLIENT_ID", "from-env")]);
        let secret = r#"{"ZOHO_CLIENT_ID": "from-secret", "ZOHO_CLIENT_SECRET": "hunter2"}"#;
        let (merged, used) = apply_secret(&env, "prod/pulse", secret).expect("valid");
        assert_eq!(merged["ZOHO_CLIENT_ID"], "from-env");
        assert_eq!(merged["ZOHO_CLIENT_SECRET"], "hunter2");
        assert_eq!(used.overridden, ["ZOHO_CLIENT_ID"]);

        let missing = apply_secret(
            &vars(&[("RATE_SOURCE", "currencyfreaks")]),
            "prod/pulse",
            secret,
        )
        .expect_err("no currency key");
        let message = missing.to_string();
        assert!(message.contains("no key `CURRENCY_API_KEY`"), "{message}");
        assert!(message.contains("prod/pulse"), "{message}");

        for bad in [
            r#"{"ZOHO_CLIENT_SECRET": 12345678}"#,
            r#"{"ZOHO_CLIENT_SECRET": "hunter2", "ZOHO_CLIENT_SECRT": "hunter2"}"#,
            r#"{"ZOHO_CLIENT_SECRET": "hunter2""#,
            "hunter2",
        ] {
            let message = apply_secret(&env, "prod/pulse", bad)
                .expect_err("invalid")
                .to_string();
            assert!(
                !message.contains("hunter2") && !message.contains("12345678"),
                "{message}"
            );
        }
    }
}
