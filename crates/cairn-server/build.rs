//! Embeds the web console (every file under `console/`) in the library, so the
//! binary serves it with no files beside it.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("console");
    // A directory: cargo rescans every file under it for changes.
    println!("cargo:rerun-if-changed=console");
    let mut found = Vec::new();
    files(&root, &mut found);
    found.sort();
    let mut table = String::from(
        "/// The console's files: path under `console/`, contents.\npub static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for path in &found {
        let relative = path.strip_prefix(&root).expect("under the root");
        let name: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        table.push_str(&format!(
            "    ({:?}, include_bytes!({:?})),\n",
            name.join("/"),
            path.display().to_string()
        ));
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("console_assets.rs");
    std::fs::write(out, table).expect("OUT_DIR is writable");
}
