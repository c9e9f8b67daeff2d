//! What pages are made of, worked out from the database once per change.
//!
//! A kept page (`cache.rs`) is one caller's page at one address. What the
//! page is made of is mostly the same for every caller: who is on call, the
//! open handoffs with their links, people and carry-over, a handoff's
//! notes. A [`Memo`] keeps such a value exactly as fresh as a kept page
//! (until anything is written, or [`PAGE_TTL`]), so that a page rendered
//! for a new caller, a new address or a new zone reads no table at all
//! while nothing changed, and the first look after a change loads it once
//! however many people look at the same moment.

use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use super::Viewer;
use super::cache::{Changes, KeptMap, PAGE_TTL};
use super::notices::Notices;
use crate::db::DbConnection;
use crate::db::models::schedule::{self, RoleOnCall};
use crate::domain::time;
use crate::error::AppError;

/// How many keys of one memo may load at once (each key always behind the
/// same lock).
const LOADING_LOCKS: usize = 8;

/// Values kept under a key, at most `limit` of them.
pub struct Memo<K, V> {
    kept: KeptMap<K, Arc<V>>,
    /// One is held while a value is loaded, chosen by its key: who waits
    /// on it finds that value, and other keys mostly load meanwhile.
    loading: [Mutex<()>; LOADING_LOCKS],
    limit: usize,
}

impl<K: Hash + Eq, V> Memo<K, V> {
    /// An empty memo of at most `limit` values.
    pub fn new(limit: usize) -> Memo<K, V> {
        Memo {
            kept: KeptMap::new(PAGE_TTL),
            loading: Default::default(),
            limit,
        }
    }

    fn loading_lock(&self, key: &K) -> &Mutex<()> {
        use std::hash::{BuildHasher, RandomState};
        static STRIPES: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
        let hash = STRIPES.get_or_init(RandomState::new).hash_one(key);
        &self.loading[hash as usize % LOADING_LOCKS]
    }

    /// The value kept under `key`, if nothing was written since it was loaded.
    pub fn get(&self, changes: &Changes, key: &K) -> Option<Arc<V>> {
        self.kept.get(key, changes.generation())
    }

    /// The value kept under `key`, or else what `load` gives, kept. One
    /// load of a key at a time: a stampede after a write loads the value
    /// once, and everyone else waits for it.
    pub fn get_or_load(
        &self,
        changes: &Changes,
        key: K,
        load: impl FnOnce() -> Result<V, AppError>,
    ) -> Result<Arc<V>, AppError> {
        if let Some(value) = self.get(changes, &key) {
            return Ok(value);
        }
        let _loading = self
            .loading_lock(&key)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = self.get(changes, &key) {
            return Ok(value);
        }
        // Read before loading: a write while loading makes the value stale.
        let generation = changes.generation();
        let value = Arc::new(load()?);
        self.kept.keep(
            key,
            generation,
            value.clone(),
            changes.generation(),
            |entries| entries.len() > self.limit,
        );
        Ok(value)
    }
}

/// Who is on call, as loaded at `now`.
pub struct OnCallNow {
    /// When it was loaded.
    pub now: chrono::DateTime<chrono::Utc>,
    /// Every role with a current or upcoming shift.
    pub roles: Vec<RoleOnCall>,
}

/// What pages are made of, worked out once per change (see `web::memo`).
pub struct Memos {
    /// Who is on call now: the header of every page, the dashboard.
    pub on_call: Memo<(), OnCallNow>,
    /// A signed-in user's notices, by user id and zone.
    notices: Memo<(String, String), Notices>,
    /// The dashboard's open handoffs, for signed-in viewers or not.
    pub dashboard: Memo<bool, super::dashboard::Shared>,
    /// The dashboard's part for one viewer, by user id and zone.
    pub personal: Memo<(String, String), super::dashboard::Personal>,
    /// A handoff's page without its viewer, by handoff id.
    pub handoffs: Memo<String, super::handoffs::Shared>,
    /// `GET /api/v1/handoffs` as JSON, by query string: every caller with a
    /// token is answered alike.
    pub api_lists: Memo<String, actix_web::web::Bytes>,
}

impl Default for Memos {
    fn default() -> Memos {
        Memos {
            on_call: Memo::new(1),
            notices: Memo::new(1_000),
            dashboard: Memo::new(2),
            personal: Memo::new(1_000),
            handoffs: Memo::new(200),
            api_lists: Memo::new(64),
        }
    }
}

impl Memos {
    /// Who is on call now, loaded at most once per change.
    pub fn on_call_now(
        &self,
        conn: &mut DbConnection,
        changes: &Changes,
    ) -> Result<Arc<OnCallNow>, AppError> {
        self.on_call.get_or_load(changes, (), || {
            let now = time::now();
            Ok(OnCallNow {
                now,
                roles: schedule::on_call(conn, now)?,
            })
        })
    }

    fn notices_key(viewer: &Viewer) -> Option<(String, String)> {
        let user = viewer.user.as_ref()?;
        Some((user.id.clone(), viewer.tz.name().to_owned()))
    }

    /// The viewer's notices when they are kept (none for a signed-out viewer).
    pub fn notices_of(&self, changes: &Changes, viewer: &Viewer) -> Option<Arc<Notices>> {
        match Memos::notices_key(viewer) {
            Some(key) => self.notices.get(changes, &key),
            None => Some(Default::default()),
        }
    }

    /// The viewer's notices, loaded at most once per change.
    pub fn notices_for(
        &self,
        conn: &mut DbConnection,
        changes: &Changes,
        viewer: &Viewer,
    ) -> Result<Arc<Notices>, AppError> {
        match Memos::notices_key(viewer) {
            Some(key) => self
                .notices
                .get_or_load(changes, key, || super::notices::for_viewer(conn, viewer)),
            None => Ok(Default::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_loaded_once_until_something_is_written() {
        let changes = Changes::default();
        let memo: Memo<&str, u32> = Memo::new(4);
        let mut loads = 0;
        let mut load = |v| {
            loads += 1;
            Ok(v)
        };
        assert_eq!(*memo.get_or_load(&changes, "a", || load(1)).unwrap(), 1);
        assert_eq!(*memo.get_or_load(&changes, "a", || load(2)).unwrap(), 1);
        changes.bump();
        assert!(memo.get(&changes, &"a").is_none());
        assert_eq!(*memo.get_or_load(&changes, "a", || load(3)).unwrap(), 3);
        assert_eq!(loads, 2);
    }

    #[test]
    fn a_failed_load_keeps_nothing() {
        let changes = Changes::default();
        let memo: Memo<(), u32> = Memo::new(1);
        let failed = memo.get_or_load(&changes, (), || Err(AppError::internal("down")));
        assert!(failed.is_err());
        assert!(memo.get(&changes, &()).is_none());
    }

    #[test]
    fn a_write_while_loading_leaves_the_value_stale() {
        let changes = Changes::default();
        let memo: Memo<(), u32> = Memo::new(1);
        let value = memo.get_or_load(&changes, (), || {
            changes.bump();
            Ok(7)
        });
        assert_eq!(*value.unwrap(), 7, "the caller still gets what it loaded");
        assert!(memo.get(&changes, &()).is_none());
    }
}
