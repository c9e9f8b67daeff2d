//! Break-glass passwords: Argon2id hashes, never the password itself.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The shortest break-glass password.
pub const MIN_CHARS: usize = 12;

/// Hashes `password` with Argon2id and a random salt (PHC string format).
pub fn hash(password: &str) -> Result<String, String> {
    if password.chars().count() < MIN_CHARS {
        return Err(format!(
            "a break-glass password has at least {MIN_CHARS} characters"
        ));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("random: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches `stored`. With no stored hash it still spends
/// the time of one verification, so that timing does not tell which
/// usernames have a password.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    // A hash of a random 16-byte password that nobody can know.
    const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$pCVSKsLbc5xGqaFxXQDBUdtHdB9ZdRvFQb8HHk3QIyU";
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (DECOY, false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains("correct horse"));
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("correct horse batterY", Some(&stored)));
        assert!(!verify("anything", None));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(hash("short").is_err());
    }
}
