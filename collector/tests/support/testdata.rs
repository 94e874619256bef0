//! Reading the third-party samples in `../shared/testdata` for the conformance tests (CI keeps
//! shared/ beside the repository; a missing folder fails the test loudly). Included by each
//! conformance test with `#[path = "support/testdata.rs"] mod support;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata");

pub fn testdata(relative: &str) -> PathBuf {
    Path::new(TESTDATA).join(relative)
}

/// The files under `relative` (recursively) whose names end with `extension`, as paths
/// relative to the test data root.
pub fn files_under(relative: &str, extension: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![testdata(relative)];
    while let Some(directory) = pending.pop() {
        let entries = std::fs::read_dir(&directory).unwrap_or_else(|error| {
            panic!(
                "test data directory {} is missing ({error}); shared/testdata must be checked out beside the repository",
                directory.display()
            )
        });
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(extension) {
                let relative = path
                    .strip_prefix(TESTDATA)
                    .expect("under the test data root")
                    .to_string_lossy()
                    .into_owned();
                found.push(relative);
            }
        }
    }
    found.sort();
    found
}

pub fn read(relative: &str) -> Vec<u8> {
    std::fs::read(testdata(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
}
