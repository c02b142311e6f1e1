//! Puts the git commit the binary is built from into `cairn --version`
//! (`CAIRN_GIT_COMMIT`: given by the environment, else `git rev-parse`, else
//! "unknown" for a build outside a repository).

fn git(arg: &str) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", arg])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// `git rev-parse --short=12 HEAD`.
fn git_head() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// Lays out the functions start-up and the common requests run next to each other
/// (`link-order.txt`, written by `scripts/link-order.py`): the kernel maps code in
/// 64 KiB windows around each touched page, and start-up's ~1,200 functions spread
/// over the whole 18 MB of code kept ~6.7 MB of it resident at idle. lld reads the
/// list (the default linker of x86_64-unknown-linux-gnu since Rust 1.90); names the
/// binary no longer has are skipped silently. Relative relocations are packed
/// (DT_RELR, glibc 2.36 or later): the loader reads all of them at start, and
/// unpacked they were 455 KB of the binary. `CAIRN_LINK_ORDER=0` turns both off,
/// e.g. for a toolchain that links with another linker or an older glibc.
fn link_order() {
    println!("cargo:rerun-if-changed=link-order.txt");
    println!("cargo:rerun-if-env-changed=CAIRN_LINK_ORDER");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target != "x86_64-unknown-linux-gnu" || std::env::var("CAIRN_LINK_ORDER").as_deref() == Ok("0") {
        return;
    }
    let list = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("link-order.txt");
    if list.exists() {
        println!(
            "cargo:rustc-link-arg-bin=cairn=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bin=cairn=-Wl,--no-warn-symbol-ordering");
    }
    println!("cargo:rustc-link-arg-bin=cairn=-Wl,-z,pack-relative-relocs");
}

fn main() {
    link_order();
    println!("cargo:rerun-if-env-changed=CAIRN_GIT_COMMIT");
    let commit = std::env::var("CAIRN_GIT_COMMIT").ok().or_else(|| git_head());
    // A new commit changes HEAD or the branch it points to (kept in the common
    // directory, which a worktree shares; a fresh clone packs its refs).
    if let (Some(git_dir), Some(common)) = (git("--git-dir"), git("--git-common-dir")) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        if let Ok(head) = std::fs::read_to_string(format!("{git_dir}/HEAD")) {
            if let Some(reference) = head.trim().strip_prefix("ref: ") {
                for path in [format!("{common}/{reference}"), format!("{common}/packed-refs")] {
                    if std::path::Path::new(&path).exists() {
                        println!("cargo:rerun-if-changed={path}");
                    }
                }
            }
        }
    }
    println!(
        "cargo:rustc-env=CAIRN_GIT_COMMIT={}",
        commit.unwrap_or_else(|| "unknown".to_string())
    );
}
