//! The credentials file: principals, their access keys (long-lived, or temporary with a
//! session token and an expiry) and their identity policies.
//!
//! JSON or TOML (by extension), one shape:
//! `{"principals": [{"name": "alice", "access_key_id": "AKIAALICE",
//! "secret_access_key": "...", "policies": [<IAM policy document>, ...]}]}`.
//! A principal without a `policies` key may do everything.

use crate::policy::Policy;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// One principal as written in the file.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrincipalEntry {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Temporary credentials: requests must carry this as `X-Amz-Security-Token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// When temporary credentials stop working (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// IAM policy documents (objects, or JSON text). Absent: everything is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CredentialsFile {
    #[serde(default)]
    pub principals: Vec<PrincipalEntry>,
}

impl CredentialsFile {
    /// Parses the file's text; `toml` chooses the TOML reading.
    /// Errors name the place and the problem but never quote the file: the line at
    /// fault may hold a secret, and the message reaches the log.
    pub fn parse(text: &str, toml: bool) -> Result<CredentialsFile, String> {
        if toml {
            ::toml::from_str(text).map_err(|e| {
                let line = e
                    .span()
                    .map_or(0, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
                format!("line {line}: {}", without_quotes(e.message()))
            })
        } else {
            serde_json::from_str(text).map_err(|e| {
                format!(
                    "line {} column {}: {}",
                    e.line(),
                    e.column(),
                    without_quotes(&strip_position(&e.to_string()))
                )
            })
        }
    }

    pub fn read(path: &Path) -> Result<CredentialsFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        CredentialsFile::parse(&text, is_toml(path)).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Writes the file readable by its owner only, replacing it atomically.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = if is_toml(path) {
            ::toml::to_string_pretty(self).map_err(|e| e.to_string())?
        } else {
            serde_json::to_string_pretty(self).map_err(|e| e.to_string())? + "\n"
        };
        let temporary = path.with_extension(format!("tmp-{}", uuid_like()));
        write_private(&temporary, text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
        std::fs::rename(&temporary, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
    }
}

fn strip_position(message: &str) -> String {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
        .to_string()
}

/// A parser's message with any quoted value replaced: `invalid type: string "s3cr3t"`
/// must not print the secret. Field names (in backticks) stay.
fn without_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"...\"");
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

fn is_toml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// A name part unlikely to exist already (the temporary file is created exclusively).
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// Refuses a credentials file other users can read or write: secrets must stay the
/// owner's.
pub fn check_file_is_private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .permissions()
            .mode();
        // Nobody but the owner may read it, and only the owner's group may not even
        // write it: a writer could add an all-powerful principal.
        if mode & 0o027 != 0 {
            return Err(format!(
                "credentials file {} is accessible to other users (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    Ok(())
}

/// A principal ready for verification and policy evaluation.
pub struct Principal {
    pub name: String,
    /// `arn:aws:iam::<account>:user/<name>`.
    pub arn: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Seconds since the epoch.
    pub expires_at: Option<i64>,
    /// `None`: every action is allowed by identity.
    pub policies: Option<Vec<Policy>>,
}

/// Principals by access key id.
#[derive(Debug, Default)]
pub struct Credentials {
    by_key: HashMap<String, Arc<Principal>>,
}

impl Credentials {
    /// Validates every entry: unique non-empty key ids, parseable expiries and policies.
    pub fn from_file(file: &CredentialsFile, account_id: &str) -> Result<Credentials, String> {
        let mut by_key = HashMap::new();
        for entry in &file.principals {
            let principal = Principal::from_entry(entry, account_id)?;
            if by_key
                .insert(principal.access_key_id.clone(), Arc::new(principal))
                .is_some()
            {
                return Err(format!("access key id {} appears more than once", entry.access_key_id));
            }
        }
        Ok(Credentials { by_key })
    }

    /// Reads, checks the permissions of, and validates a credentials file.
    pub fn load(path: &Path, account_id: &str) -> Result<Credentials, String> {
        check_file_is_private(path)?;
        let file = CredentialsFile::read(path)?;
        Credentials::from_file(&file, account_id).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn by_access_key(&self, access_key_id: &str) -> Option<Arc<Principal>> {
        self.by_key.get(access_key_id).cloned()
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

impl Principal {
    fn from_entry(entry: &PrincipalEntry, account_id: &str) -> Result<Principal, String> {
        let who = format!("principal {:?}", entry.name);
        if entry.name.is_empty() || entry.access_key_id.is_empty() || entry.secret_access_key.is_empty() {
            return Err(format!(
                "{who}: name, access_key_id and secret_access_key must not be empty"
            ));
        }
        let expires_at = match &entry.expires {
            None => None,
            Some(text) => Some(
                crate::time::parse_rfc3339(text)
                    .ok_or_else(|| format!("{who}: expires {text:?} is not an RFC 3339 timestamp"))?,
            ),
        };
        if expires_at.is_some() && entry.session_token.is_none() {
            return Err(format!(
                "{who}: expires applies to temporary credentials, which need a session_token"
            ));
        }
        let policies = match &entry.policies {
            None => None,
            Some(documents) => Some(
                documents
                    .iter()
                    .enumerate()
                    .map(|(i, document)| {
                        Policy::from_value(document).map_err(|e| format!("{who}: policy {}: {e}", i + 1))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        Ok(Principal {
            name: entry.name.clone(),
            arn: format!("arn:aws:iam::{account_id}:user/{}", entry.name),
            access_key_id: entry.access_key_id.clone(),
            secret_access_key: entry.secret_access_key.clone(),
            session_token: entry.session_token.clone(),
            expires_at,
            policies,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_json_shape_loads() {
        let file = CredentialsFile::parse(
            r#"{"principals": [{"name": "alice", "access_key_id": "AKIAALICE", "secret_access_key": "s3cret",
                "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}]},
                {"name": "admin", "access_key_id": "AKIAADMIN", "secret_access_key": "x"}]}"#,
            false,
        )
        .unwrap();
        let credentials = Credentials::from_file(&file, "000000000000").unwrap();
        let alice = credentials.by_access_key("AKIAALICE").unwrap();
        assert_eq!(alice.arn, "arn:aws:iam::000000000000:user/alice");
        assert_eq!(alice.policies.as_ref().unwrap().len(), 1);
        assert!(credentials.by_access_key("AKIAADMIN").unwrap().policies.is_none());
        assert!(credentials.by_access_key("AKIANOBODY").is_none());
    }

    #[test]
    fn toml_with_temporary_credentials_loads() {
        let file = CredentialsFile::parse(
            "[[principals]]\nname = \"ci\"\naccess_key_id = \"ASIACI\"\nsecret_access_key = \"s\"\nsession_token = \"tok\"\nexpires = \"2030-01-01T00:00:00Z\"\n",
            true,
        )
        .unwrap();
        let credentials = Credentials::from_file(&file, "000000000000").unwrap();
        let ci = credentials.by_access_key("ASIACI").unwrap();
        assert_eq!(ci.session_token.as_deref(), Some("tok"));
        assert_eq!(ci.expires_at, Some(1_893_456_000));
    }

    #[test]
    fn duplicate_keys_and_bad_policies_are_refused() {
        let twice = CredentialsFile::parse(
            r#"{"principals": [{"name": "a", "access_key_id": "K", "secret_access_key": "s"}, {"name": "b", "access_key_id": "K", "secret_access_key": "t"}]}"#,
            false,
        )
        .unwrap();
        assert_eq!(
            Credentials::from_file(&twice, "1").unwrap_err(),
            "access key id K appears more than once"
        );
        let bad = CredentialsFile::parse(
            r#"{"principals": [{"name": "a", "access_key_id": "K", "secret_access_key": "s", "policies": [{"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}]}]}"#,
            false,
        )
        .unwrap();
        let e = Credentials::from_file(&bad, "1").unwrap_err();
        assert!(e.starts_with("principal \"a\": policy 1: "), "{e}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = CredentialsFile::parse(r#"{"principals": [{"name": "a", "access_key": "K"}]}"#, false).unwrap_err();
        assert!(e.contains("unknown field `access_key`"), "{e}");
    }

    #[test]
    fn parse_errors_never_quote_the_file() {
        let json = CredentialsFile::parse(
            r#"{"principals": [{"name": "a", "access_key_id": "K", "secret_access_key": 5}]}"#,
            false,
        )
        .unwrap_err();
        assert!(json.starts_with("line 1 column "), "{json}");
        let toml = CredentialsFile::parse(
            "[[principals]]\nname = \"a\"\nsecret_access_key = \"TOPSECRET\nbroken",
            true,
        )
        .unwrap_err();
        assert!(!toml.contains("TOPSECRET"), "{toml}");
        assert!(toml.starts_with("line "), "{toml}");
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let file = CredentialsFile::parse(
            r#"{"principals": [{"name": "a", "access_key_id": "K", "secret_access_key": "TOPSECRET", "session_token": "TOKENVALUE"}]}"#,
            false,
        )
        .unwrap();
        let credentials = Credentials::from_file(&file, "1").unwrap();
        let shown = format!("{file:?} {credentials:?}");
        assert!(shown.contains("arn:aws:iam::1:user/a"), "{shown}");
        assert!(!shown.contains("TOPSECRET") && !shown.contains("TOKENVALUE"), "{shown}");
    }

    #[cfg(unix)]
    #[test]
    fn a_world_readable_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        CredentialsFile::default().write(&path).unwrap();
        assert!(Credentials::load(&path, "1").is_ok());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Credentials::load(&path, "1").unwrap_err();
        assert!(e.contains("is accessible to other users (mode 644)"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o660)).unwrap();
        assert!(Credentials::load(&path, "1").is_err(), "group-writable");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(
            Credentials::load(&path, "1").is_ok(),
            "group-readable is the owner's choice"
        );
    }
}

/// Debug output never shows a secret or a session token: it ends up in logs.
impl std::fmt::Debug for PrincipalEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalEntry")
            .field("name", &self.name)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("expires", &self.expires)
            .finish()
    }
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .field("temporary", &self.session_token.is_some())
            .field("policies", &self.policies.as_ref().map(Vec::len))
            .finish()
    }
}
