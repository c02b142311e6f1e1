//! The server key that authenticates shard iterators. An iterator carries its stream
//! ARN, shard, position and issue time; an HMAC-SHA256 under this key makes it
//! tamper-proof, so a client cannot extend its expiry or point it at another region's
//! or table's stream. The key is random, made once and kept in the store, so every
//! server over the same store (and every restart) accepts the same iterators.

use cairn_storage::{Storage, StorageError, StorageResult};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const KEY: &[u8] = b"mshard_iterator_key";

pub(crate) struct IteratorKey([u8; 32]);

impl IteratorKey {
    /// Loads the store's key, creating it on first use.
    pub(crate) fn load_or_create(storage: &dyn Storage) -> StorageResult<IteratorKey> {
        loop {
            let mut tx = storage.begin()?;
            if let Some(bytes) = tx.get(KEY)? {
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| StorageError::Corruption("shard iterator key has the wrong length".into()))?;
                return Ok(IteratorKey(key));
            }
            let mut key = [0u8; 32];
            key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
            key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
            tx.put(KEY, &key);
            match tx.commit() {
                Ok(()) => return Ok(IteratorKey(key)),
                // Another server created it first: read theirs.
                Err(StorageError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // INVARIANT: HMAC accepts keys of any length, so this cannot fail.
        #[allow(clippy::expect_used)]
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length")
    }

    /// `text` followed by its signature, as hex.
    pub(crate) fn sign(&self, text: &str) -> String {
        let mut mac = self.mac();
        mac.update(text.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut out = hex(text.as_bytes());
        out.push('.');
        out.push_str(&hex(&tag));
        out
    }

    /// The text of a signed iterator, if its signature is this key's.
    pub(crate) fn verify(&self, signed: &str) -> Option<String> {
        let (text_hex, tag_hex) = signed.split_once('.')?;
        let text = unhex(text_hex)?;
        let tag = unhex(tag_hex)?;
        let mut mac = self.mac();
        mac.update(&text);
        mac.verify_slice(&tag).ok()?;
        String::from_utf8(text).ok()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_storage::MemoryStorage;

    #[test]
    fn a_signed_text_verifies_and_any_change_does_not() {
        let storage = MemoryStorage::new();
        let key = IteratorKey::load_or_create(&storage).unwrap();
        let signed = key.sign("arn|0|5|100");
        assert_eq!(key.verify(&signed).as_deref(), Some("arn|0|5|100"));
        let (text, tag) = signed.split_once('.').unwrap();
        let forged_text = format!("{}.{tag}", hex(b"arn|0|5|999"));
        assert_eq!(key.verify(&forged_text), None);
        let mut bad_tag = tag.to_string();
        bad_tag.replace_range(0..2, if &tag[0..2] == "00" { "01" } else { "00" });
        assert_eq!(key.verify(&format!("{text}.{bad_tag}")), None);
        assert_eq!(key.verify(text), None);
    }

    #[test]
    fn the_key_is_kept_in_the_store() {
        let storage = MemoryStorage::new();
        let first = IteratorKey::load_or_create(&storage).unwrap();
        let again = IteratorKey::load_or_create(&storage).unwrap();
        assert_eq!(first.0, again.0);
        let other = IteratorKey::load_or_create(&MemoryStorage::new()).unwrap();
        assert_ne!(first.0, other.0);
    }
}
