//! The command line: `baton serve|migrate|user|token|demo`.

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::Db;
use crate::db::models::{tokens, users};
use crate::domain::handoff::Role;
use crate::domain::time::Timezone;
use crate::domain::user::{parse_display_name, parse_username};

/// Baton, the on-call handoff log.
#[derive(Debug, Parser)]
#[command(name = "baton", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
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
    /// Fill the database with a demo team, shifts, handoffs and notes.
    Demo(crate::demo::DemoArgs),
}

/// `baton user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        /// Username, as on GitLab.
        username: String,
        /// Display name (default: the username).
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
}

/// `baton token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it once.
    Create {
        /// Whose token.
        username: String,
    },
}

/// Opens and migrates the configured database.
fn open(settings: &Settings) -> Result<Db, String> {
    let db = Db::connect(&settings.database_url)?;
    db.migrate()?;
    Ok(db)
}

/// Runs a command other than `serve`; returns what to print.
pub fn run(settings: &Settings, command: Command) -> Result<String, String> {
    let db = open(settings)?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    match command {
        Command::Serve => Err("serve is run by main".into()),
        Command::Migrate => Ok("migrations applied".into()),
        Command::User(UserCommand::Add {
            username,
            name,
            timezone,
            role,
        }) => {
            let username = parse_username(&username)?;
            let name = parse_display_name(name.as_deref().unwrap_or(&username))?;
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
        Command::Token(TokenCommand::Create { username }) => {
            let user = users::find_by_username(&mut conn, username.trim())
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no active user {username:?}"))?;
            tokens::create(&mut conn, &user.id).map_err(|e| e.to_string())
        }
        Command::Demo(args) => crate::demo::run(&mut conn, &args),
    }
}
