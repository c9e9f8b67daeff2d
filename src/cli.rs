//! The command line: `baton serve|migrate|user|token|shifts|demo|backup|restore|drill`.

mod import;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::models::{audit, tokens, users};
use crate::domain::audit::AuditAction;
use crate::domain::handoff::Role;
use crate::domain::time::Timezone;
use crate::domain::user::{Username, display_name_or_username};

/// Baton, the on-call handoff log.
#[derive(Debug, Parser)]
#[command(name = "baton", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Apply pending migrations without backing the database up first.
    #[arg(long, global = true)]
    pub no_backup: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrates first).
    Serve,
    /// Apply database migrations.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage shifts.
    #[command(subcommand)]
    Shifts(ShiftsCommand),
    /// Fill the database with a demo team, shifts, handoffs and notes.
    Demo(crate::demo::DemoArgs),
    /// Back the database up into one portable archive, while Baton serves.
    Backup(BackupArgs),
    /// Restore an archive into an empty database of either backend.
    Restore(RestoreArgs),
    /// The restore drill: back up, restore into a scratch database, verify
    /// every table, render pages from it, time each step and record it.
    Drill,
}

/// `baton backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The archive to write (default: a new baton-backup-….jsonl.gz in
    /// BATON_BACKUP_DIR, or next to the SQLite file).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Keep only the newest N backups in that directory.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep: Option<u64>,
}

/// `baton restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The archive.
    pub file: PathBuf,
    /// The database to restore into: sqlite://PATH or postgres://….
    #[arg(long)]
    pub database_url: String,
    /// Drop everything the target holds first (else it must be empty).
    #[arg(long)]
    pub replace: bool,
}

/// `baton user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        /// Username, as on GitLab.
        username: Username,
        /// Display name (default: the username, or as much of it as a name
        /// holds).
        #[arg(long)]
        name: Option<String>,
        /// IANA time zone.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// viewer, responder or admin.
        #[arg(long, default_value = "responder")]
        role: String,
    },
    /// List users.
    List,
    /// Set a break-glass password (read from a prompt, or the first line of
    /// standard input), for signing in while GitLab is down.
    SetPassword {
        /// Whose password.
        username: Username,
    },
    /// Remove a user's break-glass password.
    ClearPassword {
        /// Whose password.
        username: Username,
    },
    /// Change a user's role.
    SetRole {
        /// Whose role.
        username: Username,
        /// viewer, responder or admin.
        role: String,
    },
    /// Deactivate a user: their sessions and tokens stop working at once.
    Deactivate {
        /// Who.
        username: Username,
    },
    /// Reactivate a deactivated user.
    Reactivate {
        /// Who.
        username: Username,
    },
    /// Link a user to a GitLab account, so that signing in with GitLab
    /// signs in as them (a GitLab sign-in never takes over an unlinked user).
    LinkGitlab {
        /// Who.
        username: Username,
        /// The GitLab account's numeric user id.
        gitlab_id: String,
    },
}

/// `baton shifts …`.
#[derive(Debug, Subcommand)]
pub enum ShiftsCommand {
    /// Import shifts from a calendar export (.ics, RFC 5545): each event
    /// becomes an override shift for the person it names, found again by
    /// its UID (importing the same file twice changes nothing).
    Import {
        /// The calendar file.
        file: PathBuf,
        /// The rotation role of every imported shift (EOC, IMOC, …).
        #[arg(long)]
        role: String,
    },
}

/// `baton token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it once.
    Create {
        /// Whose token.
        username: Username,
        /// What the token is for (a bot's name, a script).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never their secrets) with their last use.
    List {
        /// Only this user's tokens.
        username: Option<Username>,
    },
    /// Revoke a token by its id (from `baton token list`).
    Revoke {
        /// The token's id.
        id: String,
    },
}

/// Records a command-line change in the audit log.
fn audit(
    conn: &mut crate::db::DbConnection,
    action: AuditAction,
    subject: &str,
    detail: &str,
) -> Result<(), String> {
    let event = audit::Event {
        action,
        actor: "cli",
        subject,
        address: "-",
        detail,
    };
    audit::record(conn, event).map_err(|e| e.to_string())
}

/// Reads a password: a hidden prompt (twice) on a terminal, else the first line of stdin.
fn read_password() -> Result<String, String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password("New break-glass password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Runs a command other than `serve`; returns what to print.
///
/// A command uses one plain connection, closed when it returns: a pool
/// would keep opening connections on threads of its own while the process
/// exits, which on PostgreSQL crashed the command after its output.
pub fn run(settings: &Settings, command: Command) -> Result<String, String> {
    match command {
        Command::Backup(args) => return backup(settings, &args),
        Command::Restore(args) => return restore(&args),
        _ => {}
    }
    let (mut conn, note) = crate::backup::upgrade::connect_and_migrate(settings)?;
    if let Some(note) = &note
        && !matches!(command, Command::Migrate)
    {
        tracing::warn!("{note}");
    }
    match command {
        Command::Serve | Command::Drill => Err("serve and drill are run by main".into()),
        Command::Backup(_) | Command::Restore(_) => Err("run above".into()),
        Command::Migrate => Ok(match note {
            Some(note) => format!("{note}\nmigrations applied"),
            None => "migrations applied".into(),
        }),
        Command::User(UserCommand::Add {
            username,
            name,
            timezone,
            role,
        }) => {
            let name = display_name_or_username(name.as_deref(), &username)?;
            let tz = Timezone::parse(&timezone)?;
            let role = Role::parse(&role)?;
            let user =
                users::create(&mut conn, &username, &name, tz, role).map_err(|e| e.to_string())?;
            Ok(format!(
                "added {} ({}, {}, {})",
                user.username, user.name, user.timezone, user.role
            ))
        }
        Command::User(UserCommand::List) => {
            let all = users::list_all(&mut conn).map_err(|e| e.to_string())?;
            let mut out = format!(
                "{:<24} {:<10} {:<24} {:<8} NAME",
                "USERNAME", "ROLE", "TIMEZONE", "ACTIVE"
            );
            for u in all {
                out.push_str(&format!(
                    "\n{:<24} {:<10} {:<24} {:<8} {}",
                    u.username,
                    u.role,
                    u.timezone,
                    if u.active { "yes" } else { "no" },
                    u.name
                ));
            }
            Ok(out)
        }
        Command::User(UserCommand::SetPassword { username }) => {
            users::find_any(&mut conn, &username).map_err(|e| e.to_string())?;
            let hash = crate::domain::password::hash(&read_password()?)?;
            let user = users::set_password_hash(&mut conn, &username, Some(&hash))
                .map_err(|e| e.to_string())?;
            audit(
                &mut conn,
                AuditAction::PasswordSet,
                &user.username,
                "break-glass password set",
            )?;
            Ok(format!(
                "{} can now sign in with a password on /login",
                user.username
            ))
        }
        Command::User(UserCommand::ClearPassword { username }) => {
            let user =
                users::set_password_hash(&mut conn, &username, None).map_err(|e| e.to_string())?;
            audit(
                &mut conn,
                AuditAction::PasswordSet,
                &user.username,
                "break-glass password removed",
            )?;
            Ok(format!(
                "{} can no longer sign in with a password",
                user.username
            ))
        }
        Command::User(UserCommand::SetRole { username, role }) => {
            let role = Role::parse(&role)?;
            let before = users::set_role(&mut conn, &username, role).map_err(|e| e.to_string())?;
            let change = format!("{} -> {}", before.role, role);
            audit(
                &mut conn,
                AuditAction::RoleChange,
                &before.username,
                &change,
            )?;
            Ok(format!("{}: {change}", before.username))
        }
        Command::User(UserCommand::Deactivate { username }) => {
            let user = users::set_active(&mut conn, &username, false).map_err(|e| e.to_string())?;
            audit(&mut conn, AuditAction::Deactivate, &user.username, "")?;
            Ok(format!(
                "{} is deactivated; their sessions and tokens no longer work",
                user.username
            ))
        }
        Command::User(UserCommand::Reactivate { username }) => {
            let user = users::set_active(&mut conn, &username, true).map_err(|e| e.to_string())?;
            audit(&mut conn, AuditAction::Reactivate, &user.username, "")?;
            Ok(format!("{} is active again", user.username))
        }
        Command::User(UserCommand::LinkGitlab {
            username,
            gitlab_id,
        }) => {
            let id = users::parse_gitlab_id(&gitlab_id)?;
            let user = users::link_gitlab(&mut conn, &username, id).map_err(|e| e.to_string())?;
            audit(
                &mut conn,
                AuditAction::GitlabLink,
                &user.username,
                &format!("GitLab user {id}"),
            )?;
            Ok(format!(
                "{} is linked to GitLab user {id}: signing in with it signs in as them",
                user.username
            ))
        }
        Command::Token(TokenCommand::Create { username, label }) => {
            crate::domain::text::check_line("the label", &label)?;
            let user = users::find_by_username(&mut conn, &username)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no active user {username}"))?;
            let token = tokens::create(&mut conn, &user.id, &label).map_err(|e| e.to_string())?;
            audit(&mut conn, AuditAction::TokenCreate, &user.username, &label)?;
            Ok(token)
        }
        Command::Token(TokenCommand::List { username }) => {
            let all = tokens::list(&mut conn, username.as_ref()).map_err(|e| e.to_string())?;
            let mut out = format!(
                "{:<36} {:<20} {:<20} {:<20} {:<20} LABEL",
                "ID", "USER", "CREATED", "LAST USED", "REVOKED"
            );
            let when = |t: Option<chrono::NaiveDateTime>| {
                t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "-".into())
            };
            for t in all {
                out.push_str(&format!(
                    "\n{:<36} {:<20} {:<20} {:<20} {:<20} {}",
                    t.id,
                    t.username,
                    when(Some(t.created_at)),
                    when(t.last_used_at),
                    when(t.revoked_at),
                    t.label
                ));
            }
            Ok(out)
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            let id = uuid::Uuid::parse_str(id.trim())
                .map_err(|_| format!("{id:?} is not a token id; see `baton token list`"))?
                .to_string();
            let owner = tokens::revoke(&mut conn, &id).map_err(|e| e.to_string())?;
            audit(&mut conn, AuditAction::TokenRevoke, &owner, &id)?;
            Ok(format!("token {id} of {owner} is revoked"))
        }
        Command::Shifts(ShiftsCommand::Import { file, role }) => {
            import::import_shifts(&mut conn, &file, &role)
        }
        Command::Demo(args) => crate::demo::run(&mut conn, &args),
    }
}

/// `baton backup`: one archive, and the rotation of `--keep`.
fn backup(settings: &Settings, args: &BackupArgs) -> Result<String, String> {
    use crate::backup::upgrade;
    let (path, dir) = match &args.output {
        Some(_) if args.keep.is_some() => {
            return Err(
                "--keep rotates the backups in BATON_BACKUP_DIR; it does not go with --output"
                    .into(),
            );
        }
        Some(path) => (path.clone(), None),
        None => {
            let dir = upgrade::backup_dir(settings)?;
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("creating {}: {e}", dir.display()))?;
            let name = upgrade::file_name(upgrade::PREFIX, chrono::Utc::now());
            (dir.join(name), Some(dir))
        }
    };
    let written = crate::backup::write_archive(&settings.database_url, &path)?;
    let mut out = format!(
        "backed up {} to {}: {} rows in {} tables, {}, in {:.1} s",
        crate::db::redact(&settings.database_url),
        written.path.display(),
        written.manifest.total_rows(),
        written.manifest.tables.len(),
        crate::backup::human_bytes(written.bytes),
        written.elapsed.as_secs_f64()
    );
    if let (Some(dir), Some(keep)) = (dir, args.keep) {
        let removed = upgrade::rotate(&dir, usize::try_from(keep).unwrap_or(usize::MAX))?;
        out.push_str(&format!(
            "\nremoved {} older backup(s); the newest {keep} are kept",
            removed.len()
        ));
    }
    Ok(out)
}

/// `baton restore`.
fn restore(args: &RestoreArgs) -> Result<String, String> {
    let done = crate::backup::restore::restore(&args.file, &args.database_url, args.replace)?;
    let m = &done.manifest;
    let mut out = format!(
        "restored {} into {}: {} rows in {} tables, counts and SHA-256 checked, in {:.1} s\n\
         the archive: Baton {} on {}, schema {}, taken at {}",
        args.file.display(),
        crate::db::redact(&args.database_url),
        m.total_rows(),
        m.tables.len(),
        done.elapsed.as_secs_f64(),
        m.baton_version,
        m.source_backend,
        m.schema_version.as_deref().unwrap_or("none"),
        m.created_at
    );
    if let Some(version) = &done.migrated_to {
        out.push_str(&format!("\nmigrated forward to schema {version}"));
    }
    Ok(out)
}
