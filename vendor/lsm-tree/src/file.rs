// Copyright (c) 2024-present, fjall-rs
// This source code is licensed under both the Apache 2.0 and MIT License
// (found in the LICENSE-* files in the repository)

use crate::Slice;
use std::{fs::File, io::Write, path::Path};

pub const MAGIC_BYTES: [u8; 4] = [b'L', b'S', b'M', 3];

pub const TABLES_FOLDER: &str = "tables";
pub const BLOBS_FOLDER: &str = "blobs";
pub const CURRENT_VERSION_FILE: &str = "current";

/// Cairn patch: where [`in_background`] work runs. Each lane has its own thread, so
/// freeing memory never waits behind slow file removals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Freeing large memtables.
    Memory,
    /// Removing table files.
    Files,
}

type Work = Box<dyn FnOnce() + Send>;

static MEMORY_LANE: std::sync::OnceLock<Option<std::sync::mpsc::Sender<Work>>> = std::sync::OnceLock::new();
static FILES_LANE: std::sync::OnceLock<Option<std::sync::mpsc::Sender<Work>>> = std::sync::OnceLock::new();

fn lane_sender(lane: Lane) -> Option<&'static std::sync::mpsc::Sender<Work>> {
    use std::sync::mpsc;

    let (cell, name) = match lane {
        Lane::Memory => (&MEMORY_LANE, "lsm-tree:free"),
        Lane::Files => (&FILES_LANE, "lsm-tree:remove"),
    };
    cell.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Work>();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                for work in receiver {
                    work();
                }
            })
            .ok()
            .map(|_| sender)
    })
    .as_ref()
}

/// Cairn patch: runs `work` on `lane`'s background thread (started on first use), or
/// here if that thread cannot be started or has died. For work that must not run
/// where the last reference to something happens to be dropped: that is often under
/// the tree's version history lock (version GC after a flush, a compaction or a
/// memtable rotation), which every writer needs. Freeing a full 64 MiB memtable took
/// ~130 ms, and on a file system mounted with `discard` removing a table file waited
/// 140-150 ms for the device to trim its blocks.
pub fn in_background(lane: Lane, work: Work) {
    let work = match lane_sender(lane) {
        Some(sender) => match sender.send(work) {
            Ok(()) => return,
            Err(std::sync::mpsc::SendError(work)) => work,
        },
        None => work,
    };
    work();
}

/// Cairn patch: waits until every file removal queued so far is done. Recovery calls
/// it first: a removal still queued from a tree this process closed must not run
/// after the tree is opened again (table ids restart above the highest live one, so
/// a queued path may name a new table's file).
pub fn wait_for_background_removals() {
    if FILES_LANE.get().is_none() {
        return; // nothing was ever queued
    }
    let (done, finished) = std::sync::mpsc::channel::<()>();
    in_background(
        Lane::Files,
        Box::new(move || {
            let _ = done.send(());
        }),
    );
    let _ = finished.recv();
}

/// Cairn patch: removes a table file no version references any more, in the
/// background (see [`in_background`]). `keep_open` (the table's pinned descriptor,
/// if any) is dropped after the removal, there, so that the last close, which frees
/// the blocks, is not on this thread either. A removal lost to a crash or exit leaves
/// an orphaned table file, which recovery deletes as it always has.
pub fn remove_in_background(path: std::sync::Arc<std::path::PathBuf>, keep_open: Option<std::sync::Arc<File>>) {
    in_background(
        Lane::Files,
        Box::new(move || {
            remove_now(&path);
            drop(keep_open);
        }),
    );
}

fn remove_now(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        log::warn!("Failed to cleanup deleted table at {}: {e:?}", path.display());
    }
}

/// Reads bytes from a file using `pread`.
pub fn read_exact(file: &File, offset: u64, size: usize) -> std::io::Result<Slice> {
    // SAFETY: This slice builder starts uninitialized, but we know its length
    //
    // We use read_at/seek_read which give us the number of bytes read
    // If that number does not match the slice length, the function errors,
    // so the (partially) uninitialized buffer is discarded
    //
    // Additionally, generally, block loads furthermore do a checksum check which
    // would likely catch the buffer being wrong somehow
    #[expect(unsafe_code, reason = "see safety")]
    let mut builder = unsafe { Slice::builder_unzeroed(size) };

    {
        let bytes_read: usize;

        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;

            bytes_read = file.read_at(&mut builder, offset)?;
        }

        #[cfg(windows)]
        {
            use std::os::windows::fs::FileExt;

            bytes_read = file.seek_read(&mut builder, offset)?;
        }

        #[cfg(not(any(unix, windows)))]
        {
            compile_error!("unsupported platform");
            unimplemented!();
        }

        if bytes_read != size {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("read_exact({bytes_read}) at {offset} did not read enough bytes {size}; file has length {}", file.metadata()?.len()),
            ));
        }
    }

    Ok(builder.freeze().into())
}

/// Runs an I/O operation, retrying transient Windows errors with backoff.
///
/// External programs (antivirus, indexers, backup agents) may briefly hold files open
/// without sharing flags on Windows, failing renames and deletes that would succeed a
/// moment later; POSIX has no such failure mode, so elsewhere the operation runs once.
pub fn retry_transient_io<T>(mut op: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    #[cfg(windows)]
    {
        const MAX_ATTEMPTS: u32 = 10;

        let mut delay = std::time::Duration::from_millis(1);

        for _ in 1..MAX_ATTEMPTS {
            match op() {
                Err(e) if is_transient_windows_error(&e) => {
                    std::thread::sleep(delay);
                    delay *= 2;
                }
                result => return result,
            }
        }
    }

    op()
}

#[cfg(windows)]
fn is_transient_windows_error(e: &std::io::Error) -> bool {
    // ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION, ERROR_USER_MAPPED_FILE
    matches!(e.raw_os_error(), Some(5 | 32 | 33 | 1224))
}

/// Persists a named temporary file to its final path, replacing any existing file.
pub fn persist_temp_file(temp_file: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    let mut temp_file = Some(temp_file);

    retry_transient_io(|| {
        #[expect(clippy::expect_used, reason = "the temp file is put back on failure")]
        temp_file
            .take()
            .expect("temp file should be present")
            .persist(path)
            .map(|_| ())
            .map_err(|e| {
                temp_file = Some(e.file);
                e.error
            })
    })
}

/// Atomically rewrites a file.
pub fn rewrite_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    #[expect(
        clippy::expect_used,
        reason = "every file should have a parent directory"
    )]
    let folder = path.parent().expect("should have a parent");

    let mut temp_file = tempfile::NamedTempFile::new_in(folder)?;
    temp_file.write_all(content)?;
    temp_file.flush()?;
    temp_file.as_file_mut().sync_all()?;
    persist_temp_file(temp_file, path)?;

    // TODO: not sure why it fails on Windows...
    #[cfg(not(target_os = "windows"))]
    {
        let file = std::fs::File::open(path)?;
        file.sync_all()?;

        #[expect(
            clippy::expect_used,
            reason = "files should always have a parent directory"
        )]
        let folder = path.parent().expect("should have parent folder");
        fsync_directory(folder)?;
    }

    Ok(())
}

#[cfg(not(target_os = "windows"))]
pub fn fsync_directory(path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    debug_assert!(file.metadata()?.is_dir());
    file.sync_all()
}

#[cfg(target_os = "windows")]
pub fn fsync_directory(path: &Path) -> std::io::Result<()> {
    // Cannot fsync directory on Windows
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;
    use test_log::test;

    #[test]
    fn atomic_rewrite() -> crate::Result<()> {
        let dir = tempfile::tempdir()?;

        let path = dir.path().join("test.txt");
        {
            let mut file = File::create(&path)?;
            write!(file, "asdasdasdasdasd")?;
        }

        rewrite_atomic(&path, b"newcontent")?;

        let content = std::fs::read_to_string(&path)?;
        assert_eq!("newcontent", content);

        Ok(())
    }

    #[test]
    fn persist_temp_file_replaces_existing() -> crate::Result<()> {
        let dir = tempfile::tempdir()?;

        let path = dir.path().join("test.txt");
        std::fs::write(&path, b"old")?;

        let mut temp_file = tempfile::NamedTempFile::new_in(dir.path())?;
        write!(temp_file, "new")?;
        persist_temp_file(temp_file, &path)?;

        let content = std::fs::read_to_string(&path)?;
        assert_eq!("new", content);

        Ok(())
    }

    #[test]
    #[cfg(windows)]
    fn retry_transient_io_retries_sharing_violation() {
        let mut attempts = 0;

        let result = retry_transient_io(|| {
            attempts += 1;

            if attempts < 3 {
                // ERROR_SHARING_VIOLATION
                Err(std::io::Error::from_raw_os_error(32))
            } else {
                Ok(42)
            }
        });

        assert!(matches!(result, Ok(42)));
        assert_eq!(3, attempts);
    }

    #[test]
    #[cfg(windows)]
    fn retry_transient_io_fails_fast_on_other_errors() {
        let mut attempts = 0;

        let result: std::io::Result<()> = retry_transient_io(|| {
            attempts += 1;

            // ERROR_FILE_NOT_FOUND
            Err(std::io::Error::from_raw_os_error(2))
        });

        assert!(result.is_err());
        assert_eq!(1, attempts);
    }
}

#[cfg(test)]
mod background_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn background_work_runs_on_its_lanes_thread() {
        let (tx, rx) = std::sync::mpsc::channel();
        for (lane, expected) in [(Lane::Memory, "lsm-tree:free"), (Lane::Files, "lsm-tree:remove")] {
            let tx = tx.clone();
            in_background(
                lane,
                Box::new(move || {
                    let _ = tx.send(std::thread::current().name().map(str::to_string));
                }),
            );
            let name = rx.recv_timeout(Duration::from_secs(10)).expect("work never ran");
            assert_eq!(name.as_deref(), Some(expected));
        }
    }

    #[test]
    fn a_file_removed_in_background_goes_away() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = std::sync::Arc::new(dir.path().join("table"));
        std::fs::write(&*path, b"x")?;
        remove_in_background(path.clone(), None);
        wait_for_background_removals();
        assert!(!path.exists(), "the file was not removed before the wait returned");
        Ok(())
    }
}
