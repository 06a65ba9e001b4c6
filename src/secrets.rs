//! Secrets: the bearer token, the client secret and every fetched token, each
//! kept in a [`Secret`] that never prints itself, and the one [`Redactor`] that
//! hides every one of them, in every encoding, from every output of a run.
//!
//! Nothing here depends on the rest of the crate: `auth` and `client` use it,
//! and every report renders through [`Redactor::redact`].

mod decoded;
mod encoded;

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, RwLock};

/// What a hidden secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The fewest characters a secret may have. A shorter one cannot be told apart
/// from ordinary text: hiding `ab` would hide it in every word, so it is
/// refused up front ([`Secret::accept`]) rather than printed or hidden badly.
/// Real bearer tokens and client secrets are far longer.
pub const MIN_LEN: usize = 8;

/// A token or a client secret: its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret as given, whatever its length (for values the program chose
    /// itself, such as the embedded server's token). Values from the user go
    /// through [`Secret::accept`].
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// A secret from `setting` (how the user gave it, e.g. `--token (or
    /// VCC_TOKEN)`), refused when it is too short to be hidden safely.
    pub fn accept(value: impl Into<String>, setting: &str) -> Result<Secret, SecretError> {
        let secret = Secret(value.into());
        secret.check(setting)?;
        Ok(secret)
    }

    /// `Err` when this secret is shorter than [`MIN_LEN`] characters; `setting`
    /// names where it came from.
    pub fn check(&self, setting: &str) -> Result<(), SecretError> {
        let chars = self.0.chars().count();
        match chars < MIN_LEN {
            true => Err(SecretError::TooShort { setting: setting.to_owned(), chars }),
            false => Ok(()),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A secret that cannot be used. The run cannot start: exit status 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretError {
    /// Shorter than [`MIN_LEN`] characters.
    TooShort { setting: String, chars: usize },
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::TooShort { setting, chars } => write!(
                f,
                "{setting} is {chars} characters long: a secret shorter than {MIN_LEN} characters cannot be \
                 hidden from the reports without hiding ordinary text too, so it is refused"
            ),
        }
    }
}

impl std::error::Error for SecretError {}

/// The one redactor of a run: every secret it was told of, hidden from any
/// text in every encoding an echo or a report may give it (see [`encoded`]):
/// as is or case-changed; JSON- or JavaScript-escaped (`\/`, `\uXXXX`, `\"`,
/// `\\`, `\xHH`); percent- or form-encoded, also twice or more; HTML-escaped
/// (entities with or without `;`); those escapes mixed and nested; cut across
/// two lines or two headers; in hex; and in base64 (alone, inside any base64
/// text, wrapped at any width, and as Basic credentials `user:secret`). The
/// work is linear in the text: a few passes at most, each one scan.
///
/// Cheap to clone: clones share the list, so a token fetched later (and told
/// to one clone) is hidden by all, and one forgotten is forgotten by all.
/// Redact a text whole, before shortening it: a secret cut in two by the
/// shortening cannot be recognised.
#[derive(Clone, Default)]
pub struct Redactor(Arc<RwLock<encoded::Needles>>);

impl Redactor {
    /// A redactor that hides nothing yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// A redactor hiding these secrets.
    pub fn of<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let redactor = Redactor::new();
        for secret in secrets {
            redactor.hide(secret);
        }
        redactor
    }

    /// Hides this secret too, from now on (an empty one hides nothing).
    pub fn hide(&self, secret: &Secret) {
        self.write().add(secret.expose(), None);
    }

    /// Hides this secret, and the Basic credentials `user:secret` (base64).
    pub fn hide_basic(&self, user: &str, secret: &Secret) {
        self.write().add(secret.expose(), Some(user));
    }

    /// Takes back one [`Redactor::hide`] of this secret: once each is taken
    /// back (a token that nothing can echo any more), it is no longer hidden.
    pub fn forget(&self, secret: &Secret) {
        self.write().remove(secret.expose(), None);
    }

    /// Whether no secret is hidden (no token is sent).
    pub fn is_empty(&self) -> bool {
        self.0.read().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    /// How many secrets are hidden (a secret and its Basic credentials count apart).
    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// `text` with every secret, in every encoding, replaced by [`REDACTED`].
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).redact(text)
    }

    /// Name and value pairs (headers) with their secrets hidden as the
    /// redactor sees them in a block, one `name: value` a line, so that a
    /// secret split across two headers in a row is hidden too. Should hiding
    /// join lines, the pairs past them are `[redacted]`.
    pub fn redact_pairs(&self, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        let block: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        let block = block.join("\n");
        let hidden = self.redact(&block);
        if hidden == block {
            return pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        }
        let mut lines = hidden.split('\n');
        pairs
            .iter()
            .map(|(name, _)| match lines.next().map(|l| l.split_once(": ").unwrap_or((l, ""))) {
                Some((n, v)) => (n.to_owned(), v.to_owned()),
                None => ((*name).to_owned(), "[redacted]".to_owned()),
            })
            .collect()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, encoded::Needles> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_itself() {
        let s = Secret::new("tok-123");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "tok-123");
    }

    #[test]
    fn short_secrets_are_refused_naming_the_setting() {
        let err = Secret::accept("abc1234", "--token (or VCC_TOKEN)").unwrap_err();
        assert_eq!(err, SecretError::TooShort { setting: "--token (or VCC_TOKEN)".into(), chars: 7 });
        let text = err.to_string();
        assert!(text.starts_with("--token (or VCC_TOKEN) is 7 characters long") && text.contains("shorter than 8"), "{text}");
        assert!(!text.contains("abc1234"), "{text}");
        // Characters, not bytes: four two-byte characters are still too short.
        assert!(Secret::accept("éééé", "x").is_err());
        assert_eq!(Secret::accept("abcd1234", "x").unwrap().expose(), "abcd1234");
    }

    #[test]
    fn clones_share_what_they_hide() {
        let redactor = Redactor::new();
        assert!(redactor.is_empty());
        let clone = redactor.clone();
        clone.hide(&Secret::new("fetched-later-42"));
        assert!(!redactor.is_empty());
        assert_eq!(redactor.redact("got fetched-later-42."), "got [redacted].");
        assert!(matches!(redactor.redact("nothing secret"), Cow::Borrowed("nothing secret")));
        redactor.hide(&Secret::new(""));
        assert_eq!(Redactor::new().redact("anything"), "anything");
    }

    #[test]
    fn a_secret_hidden_twice_is_forgotten_after_both_are_taken_back() {
        let redactor = Redactor::new();
        let (token, other) = (Secret::new("token-told-twice"), Secret::new("another-token-1"));
        redactor.hide(&token);
        redactor.hide(&token);
        redactor.hide(&other);
        assert_eq!(redactor.len(), 2);
        redactor.forget(&token);
        assert_eq!(redactor.redact("token-told-twice"), "[redacted]", "still hidden for the other teller");
        redactor.forget(&token);
        assert_eq!(redactor.redact("token-told-twice another-token-1"), "token-told-twice [redacted]");
        assert_eq!(redactor.len(), 1);
        redactor.forget(&token);
        redactor.forget(&other);
        assert!(redactor.is_empty());
        assert_eq!(redactor.redact("another-token-1"), "another-token-1");
    }

    #[test]
    fn several_secrets_are_hidden_at_once() {
        let redactor = Redactor::of(&[Secret::new("first-secret-1"), Secret::new("second-secret-2")]);
        assert_eq!(redactor.redact("first-secret-1 and second-secret-2"), "[redacted] and [redacted]");
    }

    #[test]
    fn a_secret_split_across_two_headers_in_a_row_is_hidden_in_both() {
        let redactor = Redactor::of(&[Secret::new("split-token-9Qx4Lm")]);
        let pairs = [("X-Echo", "split-tok"), ("X-Part", "en-9Qx4Lm"), ("Server", "kept")];
        let hidden = redactor.redact_pairs(&pairs);
        let all = format!("{hidden:?}");
        assert!(!all.contains("split-tok") && !all.contains("9Qx4Lm"), "{all}");
        assert_eq!(hidden[2], ("Server".to_owned(), "kept".to_owned()));
        let each: Vec<String> = pairs.iter().map(|(_, v)| redactor.redact(v).into_owned()).collect();
        assert!(each.concat().contains("split-tok"), "each value alone hides nothing: {each:?}");
    }
}
