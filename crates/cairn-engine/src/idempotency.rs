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
    /// Which call claimed the token (random): a call whose claim was taken over
    /// (it stalled past the running limit) must not commit.
    #[serde(default)]
    claim: String,
}

/// What a call holding a claim on a shared store carries into its write
/// transaction: the token row must still be its claim, uncommitted, and is replaced
/// by the commit marker in the same transaction.
pub(crate) struct Guard {
    pub key: Vec<u8>,
    claim: String,
    pub marker: Vec<u8>,
}

impl Guard {
    /// Whether the token row read in the write transaction is still this claim.
    pub(crate) fn holds(&self, stored: Option<&[u8]>) -> bool {
        stored
            .and_then(|bytes| serde_json::from_slice::<StoredToken>(bytes).ok())
            .is_some_and(|t| t.claim == self.claim && !t.committed)
    }

    pub(crate) fn lost() -> ApiError {
        in_progress()
    }
}

fn row_of(tx: &mut dyn cairn_storage::Transaction, key: &[u8]) -> StorageResult<Option<StoredToken>> {
    Ok(tx
        .get(key)?
        .and_then(|bytes| serde_json::from_slice::<StoredToken>(&bytes).ok()))
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
    /// First use: run the transaction (with the guard, on a shared store), then
    /// `finish` or `abandon`.
    Run(Option<Guard>),
    /// Seen before with the same request: answer this without running.
    Replay(TransactWriteItemsOutput),
}

impl Tokens {
    /// Forgets every token held in memory (the store was restored from a test
    /// snapshot, so the calls they remember may never have happened).
    pub(crate) fn clear(&self) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

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
                Ok(Claim::Run(None))
            }
        }
    }

    pub(crate) fn finish(&self, token: &str, guard: Option<&Guard>, output: &TransactWriteItemsOutput) {
        if let Some(storage) = &self.shared {
            let key = token_key(token);
            let done = |tx: &mut dyn cairn_storage::Transaction| -> StorageResult<()> {
                let Some(mut stored) = row_of(tx, &key)? else {
                    return Ok(());
                };
                if guard.is_some_and(|g| g.claim != stored.claim) {
                    return Ok(());
                }
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

    /// A failed call does not consume its token. (On a shared store: only its own,
    /// uncommitted claim is released; a commit whose answer was lost did happen.)
    pub(crate) fn abandon(&self, token: &str, guard: Option<&Guard>) {
        if let Some(storage) = &self.shared {
            let key = token_key(token);
            if let Err(e) = in_transaction(storage.as_ref(), |tx| {
                let mine = row_of(tx, &key)?.is_some_and(|t| !t.committed && guard.is_some_and(|g| g.claim == t.claim));
                if mine {
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
        // Judged again inside the transaction: a token reused since the scan is
        // kept.
        let keys: Vec<&[u8]> = page.iter().map(|(k, _)| k.as_slice()).collect();
        for (key, value) in keys.iter().zip(tx.get_many(&keys)?) {
            let old = value.is_some_and(|v| {
                serde_json::from_slice::<StoredToken>(&v).map_or(true, |t| now - t.at >= TOKEN_LIFETIME_SECONDS)
            });
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
    // A serializable database may refuse a claim because of an unrelated claim
    // nearby (its predicate locks cover index pages, not single keys): try again,
    // and answer "in progress" only when the token's own row says so.
    let mut attempt = 0;
    loop {
        match try_claim(storage, token, fingerprint, now) {
            Err(StorageError::Conflict) if attempt < 16 => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(1 << attempt.min(5)));
            }
            Err(StorageError::Conflict) => return Err(in_progress()),
            Err(e) => return Err(stored_error(e)),
            Ok(claim) => return claim,
        }
    }
}

/// One attempt at `claim_stored`: the outer error is the storage's, the inner the
/// answer to the client.
fn try_claim(storage: &dyn Storage, token: &str, fingerprint: u64, now: f64) -> StorageResult<Result<Claim, ApiError>> {
    let key = token_key(token);
    let mut tx = storage.begin()?;
    let current = tx
        .get(&key)?
        .and_then(|bytes| serde_json::from_slice::<StoredToken>(&bytes).ok())
        .filter(|t| now - t.at < TOKEN_LIFETIME_SECONDS);
    match current {
        Some(t) if t.fingerprint != fingerprint => return Ok(Err(mismatch())),
        Some(StoredToken {
            output: Some(output), ..
        }) => return Ok(Ok(Claim::Replay(output))),
        // Committed, but its server died before recording the answer: the writes
        // stand, so a retry succeeds without applying them again.
        Some(StoredToken { committed: true, .. }) => return Ok(Ok(Claim::Replay(TransactWriteItemsOutput::default()))),
        Some(t) if now - t.at < RUNNING_LIMIT_SECONDS => return Ok(Err(in_progress())),
        _ => {}
    }
    let claim = uuid::Uuid::new_v4().simple().to_string();
    let mut row = StoredToken {
        fingerprint,
        at: now,
        output: None,
        committed: false,
        claim: claim.clone(),
    };
    let json = |row: &StoredToken| serde_json::to_vec(row).map_err(|e| StorageError::Other(e.to_string()));
    tx.put(&key, &json(&row)?);
    row.committed = true;
    let guard = Guard {
        key: key.clone(),
        claim,
        marker: json(&row)?,
    };
    tx.commit()?;
    Ok(Ok(Claim::Run(Some(guard))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::shared_memory;

    fn run(claim: Result<Claim, ApiError>) -> Option<Guard> {
        match claim {
            Ok(Claim::Run(guard)) => guard,
            _ => panic!("expected the call to run"),
        }
    }

    /// What the write transaction does with the guard: check, then commit the marker.
    fn commit_with(store: &Arc<dyn Storage>, guard: &Guard) -> bool {
        let mut tx = store.begin().unwrap();
        if !guard.holds(tx.get(&guard.key).unwrap().as_deref()) {
            return false;
        }
        tx.put(&guard.key, &guard.marker);
        tx.commit().unwrap();
        true
    }

    #[test]
    fn a_stored_token_replays_and_refuses_a_mismatch_across_servers() {
        let store = shared_memory();
        let (a, b) = (Tokens::new(&store), Tokens::new(&store));
        let guard = run(a.claim("t", 1, 0.0)).expect("a shared store guards the claim");
        assert_eq!(
            b.claim("t", 1, 1.0).err().map(|e| e.kind),
            Some(ErrorKind::TransactionInProgress),
            "the other server sees the call running"
        );
        assert!(commit_with(&store, &guard));
        a.finish("t", Some(&guard), &TransactWriteItemsOutput::default());
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
        assert!(matches!(b.claim("t", 2, 601.0), Ok(Claim::Run(_))));
    }

    #[test]
    fn a_committed_token_whose_answer_was_lost_replays_instead_of_running_again() {
        let store = shared_memory();
        let tokens = Tokens::new(&store);
        let guard = run(tokens.claim("t", 1, 0.0)).unwrap();
        // The transaction commits with its marker; the server dies before `finish`.
        assert!(commit_with(&store, &guard));
        tokens.abandon("t", Some(&guard));
        assert!(
            matches!(tokens.claim("t", 1, 120.0), Ok(Claim::Replay(_))),
            "a retry, even after the running limit, must not apply the writes twice"
        );
    }

    #[test]
    fn a_claim_that_never_committed_stops_blocking_after_the_running_limit() {
        let store = shared_memory();
        let tokens = Tokens::new(&store);
        let stalled = run(tokens.claim("t", 1, 0.0)).unwrap();
        assert_eq!(
            tokens.claim("t", 1, 59.0).err().map(|e| e.kind),
            Some(ErrorKind::TransactionInProgress)
        );
        let retry = run(tokens.claim("t", 1, 61.0)).unwrap();
        assert!(
            !commit_with(&store, &stalled),
            "the stalled call, taken over, must not commit its writes"
        );
        assert!(commit_with(&store, &retry), "the retry that took over commits");
        tokens.abandon("t", Some(&stalled));
        assert!(
            matches!(tokens.claim("t", 1, 62.0), Ok(Claim::Replay(_))),
            "the stalled call's abandon left the retry's commit alone"
        );
    }

    #[test]
    fn tokens_replay_mismatch_and_expire() {
        let tokens = Tokens::default();
        assert!(matches!(tokens.claim("t", 1, 0.0), Ok(Claim::Run(_))));
        assert_eq!(
            tokens.claim("t", 1, 1.0).err().map(|e| e.kind),
            Some(ErrorKind::TransactionInProgress)
        );
        tokens.finish("t", None, &TransactWriteItemsOutput::default());
        assert!(matches!(tokens.claim("t", 1, 2.0), Ok(Claim::Replay(_))));
        assert_eq!(
            tokens.claim("t", 2, 3.0).err().map(|e| e.kind),
            Some(ErrorKind::IdempotentParameterMismatch)
        );
        assert!(
            matches!(tokens.claim("t", 2, 601.0), Ok(Claim::Run(_))),
            "tokens expire after 10 minutes"
        );
        tokens.abandon("t", None);
        assert!(matches!(tokens.claim("t", 3, 602.0), Ok(Claim::Run(_))));
    }
}
