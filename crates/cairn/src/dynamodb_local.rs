//! DynamoDB Local's command line, accepted as is: `cairn dynamodb-local -sharedDb
//! -inMemory -port 8000` (or the same flags after `cairn serve`) is rewritten into
//! Cairn's own flags before parsing, so replacing DynamoDB Local in a script or a
//! compose file is a one-word change.
//!
//! | DynamoDB Local | Cairn |
//! |---|---|
//! | `-port N` | `--port N` |
//! | `-inMemory` | `--in-memory` |
//! | `-dbPath DIR` | `--data-dir DIR` |
//! | `-sharedDb` | `--shared-db` |
//! | `-delayTransientStatuses` | `--delay-transient-statuses` |
//! | `-cors ORIGINS` | `--cors ORIGINS` |
//! | `-disableTelemetry`, `-optimizeDbBeforeStartup` | accepted, nothing to do |
//! | `-help`, `-version` | `--help`, `--version` |
//! | `-jar DynamoDBLocal.jar`, `-Djava.library.path=...` | ignored (a copied `java` command line) |
//!
//! Any of these flags, or the `dynamodb-local` subcommand, also turns on DynamoDB
//! Local's behaviour (`--dynamodb-local`): each access key and region has its own
//! tables unless `-sharedDb`, and ARNs name the region `ddblocal`.

use std::ffi::OsString;

/// The arguments with DynamoDB Local's flags replaced by Cairn's.
pub fn translate(args: Vec<OsString>) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::with_capacity(args.len() + 1);
    let mut rest = args.into_iter();
    // The program name.
    out.extend(rest.next());
    let Some(command) = rest.next() else {
        return out;
    };
    let local_subcommand = command == "dynamodb-local";
    if !local_subcommand && command != "serve" {
        out.push(command);
        out.extend(rest);
        return out;
    }
    out.push("serve".into());
    let mut local_mode = local_subcommand;
    let mut translated = Vec::new();
    let mut args = rest.peekable();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        let mapped: Option<&str> = match text.as_str() {
            "-port" => Some("--port"),
            "-inMemory" => Some("--in-memory"),
            "-dbPath" => Some("--data-dir"),
            "-sharedDb" => Some("--shared-db"),
            "-delayTransientStatuses" => Some("--delay-transient-statuses"),
            "-cors" => Some("--cors"),
            "-help" => Some("--help"),
            "-version" => Some("--version"),
            _ => None,
        };
        match (mapped, text.as_str()) {
            (Some(flag), _) => {
                local_mode = true;
                translated.push(OsString::from(flag));
            }
            (None, "-disableTelemetry" | "-optimizeDbBeforeStartup") => local_mode = true,
            (None, "-jar") => {
                // `java -jar DynamoDBLocal.jar ...` pasted whole: the jar goes too.
                local_mode = true;
                args.next_if(|a| a.to_string_lossy().ends_with(".jar"));
            }
            (None, t) if t.starts_with("-Djava.") || t == "java" => local_mode = true,
            _ => translated.push(arg),
        }
    }
    if local_mode {
        out.push("--dynamodb-local".into());
    }
    out.extend(translated);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Vec<String> {
        translate(args.iter().map(OsString::from).collect())
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn dynamodb_local_flags_become_cairn_flags() {
        assert_eq!(
            run(&["cairn", "dynamodb-local", "-sharedDb", "-inMemory", "-port", "8001"]),
            [
                "cairn",
                "serve",
                "--dynamodb-local",
                "--shared-db",
                "--in-memory",
                "--port",
                "8001"
            ]
        );
        assert_eq!(
            run(&[
                "cairn",
                "serve",
                "-dbPath",
                "/data",
                "-delayTransientStatuses",
                "-cors",
                "http://a,http://b"
            ]),
            [
                "cairn",
                "serve",
                "--dynamodb-local",
                "--data-dir",
                "/data",
                "--delay-transient-statuses",
                "--cors",
                "http://a,http://b"
            ]
        );
    }

    #[test]
    fn a_pasted_java_command_line_is_accepted() {
        assert_eq!(
            run(&[
                "cairn",
                "dynamodb-local",
                "-Djava.library.path=./DynamoDBLocal_lib",
                "-jar",
                "DynamoDBLocal.jar",
                "-disableTelemetry",
                "-optimizeDbBeforeStartup",
                "-inMemory"
            ]),
            ["cairn", "serve", "--dynamodb-local", "--in-memory"]
        );
    }

    #[test]
    fn cairns_own_flags_are_left_alone_and_do_not_turn_on_local_mode() {
        assert_eq!(
            run(&["cairn", "serve", "--port", "8000", "--in-memory"]),
            ["cairn", "serve", "--port", "8000", "--in-memory"]
        );
        assert_eq!(run(&["cairn", "tail", "-port"]), ["cairn", "tail", "-port"]);
        assert_eq!(run(&["cairn"]), ["cairn"]);
    }

    #[test]
    fn help_and_version_are_translated() {
        assert_eq!(
            run(&["cairn", "dynamodb-local", "-help"]),
            ["cairn", "serve", "--dynamodb-local", "--help"]
        );
        assert_eq!(
            run(&["cairn", "dynamodb-local", "-version"]),
            ["cairn", "serve", "--dynamodb-local", "--version"]
        );
    }
}
