//! Reading one TOML file into a serde struct, reporting every unknown key
//! (not only the first) with its dotted path.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::ConfigErrors;

/// Parses `text` (the contents of `path`) into `T`. Unknown keys and syntax
/// or type errors are recorded in `errors` with the file and key.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str, errors: &mut ConfigErrors) -> Option<T> {
    let file = path.display();
    let mut unknown = Vec::new();
    let parsed = serde_ignored::deserialize(toml::Deserializer::new(text), |key| {
        // serde_ignored marks an `Option` layer with `?`; people do not.
        let key = key.to_string().replace(".?", "").replace("?.", "");
        unknown.push(key);
    });
    for key in unknown {
        errors.push(
            format!("{file}: {key}"),
            "unknown key (check its spelling and the section it is in)",
        );
    }
    match parsed {
        Ok(value) => Some(value),
        Err(error) => {
            let location = match error.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].lines().count().max(1);
                    format!("{file}: line {line}")
                }
                None => file.to_string(),
            };
            errors.push(location, error.message().trim().to_owned());
            None
        }
    }
}

/// Reads every `*.toml` file of a directory, sorted by name.
pub fn read_dir(dir: &Path, errors: &mut ConfigErrors) -> Vec<(std::path::PathBuf, String)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(
                dir.display().to_string(),
                format!("cannot read the directory: {error}"),
            );
            return Vec::new();
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| match std::fs::read_to_string(&path) {
            Ok(text) => Some((path, text)),
            Err(error) => {
                errors.push(
                    path.display().to_string(),
                    format!("cannot read the file: {error}"),
                );
                None
            }
        })
        .collect()
}
