//! The `baton` binary: a thin command line over the library.
// Input can reach almost any line: nothing outside the tests may panic on a
// missing value.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::process::ExitCode;

use baton::cli::{Cli, Command};
use baton::config::Settings;
use baton::startup::Application;
use clap::Parser;

fn main() -> ExitCode {
    few_malloc_arenas();
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

/// glibc gives each thread that allocates while others do an arena of its
/// own (up to eight per core), and each arena keeps what was freed in it:
/// a server whose blocking pool grows to dozens of threads under a stampede
/// keeps tens of megabytes it no longer uses. Two arenas are plenty for a
/// server on two workers. Called first, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn few_malloc_arenas() {
    const M_ARENA_MAX: std::ffi::c_int = -8;
    unsafe extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    // SAFETY: mallopt only sets a tuning parameter of glibc's allocator; it
    // is called before any other thread exists.
    unsafe {
        mallopt(M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn few_malloc_arenas() {}
