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
/// 64 KiB windows around each touched page, and start-up's ~1,250 functions spread
/// over the whole 18 MB of code kept 6.7-12 MB of it resident at idle. Only with
/// rustup's own lld (the default linker of x86_64-unknown-linux-gnu since Rust 1.90)
/// and no linker chosen in the flags or config; names the binary no longer has are
/// skipped silently. Also packs relative relocations (DT_RELR) when the glibc of this
/// machine reads them (2.36 or later): the loader reads all of them at start, and
/// unpacked they were 455 KB of the binary. `CAIRN_LINK_ORDER=0` turns both off.
fn link_order() {
    println!("cargo:rerun-if-changed=link-order.txt");
    println!("cargo:rerun-if-env-changed=CAIRN_LINK_ORDER");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let off = matches!(var("CAIRN_LINK_ORDER").as_str(), "0" | "false" | "no" | "off");
    let target = var("TARGET");
    if off || target != "x86_64-unknown-linux-gnu" || !rustup_lld(&target) {
        return;
    }
    let list = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join("link-order.txt");
    if list.exists() {
        println!(
            "cargo:rustc-link-arg-bin=cairn=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bin=cairn=-Wl,--no-warn-symbol-ordering");
    }
    if var("HOST") == target && glibc_reads_relr() {
        println!("cargo:rustc-link-arg-bin=cairn=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the binary is linked by the toolchain's own lld: no linker named in the
/// flags or the config, and a sysroot that ships it (a distribution's rustc may not).
fn rustup_lld(target: &str) -> bool {
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if flags.contains("linker") || flags.contains("fuse-ld") || std::env::var_os("RUSTC_LINKER").is_some() {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let Ok(out) = std::process::Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    std::path::Path::new(&sysroot)
        .join(format!("lib/rustlib/{target}/bin/gcc-ld/ld.lld"))
        .exists()
}

/// Whether this machine's glibc is 2.36 or later (`getconf GNU_LIBC_VERSION`).
fn glibc_reads_relr() -> bool {
    let Ok(out) = std::process::Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (2, 36)
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
