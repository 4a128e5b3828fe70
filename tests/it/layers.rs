//! The crate's layering, read from its source: the top-level modules of the
//! library (`src/*.rs`, `src/*/`) reference each other (`crate::X`) without
//! a cycle, and files are created only through `fs` (ARCHITECTURE.md,
//! "Invariants").
//!
//! Test code (`#[cfg(test)]` modules and the files they declare) counts
//! too, with one exception: it may use `test_fixture`, the crate-level test
//! harness, which sits above every stage (it runs them all). So a stage's
//! tests may build a hospital with it, but not reach into a later stage
//! directly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crate's test harness: test code may use it from anywhere.
const HARNESS: &str = "test_fixture";

/// One `crate::TO` reference of module `from`, in `file`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    file: String,
}

/// A source file: its path under `src/`, its top-level module, its text
/// without comments, and whether all of it is test code.
struct Source {
    rel: String,
    top: String,
    code: String,
    test_only: bool,
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src is readable").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `text` without `//` comments (doc comments included: an intra-doc link
/// is no dependency) and without the contents of string literals.
fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_str && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' && !(prev == '\'' && chars.get(i + 1) == Some(&'\'')) {
                in_str = !in_str;
                kept.push(c);
            } else if !in_str {
                kept.push(c);
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// The byte ranges of `code` inside `#[cfg(test)] mod NAME { ... }`, and
/// the names of `#[cfg(test)] mod NAME;` declared in files of their own.
fn test_parts(code: &str) -> (Vec<std::ops::Range<usize>>, Vec<String>) {
    let mut ranges = Vec::new();
    let mut files = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("#[cfg(test)]") {
        let start = from + at;
        let rest = &code[start + "#[cfg(test)]".len()..];
        let item = rest.trim_start();
        let item = item.strip_prefix("pub(crate) ").or_else(|| item.strip_prefix("pub ")).unwrap_or(item);
        from = start + 1;
        let Some(decl) = item.strip_prefix("mod ") else { continue };
        let name: String = decl.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let after = decl[name.len()..].trim_start();
        if after.starts_with(';') {
            files.push(name);
        } else if after.starts_with('{') {
            let open = code.len() - after.len();
            let mut depth = 0usize;
            let mut end = code.len();
            for (i, c) in code[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            ranges.push(start..end);
            from = end;
        }
    }
    (ranges, files)
}

/// The library's source files under `src`, with their top-level module.
/// The binary's own modules (`main.rs` and what it declares) are left out.
fn sources(src: &Path) -> Vec<Source> {
    let main = std::fs::read_to_string(src.join("main.rs")).unwrap_or_default();
    let bin: BTreeSet<String> = strip(&main)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod ")?.strip_suffix(';').map(str::to_string))
        .chain(["main".to_string(), "lib".to_string()])
        .collect();
    let mut paths = Vec::new();
    rs_files(src, &mut paths);
    let mut out: Vec<Source> = Vec::new();
    let mut test_files: BTreeSet<PathBuf> = BTreeSet::new();
    for path in &paths {
        let rel = path.strip_prefix(src).expect("under src").to_string_lossy().replace('\\', "/");
        let first = rel.split('/').next().unwrap_or_default();
        let top = first.strip_suffix(".rs").unwrap_or(first).to_string();
        let code = strip(&std::fs::read_to_string(path).expect("source is readable"));
        let (_, files) = test_parts(&code);
        // Where `mod NAME;` of this file lives: beside a mod.rs or lib.rs,
        // else in the folder named after the file.
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let base = if stem == "mod" || stem == "lib" {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            path.with_extension("")
        };
        for name in files {
            test_files.insert(base.join(format!("{name}.rs")));
            test_files.insert(base.join(&name).join("mod.rs"));
        }
        if bin.contains(&top) {
            continue;
        }
        out.push(Source { rel, top, code, test_only: false });
    }
    for s in &mut out {
        s.test_only = test_files.contains(&src.join(&s.rel));
    }
    out
}

/// Every `crate::X` reference between different top-level modules (lib.rs
/// re-exports `Error` and `Config`), and whether it is in test code.
fn edges(src: &Path) -> Vec<(Edge, bool)> {
    let sources = sources(src);
    let tops: BTreeSet<&str> = sources.iter().map(|s| s.top.as_str()).collect();
    let mut out = Vec::new();
    for s in &sources {
        let (tests, _) = test_parts(&s.code);
        let mut at = 0;
        while let Some(i) = s.code[at..].find("crate::") {
            let pos = at + i;
            at = pos + "crate::".len();
            let before = s.code[..pos].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `$crate::`, `other_crate::`
            }
            let rest = &s.code[at..];
            let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                let inner = &group[..group.find('}').unwrap_or(group.len())];
                inner.split(',').filter_map(|p| p.trim().split("::").next().map(str::to_string)).collect()
            } else {
                vec![rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()]
            };
            let in_test = s.test_only || tests.iter().any(|r| r.contains(&pos));
            for name in names {
                let to = match name.as_str() {
                    "Error" => "error",
                    "Config" => "config",
                    n => n,
                };
                if to != s.top && tops.contains(to) {
                    out.push((Edge { from: s.top.clone(), to: to.to_string(), file: s.rel.clone() }, in_test));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The graph the layering must keep acyclic: every edge of library code,
/// and every edge of test code except those into the harness. The harness
/// itself is test code above everything, so its own edges are left out.
fn graph(edges: &[(Edge, bool)]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut g: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (e, in_test) in edges {
        if e.from == HARNESS || (*in_test && e.to == HARNESS) {
            continue;
        }
        g.entry(e.from.clone()).or_default().entry(e.to.clone()).or_insert_with(|| e.file.clone());
    }
    g
}

/// A cycle of `g` as `a -> b (file) -> ... -> a`, if there is one.
fn find_cycle(g: &BTreeMap<String, BTreeMap<String, String>>) -> Option<String> {
    fn visit(
        v: &str,
        g: &BTreeMap<String, BTreeMap<String, String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<String> {
        state.insert(v.to_string(), 1);
        stack.push(v.to_string());
        for w in g.get(v).into_iter().flat_map(|m| m.keys()) {
            match state.get(w.as_str()) {
                Some(1) => {
                    let start = stack.iter().position(|s| s == w).unwrap_or(0);
                    let mut path: Vec<String> = stack[start..].to_vec();
                    path.push(w.clone());
                    let shown: Vec<String> =
                        path.windows(2).map(|p| format!("{} -> {} ({})", p[0], p[1], g[&p[0]][&p[1]])).collect();
                    return Some(shown.join(", "));
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(w, g, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(v.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for v in g.keys() {
        if !state.contains_key(v.as_str()) {
            let mut stack = Vec::new();
            if let Some(c) = visit(v, g, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let edges = edges(&src_dir());
    assert!(edges.iter().any(|(e, _)| e.from == "pipeline" && e.to == "ingest"), "the parser finds no edges");
    let g = graph(&edges);
    if let Some(cycle) = find_cycle(&g) {
        panic!("import cycle between top-level modules: {cycle}");
    }
}

#[test]
fn fs_is_the_bottom_and_output_does_not_know_the_state() {
    let edges = edges(&src_dir());
    let from = |m: &str| -> Vec<String> {
        edges.iter().filter(|(e, _)| e.from == m).map(|(e, _)| format!("{} ({})", e.to, e.file)).collect()
    };
    assert_eq!(from("fs"), Vec::<String>::new(), "fs imports nothing of the crate");
    let upward: Vec<String> = from("output").into_iter().filter(|t| t.starts_with("state ")).collect();
    assert!(upward.is_empty(), "{upward:?}");
    let fixture_users: Vec<String> =
        edges.iter().filter(|(e, _)| e.to == HARNESS).map(|(e, _)| e.file.clone()).collect();
    assert!(fixture_users.iter().any(|f| f.starts_with("explain/")), "{fixture_users:?}");
    let outside_tests: Vec<&Edge> = edges.iter().filter(|(e, t)| e.to == HARNESS && !t).map(|(e, _)| e).collect();
    assert!(outside_tests.is_empty(), "library code uses the test harness: {outside_tests:?}");
}

/// The calls that create a file or folder.
const CREATES: [&str; 5] = ["File::create", "OpenOptions::new", "fs::write(", "create_dir", "DirBuilder::new"];

/// Library files that create files without `fs`, and why.
const CREATES_ALLOWED: [(&str, &str); 6] = [
    ("ingest/spill.rs", "appends to a spill file that fs::create_private created"),
    ("simulate/run.rs", "simulate writes a synthetic bundle, no patient data"),
    ("simulate/writer.rs", "simulate writes a synthetic bundle, no patient data"),
    ("import/writer.rs", "source-format writers for simulate's synthetic bundles"),
    ("import/epic.rs", "source-format writers for simulate's synthetic bundles"),
    ("import/openemr.rs", "source-format writers for simulate's synthetic bundles"),
];

#[test]
fn files_are_created_only_through_fs() {
    let mut found = Vec::new();
    for s in sources(&src_dir()) {
        if s.test_only || s.top == "fs" || CREATES_ALLOWED.iter().any(|(f, _)| *f == s.rel) {
            continue;
        }
        let (tests, _) = test_parts(&s.code);
        for call in CREATES {
            let mut at = 0;
            while let Some(i) = s.code[at..].find(call) {
                let pos = at + i;
                at = pos + call.len();
                if !tests.iter().any(|r| r.contains(&pos)) {
                    found.push(format!("{}: {call}", s.rel));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "files created outside fs (use crate::fs, or add a reason to CREATES_ALLOWED): {found:?}"
    );
}

#[test]
fn the_checker_finds_a_cycle_and_lets_tests_use_the_harness() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path();
    let write = |rel: &str, text: &str| {
        let p = src.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("main.rs", "mod cli;\nfn main() {}\n");
    write("cli.rs", "use crate::b::X;\n");
    write("lib.rs", "pub mod a;\npub mod b;\n#[cfg(test)]\nmod test_fixture;\n");
    write("a/mod.rs", "//! uses crate::b in a comment only\nuse crate::b::Y;\nconst S: &str = \"crate::b\";\n");
    write("b.rs", "pub struct Y;\n#[cfg(test)]\nmod tests {\n    use crate::test_fixture::W;\n}\n");
    write("test_fixture.rs", "use crate::a::Z;\nuse crate::b::Y;\n");
    let g = graph(&edges(src));
    assert_eq!(find_cycle(&g), None, "{g:?}");
    // A test of b reaching into a (above it) is a cycle.
    write("b.rs", "pub struct Y;\n#[cfg(test)]\nmod tests {\n    use crate::{a::Z, test_fixture::W};\n}\n");
    let cycle = find_cycle(&graph(&edges(src))).expect("a -> b -> a");
    assert!(cycle.contains("b -> a (b.rs)") && cycle.contains("a -> b (a/mod.rs)"), "{cycle}");
    // So is library code doing it, in a test-only file or not.
    write("b.rs", "pub struct Y;\n#[cfg(test)]\nmod tests;\n");
    write("b/tests.rs", "use crate::a::Z;\n");
    assert!(find_cycle(&graph(&edges(src))).is_some());
    let in_test = edges(src).into_iter().find(|(e, _)| e.file == "b/tests.rs").map(|(_, t)| t);
    assert_eq!(in_test, Some(true));
}
