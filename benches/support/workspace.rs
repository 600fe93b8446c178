//! A temporary working directory with copies of the shipped `jobs/` and
//! `reports/`, for benchmarks that run the binary.

use std::path::Path;

pub fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["jobs", "reports"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("create directory");
        for entry in std::fs::read_dir(root.join(sub)).expect("read directory") {
            let path = entry.expect("entry").path();
            std::fs::copy(
                &path,
                dir.path().join(sub).join(path.file_name().expect("name")),
            )
            .expect("copy");
        }
    }
    dir
}
