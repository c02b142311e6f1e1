//! ClientRequestToken idempotency for TransactWriteItems: a token seen within the
//! last 10 minutes returns the first call's result without applying it again.
//! Time comes from the engine's clock, so tests can move it.
//!
//! On a store nobody else shares, tokens live in this process's memory (they do
//! not survive a restart). On a shared store (several servers over PostgreSQL) they
//! are rows `mtoken/TOKEN` in the store, so a retry that lands on another server is
//! recognised too; the background worker deletes rows past their lifetime.

use cairn_model::types::TransactWriteItemsOutput;
use cairn_model::{ApiError, ErrorKind};
use cairn_storage::{ScanRange, Storage, StorageError, StorageResult};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long DynamoDB remembers a client request token.
pub(crate) const TOKEN_LIFETIME_SECONDS: f64 = 600.0;

enum State {
    Running,
    Done(TransactWriteItemsOutput),
}

struct Entry {
    fingerprint: u64,
    at: f64,
    state: State,
}

#[derive(Default)]
pub(crate) struct Tokens {
    entries: Mutex<HashMap<String, Entry>>,
    /// The store, when other servers share it: tokens are kept there instead.
    shared: Option<Arc<dyn Storage>>,
}

/// A call that claimed a token and never finished (its server died) stops blocking
/// retries after this long.
const RUNNING_LIMIT_SECONDS: f64 = 60.0;

const TOKEN_PREFIX: &[u8] = b"mtoken/";

fn token_key(token: &str) -> Vec<u8> {
    let mut key = TOKEN_PREFIX.to_vec();
    key.extend_from_slice(token.as_bytes());
    key
}

/// A token as kept in a shared store.
#[derive(Serialize, Deserialize)]
struct StoredToken {
    fingerprint: u64,
    at: f64,
    /// None while the call runs.
    output: Option<TransactWriteItemsOutput>,
    /// Written in the transaction's own storage transaction: true exactly when its
    /// writes committed, even if the server died before recording `output`.
    #[serde(default)]
    committed: bool,
}

fn mismatch() -> ApiError {
    ApiError::new(
        ErrorKind::IdempotentParameterMismatch,
        "Request parameters do not match the parameters of an earlier request with the same ClientRequestToken",
    )
}

fn in_progress() -> ApiError {
    ApiError::new(
        ErrorKind::TransactionInProgress,
        "Transaction with the given ClientRequestToken is already in progress",
    )
}

fn stored_error(e: StorageError) -> ApiError {
    crate::storage_error(e)
}

/// What a call with a token should do.
pub(crate) enum Claim {
    /// First use: run the transaction, then `finish` or `abandon`.
    Run,
    /// Seen before with the same request: answer this without running.
    Replay(TransactWriteItemsOutput),
}

impl Tokens {
    pub(crate) fn new(storage: &Arc<dyn Storage>) -> Tokens {
        Tokens {
            entries: Mutex::default(),
            shared: storage.shared().then(|| Arc::clone(storage)),
        }
    }

    pub(crate) fn claim(&self, token: &str, fingerprint: u64, now: f64) -> Result<Claim, ApiError> {
        if let Some(storage) = &self.shared {
            return claim_stored(storage.as_ref(), token, fingerprint, now);
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, e| now - e.at < TOKEN_LIFETIME_SECONDS);
        match entries.get(token) {
            Some(e) if e.fingerprint != fingerprint => Err(mismatch()),
            Some(Entry {
                state: State::Running, ..
            }) => Err(in_progress()),
            Some(Entry {
                state: State::Done(output),
                ..
            }) => Ok(Claim::Replay(output.clone())),
            None => {
                entries.insert(
                    token.to_string(),
                    Entry {
                        fingerprint,
                        at: now,
                        state: State::Running,
                    },
                );
                Ok(Claim::Run)
            }
        }
    }

    /// On a shared store, the row to write in the transaction itself, marking the
    /// token's writes committed (see `StoredToken::committed`).
    pub(crate) fn commit_marker(&self, token: &str, fingerprint: u64, now: f64) -> Option<(Vec<u8>, Vec<u8>)> {
        self.shared.as_ref()?;
        let row = StoredToken {
            fingerprint,
            at: now,
            output: None,
            committed: true,
        };
        Some((token_key(token), serde_json::to_vec(&row).ok()?))
    }

    pub(crate) fn finish(&self, token: &str, output: &TransactWriteItemsOutput) {
        if let Some(storage) = &self.shared {
            let done = |tx: &mut dyn cairn_storage::Transaction| -> StorageResult<()> {
                let key = token_key(token);
                let Some(bytes) = tx.get(&key)? else { return Ok(()) };
                let Ok(mut stored) = serde_json::from_slice::<StoredToken>(&bytes) else {
                    return Ok(());
                };
                stored.output = Some(output.clone());
                tx.put(&key, &serde_json::to_vec(&stored).unwrap_or_default());
                Ok(())
            };
            if let Err(e) = in_transaction(storage.as_ref(), done) {
                tracing::warn!(error = %e, "recording a finished ClientRequestToken failed");
            }
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = entries.get_mut(token) {
            e.state = State::Done(output.clone());
        }
    }

    /// A failed call does not consume its token. (On a shared store, unless its
    /// commit marker is there: a commit whose answer was lost did happen.)
    pub(crate) fn abandon(&self, token: &str) {
        if let Some(storage) = &self.shared {
            let key = token_key(token);
            if let Err(e) = in_transaction(storage.as_ref(), |tx| {
                let committed = tx
                    .get(&key)?
                    .and_then(|bytes| serde_json::from_slice::<StoredToken>(&bytes).ok())
                    .is_some_and(|t| t.committed);
                if !committed {
                    tx.delete(&key);
                }
                Ok(())
            }) {
                tracing::warn!(error = %e, "releasing a ClientRequestToken failed");
            }
            return;
        }
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
    }
}

/// Deletes stored tokens past their lifetime (the background worker, shared stores
/// only); returns how many went.
pub(crate) fn expire_stored(storage: &dyn Storage, now: f64) -> StorageResult<usize> {
    let mut expired = 0;
    let mut range = ScanRange::prefix(TOKEN_PREFIX);
    loop {
        let page = storage.scan(&range, 512)?;
        let mut tx = storage.begin()?;
        for (key, value) in &page {
            let old =
                serde_json::from_slice::<StoredToken>(value).map_or(true, |t| now - t.at >= TOKEN_LIFETIME_SECONDS);
            if old {
                tx.delete(key);
                expired += 1;
            }
        }
        tx.commit()?;
        match page.last() {
            Some((key, _)) if page.len() == 512 => range.start = std::ops::Bound::Excluded(key.clone()),
            _ => return Ok(expired),
        }
    }
}

/// Runs `body` in a transaction, retrying when it loses a race.
fn in_transaction(
    storage: &dyn Storage,
    mut body: impl FnMut(&mut dyn cairn_storage::Transaction) -> StorageResult<()>,
) -> StorageResult<()> {
    let mut attempt = 0;
    loop {
        let mut tx = storage.begin()?;
        body(tx.as_mut())?;
        match tx.commit() {
            Err(StorageError::Conflict) if attempt < 16 => attempt += 1,
            other => return other,
        }
    }
}

/// `Tokens::claim` on a shared store: the token row is read and, for a first use,
/// written in one transaction, so two servers given one token at once cannot both
/// run it (one conflicts and answers TransactionInProgress).
fn claim_stored(storage: &dyn Storage, token: &str, fingerprint: u64, now: f64) -> Result<Claim, ApiError> {
    let key = token_key(token);
    let mut tx = storage.begin().map_err(stored_error)?;
    let current = tx
        .get(&key)
        .map_err(stored_error)?
        .and_then(|bytes| serde_json::from_slice::<StoredToken>(&bytes).ok())
        .filter(|t| now - t.at < TOKEN_LIFETIME_SECONDS);
    match current {
        Some(t) if t.fingerprint != fingerprint => return Err(mismatch()),
        Some(StoredToken {
            output: Some(output), ..
        }) => return Ok(Claim::Replay(output)),
        // Committed, but its server died before recording the answer: the writes
        // stand, so a retry succeeds without applying them again.
        Some(StoredToken { committed: true, .. }) => return Ok(Claim::Replay(TransactWriteItemsOutput::default())),
        Some(t) if now - t.at < RUNNING_LIMIT_SECONDS => return Err(in_progress()),
        _ => {}
    }
    let row = StoredToken {
        fingerprint,
        at: now,
        output: None,
        committed: false,
    };
    tx.put(
        &key,
        &serde_json::to_vec(&row).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    match tx.commit() {
        Ok(()) => Ok(Claim::Run),
        Err(StorageError::Conflict) => Err(in_progress()),
        Err(e) => Err(stored_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::shared_memory;

    #[test]
    fn a_stored_token_replays_and_refuses_a_mismatch_across_servers() {
        let store = shared_memory();
        let (a, b) = (Tokens::new(&store), Tokens::new(&store));
        assert!(matches!(a.claim("t", 1, 0.0), Ok(Claim::Run)));
        assert_eq!(
            b.claim("t", 1, 1.0).err().map(|e| e.kind),
            Some(ErrorKind::TransactionInProgress),
            "the other server sees the call running"
        );
        a.finish("t", &TransactWriteItemsOutput::default());
        assert!(matches!(b.claim("t", 1, 2.0), Ok(Claim::Replay(_))));
        assert_eq!(
            b.claim("t", 2, 3.0).err().map(|e| e.kind),
            Some(ErrorKind::IdempotentParameterMismatch)
        );
        assert_eq!(expire_stored(store.as_ref(), 599.0).unwrap(), 0);
        assert_eq!(
            expire_stored(store.as_ref(), 600.0).unwrap(),
            1,
            "gone after 10 minutes"
        );
        assert!(matches!(b.claim("t", 2, 601.0), Ok(Claim::Run)));
    }

    #[test]
    fn a_committed_token_whose_answer_was_lost_replays_instead_of_running_again() {
        let store = shared_memory();
        let tokens = Tokens::new(&store);
        assert!(matches!(tokens.claim("t", 1, 0.0), Ok(Claim::Run)));
        // The transaction commits with its marker; the server dies before `finish`.
        let (key, value) = tokens.commit_marker("t", 1, 0.0).expect("a shared store marks commits");
        let mut tx = store.begin().unwrap();
        tx.put(&key, &value);
        tx.commit().unwrap();
        tokens.abandon("t");
        assert!(
            matches!(tokens.claim("t", 1, 120.0), Ok(Claim::Replay(_))),
            "a retry, even after the running limit, must not apply the writes twice"
        );
    }

    #[test]
    fn a_claim_that_never_committed_stops_blocking_after_the_running_limit() {
        let store = shared_memory();
        let tokens = Tokens::new(&store);
        assert!(matches!(tokens.claim("t", 1, 0.0), Ok(Claim::Run)));
        assert_eq!(
            tokens.claim("t", 1, 59.0).err().map(|e| e.kind),
            Some(ErrorKind::TransactionInProgress)
        );
        assert!(matches!(tokens.claim("t", 1, 61.0), Ok(Claim::Run)));
    }

    #[test]
    fn tokens_replay_mismatch_and_expire() {
        let tokens = Tokens::default();
        assert!(matches!(tokens.claim("t", 1, 0.0), Ok(Claim::Run)));
        assert_eq!(
            tokens.claim("t", 1, 1.0).err().map(|e| e.kind),
            Some(ErrorKind::TransactionInProgress)
        );
        tokens.finish("t", &TransactWriteItemsOutput::default());
        assert!(matches!(tokens.claim("t", 1, 2.0), Ok(Claim::Replay(_))));
        assert_eq!(
            tokens.claim("t", 2, 3.0).err().map(|e| e.kind),
            Some(ErrorKind::IdempotentParameterMismatch)
        );
        assert!(
            matches!(tokens.claim("t", 2, 601.0), Ok(Claim::Run)),
            "tokens expire after 10 minutes"
        );
        tokens.abandon("t");
        assert!(matches!(tokens.claim("t", 3, 602.0), Ok(Claim::Run)));
    }
}
