//! The `baton` binary: a thin command line over the library.
// Input can reach almost any line: nothing outside the tests may panic on a
// missing value.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::process::ExitCode;

use baton::cli::{Cli, Command};
use baton::config::Settings;
use baton::startup::Application;
use clap::Parser;

/// mimalloc: a heap per thread, so the two workers never wait on each
/// other's allocations (glibc's allocator and its arena locks were about
/// half of a rendered page's CPU); with huge pages off (below) it keeps no
/// more resident than glibc did (`bench/README.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages off for this process, before the runtime maps
/// anything: where the kernel's THP mode is `always`, every 2 MiB of heap
/// that a thread touches becomes resident whole, which doubled Baton's
/// peak RSS under the bench (101 MB against 54 MB) at the same speed.
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes no pointers; it sets one flag on
    // this process. Where the kernel refuses, Baton runs as before.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}

/// One glibc malloc arena. Rust's allocations go to mimalloc; what still
/// comes to glibc is C's (SQLite's page caches and statements, libpq), and
/// glibc gives each thread that allocates an arena of its own, up to 16
/// on two cores: every blocking thread that ran a query kept its own few
/// megabytes. One arena shares them (a 1M-note database's API list, 32 at
/// once: 114 MB peak against 80).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    // SAFETY: mallopt takes no pointers and is called before any thread
    // starts; where glibc refuses, the default stays.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}

fn main() -> ExitCode {
    no_huge_pages();
    one_malloc_arena();
    let cli = Cli::parse();
    let mut settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("baton: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    baton::startup::init_logging(settings.log_format);
    settings.backup_before_migrating = !cli.no_backup;
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Drill => drill(&settings),
        other => baton::cli::run(&settings, other).map(|out| println!("{out}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await?;
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

/// `baton drill`: the report on standard output; a failure exits non-zero.
fn drill(settings: &Settings) -> Result<(), String> {
    use baton::backup::drill;
    let report = drill::run(settings, &drill::actor(), &baton::startup::render_restored);
    println!("{}", report.text());
    if report.passed() {
        Ok(())
    } else {
        Err("the restore drill failed".into())
    }
}
