//! Puts the git commit the binary is built from into `cairn --version`
//! (`CAIRN_GIT_COMMIT`: given by the environment, else `git rev-parse`, else
//! "unknown" for a build outside a repository).

fn main() {
    println!("cargo:rerun-if-env-changed=CAIRN_GIT_COMMIT");
    let commit = std::env::var("CAIRN_GIT_COMMIT").ok().or_else(|| {
        let out = std::process::Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
            .filter(|c| !c.is_empty())
    });
    // A new commit changes HEAD (or the branch ref it points to).
    if let Ok(out) = std::process::Command::new("git")
        .args(["rev-parse", "--git-dir"])
        .output()
    {
        let git_dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !git_dir.is_empty() {
            println!("cargo:rerun-if-changed={git_dir}/HEAD");
            if let Ok(head) = std::fs::read_to_string(format!("{git_dir}/HEAD")) {
                if let Some(reference) = head.trim().strip_prefix("ref: ") {
                    // A fresh clone keeps its refs packed: watch what exists.
                    for path in [format!("{git_dir}/{reference}"), format!("{git_dir}/packed-refs")] {
                        if std::path::Path::new(&path).exists() {
                            println!("cargo:rerun-if-changed={path}");
                        }
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
