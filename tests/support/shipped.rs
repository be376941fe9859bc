//! A copy of the shipped knowledge (its regression set too) in a temp dir
//! that is in no repository: for tests that change files or keep a
//! history of them.

pub fn shipped_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("knowledge").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}
