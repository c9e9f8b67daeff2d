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

/// The allocator's settings, made before anything is allocated. mimalloc
/// sets itself up in an ELF constructor of priority 101, which maps its
/// first arena; this one, of priority 100, runs before it (the `main` of
/// a Rust program comes too late for both).
/// - Transparent huge pages off for this process: where the kernel's THP
///   mode is `always` (or `madvise`, which mimalloc asks for), every 2 MiB
///   that a thread touches becomes resident whole, which doubled Baton's
///   peak RSS under the bench (101 MB against 54 MB) at the same speed, and
///   made 4 MiB of the first pages huge when done in `main`.
/// - mimalloc's arena committed as it is used rather than all at once
///   (`arena_eager_commit` 0, its default on systems without overcommit):
///   about 3 MB less resident from the start, at the same speed.
/// - Memory freed is given back at once (`purge_delay` 0, not after 1 s):
///   about 1.5 MB less at the bench's peak, when 500 connections that all
///   came at once are done, at the same speed.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array.00100")]
static CONFIGURE_MEMORY: extern "C" fn() = configure_memory;

#[cfg(target_os = "linux")]
extern "C" fn configure_memory() {
    // mimalloc's own (linked in by the `mimalloc` crate).
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    /// `mi_option_arena_eager_commit`, the fifth of mimalloc 3's
    /// `mi_option_t` (after `show_errors`, `show_stats`, `verbose` and
    /// `deprecated_eager_commit`).
    const ARENA_EAGER_COMMIT: std::ffi::c_int = 4;
    /// `mi_option_purge_delay`, the sixteenth.
    const PURGE_DELAY: std::ffi::c_int = 15;
    // SAFETY: PR_SET_THP_DISABLE takes no pointers and sets one flag on this
    // process (where the kernel refuses, Baton runs as before); mi_option_set
    // stores a number in mimalloc's static table of options, which needs no
    // set-up.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        mi_option_set(ARENA_EAGER_COMMIT, 0);
        mi_option_set(PURGE_DELAY, 0);
    }
}

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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The constructor ran before mimalloc mapped anything, with the right
    /// option number: huge pages are off, and the arena is committed in
    /// parts (with `arena_eager_commit` left at 2 it is one readable and
    /// writable mapping of 1 GiB).
    #[test]
    fn the_allocator_is_configured_before_its_first_arena() {
        // Some memory from mimalloc first, so that its arena is mapped.
        std::hint::black_box(vec![1u8; 1 << 20]);
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        if let Some(thp) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
            assert!(thp.ends_with('0'), "{thp}");
        }
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let whole_gib = maps.lines().find(|line| {
            let mut fields = line.split_whitespace();
            let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
                return false;
            };
            let Some((start, end)) = range.split_once('-') else {
                return false;
            };
            let size =
                u64::from_str_radix(end, 16).unwrap() - u64::from_str_radix(start, 16).unwrap();
            size >= 1 << 30 && perms.starts_with("rw")
        });
        assert_eq!(whole_gib, None, "mimalloc's arena is committed whole");
    }
}
