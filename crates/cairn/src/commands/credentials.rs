//! `cairn credentials add|list|remove`: manage the credentials file `cairn serve
//! --auth sigv4` reads (by default `DATA_DIR/credentials.json`, kept mode 0600). A
//! running server picks changes up on SIGHUP.

use cairn_auth::{Credentials, CredentialsFile, Policy, PrincipalEntry};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct CredentialsArgs {
    #[command(subcommand)]
    action: Action,
    /// Data directory whose `credentials.json` to manage.
    #[arg(long, env = "CAIRN_DATA_DIR", default_value = "./cairn-data", global = true)]
    data_dir: PathBuf,
    /// The credentials file itself (JSON, or TOML by extension); overrides --data-dir.
    #[arg(long, env = "CAIRN_CREDENTIALS", global = true)]
    file: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Add a principal; prints its access key id and secret.
    Add {
        /// The principal's name (its ARN is arn:aws:iam::ACCOUNT:user/NAME).
        #[arg(long)]
        name: String,
        /// Access key id to use; generated when omitted.
        #[arg(long)]
        access_key_id: Option<String>,
        /// Secret access key to use; generated when omitted. Prefer the environment
        /// variable: command lines are visible to other users of the machine.
        #[arg(long, env = "CAIRN_NEW_SECRET_ACCESS_KEY", hide_env_values = true)]
        secret_access_key: Option<String>,
        /// A file holding an IAM policy document (repeatable). Without any, the
        /// principal may do everything.
        #[arg(long = "policy")]
        policies: Vec<PathBuf>,
    },
    /// List principals and their access key ids (never secrets).
    List,
    /// Remove a principal by name or by access key id.
    Remove {
        #[arg(long, required_unless_present = "access_key_id")]
        name: Option<String>,
        #[arg(long)]
        access_key_id: Option<String>,
    },
}

/// Random upper-case letters and digits, from v4 UUIDs (the OS random source).
fn random_text(alphabet: &[u8], length: usize) -> String {
    let mut out = String::with_capacity(length);
    while out.len() < length {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            if out.len() < length {
                out.push(alphabet[usize::from(*byte) % alphabet.len()] as char);
            }
        }
    }
    out
}

pub fn run(args: CredentialsArgs) -> Result<(), String> {
    let path = args.file.unwrap_or_else(|| args.data_dir.join("credentials.json"));
    let mut file = if path.exists() {
        cairn_auth::credentials::check_file_is_private(&path)?;
        CredentialsFile::read(&path)?
    } else {
        CredentialsFile::default()
    };
    match args.action {
        Action::List => {
            for p in &file.principals {
                let policies = p
                    .policies
                    .as_ref()
                    .map_or("all actions".to_string(), |l| format!("{} policies", l.len()));
                let kind = if p.session_token.is_some() { " (temporary)" } else { "" };
                println!("{}\t{}{kind}\t{policies}", p.name, p.access_key_id);
            }
            return Ok(());
        }
        Action::Add {
            name,
            access_key_id,
            secret_access_key,
            policies,
        } => {
            const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let access_key_id = access_key_id.unwrap_or_else(|| format!("AKIA{}", random_text(UPPER, 16)));
            let secret_access_key = secret_access_key.unwrap_or_else(|| random_text(SECRET, 40));
            let documents = policies
                .iter()
                .map(|p| {
                    let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                    Policy::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?;
                    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
                })
                .collect::<Result<Vec<serde_json::Value>, String>>()?;
            file.principals.push(PrincipalEntry {
                name: name.clone(),
                access_key_id: access_key_id.clone(),
                secret_access_key: secret_access_key.clone(),
                session_token: None,
                expires: None,
                policies: (!documents.is_empty()).then_some(documents),
            });
            Credentials::from_file(&file, "000000000000")?;
            println!("name: {name}\naccess_key_id: {access_key_id}\nsecret_access_key: {secret_access_key}");
        }
        Action::Remove { name, access_key_id } => {
            let before = file.principals.len();
            file.principals.retain(|p| {
                !(name.as_deref() == Some(p.name.as_str())
                    || access_key_id.as_deref() == Some(p.access_key_id.as_str()))
            });
            if file.principals.len() == before {
                return Err("no principal matches".to_string());
            }
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    file.write(&path)?;
    eprintln!("wrote {} (a running server reloads it on SIGHUP)", path.display());
    Ok(())
}
