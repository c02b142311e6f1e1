//! ClientRequestToken idempotency for TransactWriteItems: a token seen within the
//! last 10 minutes returns the first call's result without applying it again.
//! Time comes from the engine's clock, so tests can move it.
//!
//! Tokens live in this process's memory: they survive neither a restart nor a
//! second server (the PostgreSQL backend will keep them in the database).

use cairn_model::types::TransactWriteItemsOutput;
use cairn_model::{ApiError, ErrorKind};
use std::collections::HashMap;
use std::sync::Mutex;

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
}

/// What a call with a token should do.
pub(crate) enum Claim {
    /// First use: run the transaction, then `finish` or `abandon`.
    Run,
    /// Seen before with the same request: answer this without running.
    Replay(TransactWriteItemsOutput),
}

impl Tokens {
    pub(crate) fn claim(&self, token: &str, fingerprint: u64, now: f64) -> Result<Claim, ApiError> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, e| now - e.at < TOKEN_LIFETIME_SECONDS);
        match entries.get(token) {
            Some(e) if e.fingerprint != fingerprint => Err(ApiError::new(
                ErrorKind::IdempotentParameterMismatch,
                "Request parameters do not match the parameters of an earlier request with the same ClientRequestToken",
            )),
            Some(Entry {
                state: State::Running, ..
            }) => Err(ApiError::new(
                ErrorKind::TransactionInProgress,
                "Transaction with the given ClientRequestToken is already in progress",
            )),
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

    pub(crate) fn finish(&self, token: &str, output: &TransactWriteItemsOutput) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = entries.get_mut(token) {
            e.state = State::Done(output.clone());
        }
    }

    /// A failed call does not consume its token.
    pub(crate) fn abandon(&self, token: &str) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
