//! The layers point one way: `domain` ← `db` ← `integrations` ← `jobs` ←
//! `web` ← `routes` ← `startup`/`cli`, with `backup` on `db` and under
//! `web`. This test reads every source file's `crate::` and `super::`
//! paths, and fails on an arrow against that
//! direction or on any cycle between modules (a module and its own
//! submodules aside), and on an API module and a page module that use each
//! other's types. It also keeps every source file to one job: at most
//! [`MAX_LINES`] lines before its tests.

use std::collections::{BTreeMap, BTreeSet};

/// Every module of the crate, by path (`web::handoffs`), with its source.
fn modules() -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for (path, text) in crate::common::sources() {
        let relative = path
            .strip_prefix("src")
            .expect("under src")
            .with_extension("");
        let mut parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        let name = parts.join("::");
        if name == "lib" || name == "main" {
            continue;
        }
        // Only what the module itself uses: its tests may reach anywhere.
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        found.insert(name, text);
    }
    found
}

/// The paths a source names after `crate::` or `super::`, with `{…}`
/// groups expanded; `super` is resolved against `module`.
fn paths_named(module: &str, text: &str) -> Vec<String> {
    fn path_at(text: &str, prefix: &str, out: &mut Vec<String>) -> usize {
        let bytes = text.as_bytes();
        let mut end = 0;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b':')
        {
            end += 1;
        }
        let path = text[..end].trim_end_matches(':');
        let full = if prefix.is_empty() {
            path.to_owned()
        } else {
            format!("{prefix}::{path}")
        };
        if text[end..].starts_with('{') {
            let mut depth = 0;
            let mut start = end + 1;
            let mut at = end;
            while at < bytes.len() {
                match bytes[at] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            path_at(text[start..at].trim(), full.trim_end_matches(':'), out);
                            return at + 1;
                        }
                    }
                    b',' if depth == 1 => {
                        path_at(text[start..at].trim(), full.trim_end_matches(':'), out);
                        start = at + 1;
                    }
                    _ => {}
                }
                at += 1;
            }
            end
        } else {
            out.push(full);
            end
        }
    }
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        if at > 0 && text.as_bytes()[at - 1] == b'$' {
            continue; // `$crate::` in a macro
        }
        path_at(&text[at + "crate::".len()..], "", &mut out);
    }
    for (at, _) in text.match_indices("super::") {
        let parent = module.rsplit_once("::").map(|(p, _)| p).unwrap_or("");
        path_at(&text[at + "super::".len()..], parent, &mut out);
    }
    out
}

/// The module-to-module arrows: each named path's longest prefix that is a
/// module, between modules that are not each other's ancestors.
fn arrows() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut arrows: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &modules {
        for path in paths_named(module, text) {
            let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let target = (1..=segments.len())
                .rev()
                .map(|n| segments[..n].join("::"))
                .find(|candidate| modules.contains_key(candidate));
            let Some(target) = target else { continue };
            let related = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}::"));
            if related(module, &target) || related(&target, module) {
                continue;
            }
            arrows.entry(module.clone()).or_default().insert(target);
        }
    }
    arrows
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn no_module_imports_against_the_layers() {
    // What each top-level module may use, besides itself.
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("domain", &[][..]),
        ("config", &["domain"][..]),
        ("error", &["domain"][..]),
        ("db", &["domain", "error", "config"][..]),
        ("integrations", &["domain", "error", "config"][..]),
        (
            "jobs",
            &["domain", "error", "config", "db", "integrations"][..],
        ),
        ("backup", &["domain", "error", "config", "db"][..]),
        (
            "web",
            &[
                "domain",
                "error",
                "config",
                "db",
                "integrations",
                "jobs",
                "backup",
            ][..],
        ),
        ("routes", &["domain", "error", "config", "web"][..]),
        ("demo", &["domain", "error", "config", "db"][..]),
        (
            "cli",
            &["domain", "error", "config", "db", "demo", "backup"][..],
        ),
        (
            "startup",
            &[
                "domain",
                "error",
                "config",
                "db",
                "integrations",
                "jobs",
                "backup",
                "web",
                "routes",
            ][..],
        ),
    ]);
    let mut wrong = Vec::new();
    for (from, targets) in arrows() {
        let Some(may) = allowed.get(top(&from)) else {
            wrong.push(format!(
                "{from} is a top-level module this test does not place in a layer"
            ));
            continue;
        };
        for to in targets {
            if top(&to) != top(&from) && !may.contains(&top(&to)) {
                wrong.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_modules_import_each_other_even_through_others() {
    let arrows = arrows();
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(node) = todo.pop() {
            for next in arrows.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        arrows.keys().map(|m| (m, reach(m))).collect();
    // Modules that reach each other form one group; each group is a cycle.
    let mut cycles: BTreeSet<Vec<String>> = BTreeSet::new();
    for (module, from_here) in &reached {
        if !from_here.contains(*module) {
            continue;
        }
        let group: Vec<String> = from_here
            .iter()
            .filter(|other| reached.get(other).is_some_and(|r| r.contains(*module)))
            .cloned()
            .collect();
        cycles.insert(group);
    }
    let cycles: Vec<String> = cycles.into_iter().map(|c| c.join(" <-> ")).collect();
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn grouped_and_relative_imports_are_read() {
    let named = paths_named(
        "web::shifts",
        "use crate::web::{AppState, cache::Caches};\nuse super::identity;\nx = $crate::common;",
    );
    assert_eq!(
        named,
        ["web::AppState", "web::cache::Caches", "web::identity"]
    );
}

/// The most lines a source file may have before its `#[cfg(test)]` module.
const MAX_LINES: usize = 500;

#[test]
fn no_source_file_is_over_500_lines_before_its_tests() {
    assert_eq!(MAX_LINES, 500, "the limit the test's name gives");
    let mut long: Vec<(usize, String)> = crate::common::sources()
        .into_iter()
        // Written from the migrations, and checked against them by drift.rs.
        .filter(|(path, _)| !path.ends_with("db/schema.rs"))
        .map(|(path, text)| {
            let lines = text
                .lines()
                .take_while(|line| !line.contains("#[cfg(test)]"))
                .count();
            (lines, path.display().to_string())
        })
        .filter(|(lines, _)| *lines > MAX_LINES)
        .collect();
    long.sort_unstable_by(|a, b| b.cmp(a));
    let named: Vec<String> = long
        .iter()
        .map(|(lines, path)| format!("{path}: {lines} lines"))
        .collect();
    assert!(
        named.is_empty(),
        "source files over {MAX_LINES} lines before their #[cfg(test)] module; split them by job:\n{}",
        named.join("\n")
    );
}

/// Whether `module` is the JSON API or part of it.
fn is_api(module: &str) -> bool {
    module == "web::api" || module.starts_with("web::api::")
}

#[test]
fn the_api_and_the_pages_share_no_types_of_each_others() {
    // What every handler may share: the web layer's root (application
    // state, ids), identity, errors as answers, and kept answers.
    let shared = ["web", "web::identity", "web::respond", "web::cache"];
    let mut wrong = Vec::new();
    for (from, targets) in arrows() {
        if top(&from) != "web" {
            continue;
        }
        for to in targets {
            let crosses = is_api(&from) != is_api(&to);
            if top(&to) == "web" && crosses && !shared.contains(&to.as_str()) {
                wrong.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the pages and the API must share domain or db types, not each other's:\n{}",
        wrong.join("\n")
    );
}
