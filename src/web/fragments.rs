//! HTML rendered once per change: the parts of a page that every viewer
//! who shares a key sees alike (a dashboard card in one zone, a note), kept
//! inside the memoised value (`web::memo`) they are made of.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::AppError;

/// HTML rendered from a memoised value, once for every viewer who shares a
/// key (zone, signed in or not, whether a card is theirs): kept inside the
/// value it is made of, so it lives and goes stale with it.
pub struct Fragments<K> {
    rendered: Mutex<HashMap<K, Arc<str>>>,
}

/// The most fragments one value keeps (beyond it, they start over).
const FRAGMENT_LIMIT: usize = 20_000;

impl<K> Default for Fragments<K> {
    fn default() -> Fragments<K> {
        Fragments {
            rendered: Mutex::default(),
        }
    }
}

impl<K: Hash + Eq> Fragments<K> {
    /// The HTML kept under `key`, or else what `render` makes of it, kept.
    pub fn get_or_render(
        &self,
        key: K,
        render: impl FnOnce() -> Result<String, askama::Error>,
    ) -> Result<Arc<str>, AppError> {
        let kept = |key: &K| {
            let rendered = self.rendered.lock().unwrap_or_else(PoisonError::into_inner);
            rendered.get(key).cloned()
        };
        if let Some(html) = kept(&key) {
            return Ok(html);
        }
        // Rendered outside the lock: two viewers at once may both render it.
        let html: Arc<str> = render().map_err(AppError::internal)?.into();
        let mut rendered = self.rendered.lock().unwrap_or_else(PoisonError::into_inner);
        if rendered.len() >= FRAGMENT_LIMIT {
            rendered.clear();
        }
        rendered.insert(key, html.clone());
        Ok(html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_is_rendered_once_per_key() {
        let fragments: Fragments<(&str, bool)> = Fragments::default();
        let mut renders = 0;
        let mut render = |html: &str| {
            renders += 1;
            Ok(html.to_owned())
        };
        let first = fragments.get_or_render(("UTC", true), || render("<p>a</p>"));
        assert_eq!(&*first.unwrap(), "<p>a</p>");
        let again = fragments.get_or_render(("UTC", true), || render("<p>b</p>"));
        assert_eq!(&*again.unwrap(), "<p>a</p>", "kept, not rendered again");
        let other = fragments.get_or_render(("UTC", false), || render("<p>c</p>"));
        assert_eq!(&*other.unwrap(), "<p>c</p>");
        assert_eq!(renders, 2);
    }
}
