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

fn main() {
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
