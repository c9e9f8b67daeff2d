//! Who is calling, and whether they may: one middleware resolves the
//! caller (session cookie for pages, bearer token for the API) and checks
//! the route table's access rule before any handler runs.

use std::net::IpAddr;
use std::rc::Rc;

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, http::Method, http::header, web};

use crate::db::models::users::User;
use crate::db::models::{sessions, tokens};
use crate::domain::time;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::cache::KeptAs;
use crate::web::respond::ApiError;

/// The session keys of a signed-in browser.
pub const SESSION_USER: &str = "user_id";
/// The server-side session row the cookie belongs to.
pub const SESSION_ID: &str = "sid";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health checks, the stylesheet, signing in).
    Public,
    /// Signed-in users; signed-out visitors too with `BATON_PUBLIC_READ=1` (pages only).
    Read,
    /// Any signed-in user (their own profile, signing out).
    SignedIn,
    /// Responders and admins.
    Write,
    /// Admins.
    Admin,
}

/// The access rule of each method of one path.
#[derive(Debug, Clone, Default)]
pub struct Rules(Vec<(Method, Access)>);

impl Rules {
    /// Rules from (method, access) pairs.
    pub fn new(rules: Vec<(Method, Access)>) -> Rules {
        Rules(rules)
    }

    /// Adds the rule of one more method.
    pub fn push(&mut self, method: Method, access: Access) {
        self.0.push((method, access));
    }

    /// The rule for `method`; `HEAD` follows `GET`. `None`: the path does not
    /// answer this method.
    pub fn access(&self, method: &Method) -> Option<Access> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.0
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, access)| *access)
    }

    /// The `Allow` header's value: every method the path answers.
    pub fn allow(&self) -> String {
        let mut methods: Vec<&str> = Vec::new();
        for (method, _) in &self.0 {
            methods.push(method.as_str());
            if method == Method::GET {
                methods.push("HEAD");
            }
        }
        methods.join(", ")
    }
}

/// The caller, resolved once per request.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The signed-in (or token-holding) active user.
    pub user: Option<User>,
    /// The server-side session, for pages.
    pub session_id: Option<String>,
    /// What this caller's responses are kept under (see `cache`): its
    /// session, or its token's hash.
    pub kept_as: Option<String>,
}

/// The client's address: the peer's, or, when the peer is a trusted proxy
/// (`BATON_TRUSTED_PROXIES`), the nearest address in `X-Forwarded-For` that
/// is not itself a trusted proxy. Entries a client wrote further left are
/// never believed over a proxy's.
pub fn client_address(req: &HttpRequest) -> String {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    address_behind_proxies(
        req.peer_addr().map(|a| a.ip()),
        &forwarded.join(","),
        trusted,
    )
}

/// [`client_address`]'s rule, on plain values.
fn address_behind_proxies(
    peer: Option<IpAddr>,
    forwarded: &str,
    trusted: &[ipnet::IpNet],
) -> String {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let Some(mut client) = peer else {
        return "-".into();
    };
    if is_trusted(&client) {
        for hop in forwarded
            .rsplit(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
        {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !is_trusted(&ip) {
                break;
            }
        }
    }
    client.to_string()
}

fn bearer(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
}

/// The session key of the day the cookie was last issued.
const COOKIE_DAY: &str = "day";

/// Issues the cookie again, with a fresh lifetime, once a day of use: the
/// cookie outlives a week of daily use like the server-side session it names,
/// without being encrypted again on every request.
pub fn renew_cookie(session: &actix_session::Session) {
    let today = time::now().timestamp() / 86_400;
    if session.get::<i64>(COOKIE_DAY).ok().flatten() != Some(today) {
        let _ = session.insert(COOKIE_DAY, today);
    }
}

/// Resolves the caller of a page from its session cookie.
async fn from_session(req: &ServiceRequest, state: &AppState) -> Result<Identity, AppError> {
    let session = req.get_session();
    let user_id = session.get::<String>(SESSION_USER).unwrap_or(None);
    let session_id = session.get::<String>(SESSION_ID).unwrap_or(None);
    let (Some(user_id), Some(session_id)) = (user_id, session_id) else {
        return Ok(Identity::default());
    };
    let kept_as = format!("session {session_id} {user_id}");
    let sid = session_id.clone();
    let user = caller(state, &kept_as, move |conn| {
        Ok(sessions::resume(conn, &sid, &user_id, time::now())?)
    })
    .await?;
    if user.is_none() {
        // Signed out elsewhere, expired, or the user was deactivated.
        session.remove(SESSION_USER);
        session.remove(SESSION_ID);
        return Ok(Identity::default());
    }
    renew_cookie(&session);
    Ok(Identity {
        user,
        session_id: Some(session_id),
        kept_as: Some(kept_as),
    })
}

/// The user `kept_as` names: kept a moment ago, or found by `find` and kept.
async fn caller<F>(state: &AppState, kept_as: &str, find: F) -> Result<Option<User>, AppError>
where
    F: FnOnce(&mut crate::db::DbConnection) -> Result<Option<User>, AppError> + Send + 'static,
{
    if let Some(user) = state.caches.caller(kept_as) {
        return Ok(Some(user));
    }
    let generation = state.caches.changes.callers_generation();
    let user = state.db.run(find).await?;
    if let Some(user) = &user {
        state.caches.keep_caller(kept_as, generation, user);
    }
    Ok(user)
}

/// Resolves the caller of the API from its bearer token.
async fn from_token(req: &ServiceRequest, state: &AppState) -> Result<Identity, AppError> {
    let token = bearer(req).ok_or_else(|| {
        AppError::Unauthorized("send a token as 'Authorization: Bearer …' (create one with: baton token create USERNAME)".into())
    })?;
    let kept_as = format!("token {}", tokens::hash(&token));
    let user = caller(state, &kept_as, move |conn| {
        tokens::authenticate(conn, &token)
    })
    .await?
    .ok_or_else(|| {
        AppError::Unauthorized(
            "the token is not valid (revoked, mistyped, or its user is deactivated)".into(),
        )
    })?;
    Ok(Identity {
        user: Some(user),
        session_id: None,
        kept_as: Some(kept_as),
    })
}

/// The caller the access decision admitted (`Some(None)`: signed out), or
/// `None` when no decision was made for this request: then a handler must
/// refuse, whatever it would show.
pub fn decided(req: &HttpRequest) -> Option<Option<User>> {
    req.extensions()
        .get::<Identity>()
        .map(|identity| identity.user.clone())
}

/// The refusal of a handler reached without an access decision (a route
/// registered outside the route table).
pub fn undecided() -> AppError {
    tracing::error!("a handler was reached without an access decision");
    AppError::Forbidden("this address has no access rule".into())
}

/// Whether `identity` may call a route of `access`; the error says why.
fn check(
    access: Access,
    identity: &Identity,
    public_read: bool,
    path: &str,
) -> Result<(), AppError> {
    let sign_in = || AppError::SignInRequired(path.to_owned());
    match (access, &identity.user) {
        (Access::Public, _) => Ok(()),
        (Access::Read, None) if public_read => Ok(()),
        (_, None) => Err(sign_in()),
        (Access::Read | Access::SignedIn, Some(_)) => Ok(()),
        (Access::Write, Some(user)) if user.role.can_write() => Ok(()),
        (Access::Write, Some(user)) => Err(AppError::Forbidden(format!(
            "{} is a viewer: viewers read, responders and admins write",
            user.username
        ))),
        (Access::Admin, Some(user)) if user.role == crate::domain::handoff::Role::Admin => Ok(()),
        (Access::Admin, Some(user)) => Err(AppError::Forbidden(format!(
            "{} is not an admin",
            user.username
        ))),
    }
}

/// The middleware around every route's resource: resolve the caller,
/// enforce the access rule of the method on the path the router matched,
/// and leave the [`Identity`] for the handler's extractors. `api`: the
/// caller shows a bearer token rather than a session cookie. A method with
/// no rule reaches no handler: it is answered 405 here.
pub async fn authorize(
    rules: Rc<Rules>,
    api: bool,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(access) = rules.access(req.method()) else {
        let error = AppError::MethodNotAllowed(format!(
            "{} is not a method of this address; it answers {}",
            req.method(),
            rules.allow()
        ));
        let mut res = if api {
            req.error_response(ApiError(error))
        } else {
            req.error_response(error)
        };
        if let Ok(allow) = header::HeaderValue::from_str(&rules.allow()) {
            res.headers_mut().insert(header::ALLOW, allow);
        }
        return Ok(res.map_into_right_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        let error = AppError::internal("application state missing");
        return Ok(req.error_response(error).map_into_right_body());
    };
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let identity = match (api, access) {
        (_, Access::Public) => Ok(Identity::default()),
        (true, _) => from_token(&req, &state).await,
        (false, _) => from_session(&req, &state).await,
    };
    let allowed = identity.and_then(|identity| {
        check(access, &identity, state.public_read() && !api, &path).map(|_| identity)
    });
    match allowed {
        Ok(identity) => {
            if let Some(kept_as) = &identity.kept_as {
                req.extensions_mut().insert(KeptAs(kept_as.clone()));
            }
            req.extensions_mut().insert(identity);
            let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            let res = next.call(req).await;
            if writes {
                // Whatever it wrote has committed: nothing kept is current.
                let untouched = res.as_ref().is_ok_and(|r| {
                    r.response()
                        .extensions()
                        .contains::<crate::web::cache::CallersUntouched>()
                });
                if untouched {
                    state.caches.changes.bump_besides_callers();
                } else {
                    state.caches.changes.bump();
                }
            }
            res.map(ServiceResponse::map_into_left_body)
        }
        // Answered here rather than passed up as an error, so that the
        // response still goes through the header and session middleware.
        Err(e) if api => Ok(req.error_response(ApiError(e)).map_into_right_body()),
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::handoff::Role;

    fn someone(role: Role) -> Identity {
        Identity {
            user: Some(User {
                role,
                ..User::fixture("u")
            }),
            session_id: None,
            kept_as: None,
        }
    }

    #[test]
    fn the_client_address_is_read_behind_trusted_proxies_only() {
        let proxies: Vec<ipnet::IpNet> =
            vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // No trusted proxy: the peer, whatever the header says.
        assert_eq!(
            address_behind_proxies(ip("192.0.2.7"), "203.0.113.9", &proxies),
            "192.0.2.7"
        );
        assert_eq!(
            address_behind_proxies(ip("10.1.1.1"), "203.0.113.9", &[]),
            "10.1.1.1"
        );
        // Behind a trusted proxy: the nearest untrusted hop.
        assert_eq!(
            address_behind_proxies(ip("10.1.1.1"), "203.0.113.9", &proxies),
            "203.0.113.9"
        );
        assert_eq!(
            address_behind_proxies(
                ip("10.1.1.1"),
                "198.51.100.1, 203.0.113.9, 10.2.2.2",
                &proxies
            ),
            "203.0.113.9",
            "what the client wrote further left is not believed"
        );
        assert_eq!(
            address_behind_proxies(ip("::1"), "2001:db8::5", &proxies),
            "2001:db8::5"
        );
        // No header, or garbage: the last address that could be read.
        assert_eq!(
            address_behind_proxies(ip("10.1.1.1"), "", &proxies),
            "10.1.1.1"
        );
        assert_eq!(
            address_behind_proxies(ip("10.1.1.1"), "nonsense", &proxies),
            "10.1.1.1"
        );
        assert_eq!(address_behind_proxies(None, "203.0.113.9", &proxies), "-");
    }

    #[test]
    fn every_access_rule_admits_exactly_its_roles() {
        let nobody = Identity::default();
        let status = |access, who: &Identity, public| {
            check(access, who, public, "/x")
                .err()
                .map(|e| e.status().as_u16())
        };
        assert_eq!(status(Access::Public, &nobody, false), None);
        assert_eq!(status(Access::Read, &nobody, false), Some(401));
        assert_eq!(status(Access::Read, &nobody, true), None);
        assert_eq!(status(Access::Write, &nobody, true), Some(401));
        assert_eq!(status(Access::Read, &someone(Role::Viewer), false), None);
        assert_eq!(
            status(Access::Write, &someone(Role::Viewer), false),
            Some(403)
        );
        assert_eq!(
            status(Access::Write, &someone(Role::Responder), false),
            None
        );
        assert_eq!(
            status(Access::Admin, &someone(Role::Responder), false),
            Some(403)
        );
        assert_eq!(status(Access::Admin, &someone(Role::Admin), false), None);
    }
}
