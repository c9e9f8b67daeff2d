//! What the audit log records, and how someone signed in.

use crate::domain::text_enum::text_enum;

text_enum!(
    /// What an audit entry records.
    AuditAction {
        /// Someone signed in (the detail: how, a [`SignInMethod`]).
        SignIn = "signin",
        /// A sign-in was refused (the detail: why).
        SignInFailed = "signin_failed",
        /// A user's role changed (the detail: from and to).
        RoleChange = "role_change",
        /// A user was deactivated.
        Deactivate = "deactivate",
        /// A user was reactivated.
        Reactivate = "reactivate",
        /// A user was linked to a GitLab account.
        GitlabLink = "gitlab_link",
        /// A break-glass password was set or removed.
        PasswordSet = "password_set",
        /// An API token was created.
        TokenCreate = "token_create",
        /// An API token was revoked.
        TokenRevoke = "token_revoke",
        /// A backup was downloaded (`GET /api/v1/export`).
        Export = "export",
        /// A pass left unacknowledged escalated (the detail: which time, whom it named).
        Escalate = "escalate",
    } "audit action"
);

text_enum!(
    /// How a session was signed in.
    SignInMethod {
        /// Local mode's user picker.
        Local = "local",
        /// A break-glass password.
        Password = "password",
        /// GitLab's OAuth.
        Gitlab = "gitlab",
    } "sign-in method"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_and_method_reads_back_from_its_spelling_only() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::exact(action.as_str()), Some(*action));
        }
        for method in SignInMethod::ALL {
            assert_eq!(SignInMethod::exact(method.as_str()), Some(*method));
        }
        assert_eq!(AuditAction::exact("signout"), None);
        assert_eq!(AuditAction::exact("SignIn"), None);
        assert_eq!(SignInMethod::exact(" gitlab"), None);
    }
}
