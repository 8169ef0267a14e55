//! The layer test (the one-way house): reads every `use crate::…` (grouped forms too) and
//! every `crate::module::…` path in the code of the files under `src/` (`galley::…` in `main.rs`,
//! which is the binary), and fails when a top-level module imports one in a higher layer of
//! `LAYERS`, when top-level modules import each other in a cycle, or when a module is missing
//! from the table.
//!
//! Std only. A small lexer blanks comments and string and character literals first, so doc
//! comments, SQL and test data never count; `super::` is resolved against the file's module
//! (inline `mod x { … }` blocks included); `crate::with_backend!` and other `#[macro_export]`
//! macros count as the module that defines them. `#[cfg(test)]` code counts like the rest.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs;
use std::path::Path;

/// Lower number, lower layer. A module may import modules of its own layer or of lower ones,
/// never of a higher one; modules of one layer (the domains, say) may import each other as long
/// as no cycle forms. Every top-level module under `src/` must be listed.
const LAYERS: &[(&str, u8)] = &[
    // 1: the bottom, importing nothing above it.
    ("error", 1),
    ("clock", 1),
    ("html", 1),
    ("slug", 1),
    ("validation", 1),
    ("config", 1),
    ("db", 1),
    ("pagination", 1),
    ("stamp", 1),
    ("tokens", 1),
    ("logging", 1),
    ("sealed", 1),
    ("progress", 1),
    // 2
    ("markdown", 2),
    ("audit", 2),
    ("mailer", 2),
    ("outbox", 2),
    ("events", 2),
    ("caches", 2),
    ("snapshot", 2),
    ("state", 2),
    ("archive", 2),
    // 3: HTTP pieces that know no domain.
    ("web", 3),
    // 4: the domains.
    ("accounts", 4),
    ("content", 4),
    ("media", 4),
    ("search", 4),
    ("contact", 4),
    ("site", 4),
    ("api", 4),
    ("webhooks", 4),
    // 5: the only files that know every domain.
    ("app", 5),
    ("routes", 5),
    ("main", 5),
    ("telemetry", 5),
];

/// `from` names `to` at `at` (`src/web/ctx.rs:14`). An edge from a module to itself says only
/// that the module exists (one per file), so an unlisted module fails even if it imports nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Edge {
    from: String,
    to: String,
    at: String,
}

impl Edge {
    fn new(from: &str, to: &str, at: &str) -> Edge {
        Edge {
            from: from.to_owned(),
            to: to.to_owned(),
            at: at.to_owned(),
        }
    }
}

#[test]
fn modules_import_only_downward_and_never_in_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges_under(&src);
    assert!(
        edges.iter().any(|e| e.from == "db" && e.to == "error"),
        "the scanner found no `crate::error` path in src/db: is it still reading the sources?"
    );
    let report: String = violations(&edges, LAYERS)
        .iter()
        .map(|v| format!("\n  - {v}"))
        .collect();
    assert!(
        report.is_empty(),
        "module layering (tests/layers.rs; lower layers never import higher ones):{report}"
    );
}

/// Files with one job each: a source file over `MAX_LINES` holds more than one.
const MAX_LINES: usize = 500;

#[test]
fn no_source_file_is_over_500_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_rs(&src, &src, &mut files);
    files.sort();
    let mut report = String::new();
    for rel in &files {
        let lines = fs::read_to_string(src.join(rel)).map_or(0, |t| t.lines().count());
        if lines > MAX_LINES {
            report.push_str(&format!(
                "\n  - src/{rel} has {lines} lines: split it by job"
            ));
        }
    }
    assert!(
        report.is_empty(),
        "source files over {MAX_LINES} lines:{report}"
    );
}

// ---------------------------------------------------------------------------------------------
// The rules.

/// What is wrong with `edges` under `layers`: unknown modules, imports of a higher layer, and
/// cycles among top-level modules (one shortest cycle per strongly connected group, printed with
/// the file and line of each of its imports). Deterministic, sorted by module names.
fn violations(edges: &[Edge], layers: &[(&str, u8)]) -> Vec<String> {
    let layer: HashMap<&str, u8> = layers.iter().copied().collect();
    let mut out = Vec::new();

    let mut unknown: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in edges {
        for m in [e.from.as_str(), e.to.as_str()] {
            if !layer.contains_key(m) {
                unknown.entry(m).or_default().push(e.at.as_str());
            }
        }
    }
    for (m, at) in &unknown {
        out.push(format!(
            "unknown module `{m}`: add it to the layer table LAYERS in tests/layers.rs ({})",
            places(at)
        ));
    }

    let mut pairs: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for e in edges.iter().filter(|e| e.from != e.to) {
        pairs
            .entry((e.from.as_str(), e.to.as_str()))
            .or_default()
            .push(e.at.as_str());
    }
    for (&(a, b), at) in &pairs {
        if let (Some(&la), Some(&lb)) = (layer.get(a), layer.get(b))
            && la < lb
        {
            out.push(format!(
                "{a} -> {b}: upward, layer {la} imports layer {lb} ({})",
                places(at)
            ));
        }
    }

    // Cycles over every import; then cycles over the imports that are not upward (those are
    // reported above), so a cycle among domains shows even while a larger one hides it.
    let upward =
        |a: &str, b: &str| matches!((layer.get(a), layer.get(b)), (Some(la), Some(lb)) if la < lb);
    let mut all: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut level: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for &(a, b) in pairs.keys() {
        all.entry(a).or_default().insert(b);
        all.entry(b).or_default();
        let from = level.entry(a).or_default();
        if !upward(a, b) {
            from.insert(b);
        }
        level.entry(b).or_default();
    }
    let mut seen: Vec<BTreeSet<&str>> = Vec::new();
    for graph in [&all, &level] {
        for group in strongly_connected(graph) {
            if seen.contains(&group) {
                continue;
            }
            let Some(cycle) = shortest_cycle(graph, &group) else {
                continue;
            };
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("{} -> {} ({})", w[0], w[1], places(&pairs[&(w[0], w[1])])))
                .collect();
            out.push(format!(
                "cycle {}: modules {{{}}} import each other; {}",
                cycle.join(" -> "),
                group.iter().copied().collect::<Vec<_>>().join(", "),
                steps.join("; ")
            ));
            seen.push(group);
        }
    }
    out
}

/// At most three places, then how many more.
fn places(at: &[&str]) -> String {
    let mut unique: Vec<&str> = at.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut s = unique
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if unique.len() > 3 {
        s.push_str(&format!(" and {} more", unique.len() - 3));
    }
    s
}

/// Groups of two or more modules that all reach each other (small graphs: reachability suffices).
fn strongly_connected<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<BTreeSet<&'a str>> {
    let reach: BTreeMap<&str, BTreeSet<&str>> = graph
        .keys()
        .map(|&v| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![v];
            while let Some(x) = stack.pop() {
                for &y in &graph[x] {
                    if seen.insert(y) {
                        stack.push(y);
                    }
                }
            }
            (v, seen)
        })
        .collect();
    let mut groups: Vec<BTreeSet<&str>> = Vec::new();
    for &v in graph.keys() {
        if groups.iter().any(|g| g.contains(v)) || !reach[v].contains(v) {
            continue;
        }
        let group: BTreeSet<&str> = reach[v]
            .iter()
            .copied()
            .filter(|w| reach[w].contains(v))
            .collect();
        if group.len() > 1 {
            groups.push(group);
        }
    }
    groups
}

/// The shortest cycle through the group's first module (breadth first, neighbours in order).
fn shortest_cycle<'a>(
    graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    group: &BTreeSet<&'a str>,
) -> Option<Vec<&'a str>> {
    let &start = group.iter().next()?;
    let mut parent: BTreeMap<&'a str, &'a str> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &graph[v] {
            if !group.contains(w) {
                continue;
            }
            if w == start {
                let mut path = vec![start, v];
                let mut x = v;
                while x != start {
                    x = parent[x];
                    path.push(x);
                }
                path.reverse();
                return Some(path);
            }
            if w != start && !parent.contains_key(w) {
                parent.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Reading the sources.

/// Every edge of every `.rs` file under `src` (sorted by path; `lib.rs` only declares modules).
fn edges_under(src: &Path) -> Vec<Edge> {
    let mut files = Vec::new();
    collect_rs(src, src, &mut files);
    files.sort();
    let texts: Vec<(String, String)> = files
        .into_iter()
        .filter(|rel| rel != "lib.rs")
        .map(|rel| {
            let text = fs::read_to_string(src.join(&rel))
                .unwrap_or_else(|e| panic!("cannot read src/{rel}: {e}"));
            (rel, text)
        })
        .collect();
    let mut macros = HashMap::new();
    for (rel, text) in &texts {
        for name in exported_macros(&blank_comments_and_literals(text)) {
            macros.insert(name, top_module(rel));
        }
    }
    texts
        .iter()
        .flat_map(|(rel, text)| edges_in_file(rel, text, &macros))
        .collect()
}

fn collect_rs(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect_rs(root, &path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let rel = path.strip_prefix(root).expect("under src");
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
}

/// `foo.rs`, `foo/mod.rs`, `foo/bar.rs` -> `foo`; `main.rs` -> `main`.
fn top_module(rel: &str) -> String {
    let first = rel.split('/').next().unwrap_or(rel);
    first.strip_suffix(".rs").unwrap_or(first).to_owned()
}

/// The module path of a file: `content/pages.rs` -> [content, pages]; `db/mod.rs` -> [db].
fn file_module(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .strip_suffix(".rs")
        .unwrap_or(rel)
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The edges of one file (`rel` as under `src/`, `/`-separated); `macros` maps each
/// `#[macro_export]` macro to the top-level module defining it.
fn edges_in_file(rel: &str, text: &str, macros: &HashMap<String, String>) -> Vec<Edge> {
    let code = blank_comments_and_literals(text);
    let is_bin = rel == "main.rs";
    let from = top_module(rel);
    let base = if is_bin { Vec::new() } else { file_module(rel) };
    let scopes = inline_modules(&code, &base);
    let mut edges = vec![Edge::new(&from, &from, &format!("src/{rel}"))];
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let mut record = |segments: &[String], offset: usize| {
        let Some(absolute) = resolve(segments, module_at(&scopes, &base, offset), is_bin) else {
            return;
        };
        let Some(first) = absolute.first() else {
            return;
        };
        let to = macros.get(first).cloned().unwrap_or_else(|| first.clone());
        edges.push(Edge::new(
            &from,
            &to,
            &format!("src/{rel}:{}", line_of(offset)),
        ));
    };

    let bytes = code.as_bytes();
    let mut used: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !starts_word(bytes, i) {
            i += 1;
            continue;
        }
        let word_end = word_end(bytes, i);
        if &code[i..word_end] == "use" {
            let end = code[word_end..]
                .find(';')
                .map_or(bytes.len(), |k| word_end + k);
            for path in expand_use(&code[word_end..end]) {
                record(&path, i);
            }
            used.push((i, end));
            i = end;
            continue;
        }
        i = word_end;
    }

    let mut i = 0;
    while i < bytes.len() {
        let dollar = bytes[i] == b'$' && code[i + 1..].starts_with("crate");
        let start = if dollar { i + 1 } else { i };
        if !(dollar || starts_word(bytes, i)) || (i > 0 && bytes[i - 1] == b':') {
            i += 1;
            continue;
        }
        let end = word_end(bytes, start);
        let head = &code[start..end];
        let wanted = matches!(head, "crate" | "super") || (is_bin && head == "galley");
        if !wanted || used.iter().any(|&(a, b)| a <= i && i < b) {
            i = end.max(i + 1);
            continue;
        }
        let mut segments = vec![if dollar {
            "$crate".to_owned()
        } else {
            head.to_owned()
        }];
        let mut j = end;
        loop {
            let k = skip_space(bytes, j);
            if !code[k..].starts_with("::") {
                break;
            }
            let k = skip_space(bytes, k + 2);
            if k >= bytes.len() || !is_word_byte(bytes[k]) {
                break;
            }
            let e = word_end(bytes, k);
            segments.push(code[k..e].to_owned());
            j = e;
        }
        if segments.len() > 1 {
            record(&segments, i);
        }
        i = j.max(i + 1);
    }
    edges
}

/// An absolute path (from the library's root) for `segments`, or `None` when it does not leave
/// the file's own crate root (`crate::` in the binary) or is not a crate path at all.
fn resolve(segments: &[String], here: &[String], is_bin: bool) -> Option<Vec<String>> {
    let (head, rest) = segments.split_first()?;
    match head.as_str() {
        "crate" | "$crate" if !is_bin => Some(rest.to_vec()),
        "galley" if is_bin => Some(rest.to_vec()),
        "super" if !is_bin => {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            let keep = here.len().checked_sub(ups)?;
            let mut out = here[..keep].to_vec();
            out.extend_from_slice(&segments[ups..]);
            Some(out)
        }
        "self" if !is_bin => {
            let mut out = here.to_vec();
            out.extend_from_slice(rest);
            Some(out)
        }
        _ => None,
    }
}

/// The paths a `use` tree names: `crate::a::{b, c::{self, d as e}, f::*}` ->
/// `crate::a::b`, `crate::a::c`, `crate::a::c::d`, `crate::a::f`. Only paths starting with
/// `crate`, `$crate`, `super`, `self` or `galley` are kept.
fn expand_use(body: &str) -> Vec<Vec<String>> {
    let tokens = use_tokens(body);
    let mut pos = 0;
    let mut paths = Vec::new();
    use_tree(&tokens, &mut pos, &[], &mut paths);
    paths.retain(|p| {
        p.first()
            .is_some_and(|h| matches!(h.as_str(), "crate" | "$crate" | "super" | "self" | "galley"))
    });
    paths
}

fn use_tokens(body: &str) -> Vec<String> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if body[i..].starts_with("::") {
            out.push("::".to_owned());
            i += 2;
        } else if matches!(c, b'{' | b'}' | b',' | b'*') {
            out.push((c as char).to_string());
            i += 1;
        } else if c == b'$' || is_word_byte(c) {
            let e = word_end(b, i + 1);
            out.push(body[i..e].to_owned());
            i = e;
        } else {
            i += 1;
        }
    }
    out
}

fn use_tree(tokens: &[String], pos: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    while let Some(t) = tokens.get(*pos) {
        match t.as_str() {
            "{" => {
                *pos += 1;
                while tokens.get(*pos).is_some_and(|t| t != "}") {
                    use_tree(tokens, pos, &path, out);
                    if tokens.get(*pos).is_some_and(|t| t == ",") {
                        *pos += 1;
                    }
                }
                *pos += 1;
                return;
            }
            "*" => {
                *pos += 1;
                out.push(path);
                return;
            }
            "::" => *pos += 1,
            "," | "}" => break,
            "as" => {
                *pos += 2;
                break;
            }
            word => {
                if word != "self" || path.is_empty() {
                    path.push(word.to_owned());
                }
                *pos += 1;
            }
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// Where inline modules open and close: (offset, module path from there on).
fn inline_modules(code: &str, base: &[String]) -> Vec<(usize, Vec<String>)> {
    let b = code.as_bytes();
    let (mut depth, mut stack, mut changes) = (0usize, Vec::<(String, usize)>::new(), Vec::new());
    let path = |stack: &[(String, usize)]| {
        let mut p = base.to_vec();
        p.extend(stack.iter().map(|(name, _)| name.clone()));
        p
    };
    let mut i = 0;
    while i < b.len() {
        if starts_word(b, i) {
            let e = word_end(b, i);
            if &code[i..e] == "mod" {
                let n = skip_space(b, e);
                let ne = word_end(b, n);
                let brace = skip_space(b, ne);
                if ne > n && b.get(brace) == Some(&b'{') {
                    depth += 1;
                    stack.push((code[n..ne].to_owned(), depth));
                    changes.push((brace, path(&stack[..])));
                    i = brace + 1;
                    continue;
                }
            }
            i = e;
            continue;
        }
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                if stack.last().is_some_and(|&(_, d)| d == depth) {
                    stack.pop();
                    changes.push((i, path(&stack[..])));
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    changes
}

fn module_at<'a>(
    scopes: &'a [(usize, Vec<String>)],
    base: &'a [String],
    offset: usize,
) -> &'a [String] {
    scopes
        .iter()
        .take_while(|(at, _)| *at <= offset)
        .last()
        .map_or(base, |(_, p)| p.as_slice())
}

/// Names of `#[macro_export]` macros defined in `code` (already blanked).
fn exported_macros(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(k) = rest.find("#[macro_export]") {
        rest = &rest[k + "#[macro_export]".len()..];
        let t = rest.trim_start();
        if let Some(after) = t.strip_prefix("macro_rules!") {
            let name: String = after
                .trim_start()
                .bytes()
                .take_while(|&c| is_word_byte(c))
                .map(char::from)
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn starts_word(b: &[u8], i: usize) -> bool {
    is_word_byte(b[i]) && (i == 0 || !is_word_byte(b[i - 1]))
}

fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_word_byte(b[i]) {
        i += 1;
    }
    i
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// `src` with comments and the contents of string, byte-string, raw-string and character
/// literals replaced by spaces: same length, same lines. Lifetimes (`'a`) are left alone.
fn blank_comments_and_literals(src: &str) -> String {
    let b = src.as_bytes();
    let n = b.len();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from.min(n)..to.min(n)] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < n {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'/' && next == Some(b'/') {
            let end = src[i..].find('\n').map_or(n, |k| i + k);
            blank(&mut out, i, end);
            i = end;
        } else if c == b'/' && next == Some(b'*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < n && depth > 0 {
                if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if let Some((open, hashes)) = raw_string_at(b, i) {
            let body = i + open;
            let mut closing = "\"".to_owned();
            closing.push_str(&"#".repeat(hashes));
            let close = src[body..].find(&closing).map_or(n, |k| body + k);
            blank(&mut out, body, close);
            i = close + closing.len();
        } else if c == b'"' || (matches!(c, b'b' | b'c') && next == Some(b'"')) {
            let mut j = if c == b'"' { i + 1 } else { i + 2 };
            let start = j;
            while j < n && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, start, j);
            i = j + 1;
        } else if c == b'\'' || (c == b'b' && next == Some(b'\'')) {
            let q = if c == b'\'' { i } else { i + 1 };
            if b.get(q + 1) == Some(&b'\\') {
                let mut j = q + 3;
                while j < n && b[j] != b'\'' {
                    j += 1;
                }
                blank(&mut out, q + 1, j);
                i = j + 1;
            } else if q + 1 < n {
                let len = utf8_len(b[q + 1]);
                if b.get(q + 1 + len) == Some(&b'\'') {
                    blank(&mut out, q + 1, q + 1 + len);
                    i = q + 2 + len;
                } else {
                    i = q + 1; // a lifetime or a label
                }
            } else {
                i += 1;
            }
        } else if is_word_byte(c) {
            i = word_end(b, i);
        } else {
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `r"`, `r#"`, `br##"`, `cr"` at `i`: (length up to and including the quote, number of `#`).
fn raw_string_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if matches!(b.get(j), Some(b'b' | b'c')) {
        j += 1;
    }
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    j += hashes;
    (b.get(j) == Some(&b'"')).then_some((j + 1 - i, hashes))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

// ---------------------------------------------------------------------------------------------
// Tests of the test.

mod checks {
    use super::*;

    const TABLE: &[(&str, u8)] = &[
        ("error", 1),
        ("db", 1),
        ("web", 3),
        ("content", 4),
        ("search", 4),
        ("site", 4),
        ("app", 5),
        ("main", 5),
    ];

    fn clean() -> Vec<Edge> {
        vec![
            Edge::new("main", "app", "src/main.rs:1"),
            Edge::new("app", "site", "src/app.rs:1"),
            Edge::new("site", "content", "src/site/feed.rs:1"),
            Edge::new("content", "search", "src/content/pages.rs:1"),
            Edge::new("content", "web", "src/content/public.rs:1"),
            Edge::new("web", "error", "src/web/mod.rs:1"),
            Edge::new("content", "db", "src/content/tree.rs:1"),
            Edge::new("db", "db", "src/db/mod.rs"),
        ]
    }

    #[test]
    fn a_downward_graph_passes() {
        assert_eq!(violations(&clean(), TABLE), Vec::<String>::new());
    }

    #[test]
    fn an_upward_edge_is_reported() {
        let mut edges = clean();
        edges.push(Edge::new("db", "web", "src/db/mod.rs:14"));
        let found = violations(&edges, TABLE);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].starts_with("db -> web: upward, layer 1 imports layer 3 (src/db/mod.rs:14)"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn an_upward_edge_that_closes_a_cycle_is_reported_twice() {
        let mut edges = clean();
        edges.push(Edge::new("web", "content", "src/web/ctx.rs:15"));
        let found = violations(&edges, TABLE);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0].starts_with("web -> content: upward"),
            "{}",
            found[0]
        );
        assert!(
            found[1].starts_with("cycle content -> web -> content: modules {content, web}"),
            "{}",
            found[1]
        );
        assert!(
            found[1].contains("web -> content (src/web/ctx.rs:15)"),
            "{}",
            found[1]
        );
    }

    #[test]
    fn domains_may_import_each_other_but_not_in_a_cycle() {
        let mut edges = clean();
        edges.push(Edge::new("search", "site", "src/search/mod.rs:18"));
        let found = violations(&edges, TABLE);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].starts_with(
                "cycle content -> search -> site -> content: modules {content, search, site}"
            ),
            "{}",
            found[0]
        );
    }

    #[test]
    fn an_unknown_module_asks_to_be_added_to_the_table() {
        let mut edges = clean();
        edges.push(Edge::new("media", "media", "src/media/mod.rs"));
        edges.push(Edge::new("content", "media", "src/content/pages.rs:9"));
        let found = violations(&edges, TABLE);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].starts_with("unknown module `media`: add it to the layer table LAYERS"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn the_real_table_lists_every_module_once() {
        let mut names: Vec<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all, "a module is listed twice in LAYERS");
    }

    fn targets(rel: &str, text: &str) -> Vec<(String, String)> {
        let macros = HashMap::from([("with_backend".to_owned(), "db".to_owned())]);
        let mut out: Vec<(String, String)> = edges_in_file(rel, text, &macros)
            .into_iter()
            .filter(|e| e.from != e.to)
            .map(|e| (e.to, e.at))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn uses_paths_in_code_and_macros_are_read() {
        let text = r#####"//! Doc: crate::doc_comment::X
use std::sync::Arc;
use crate::{alpha, beta::{gamma, delta as d}, eps::*};
use crate::db::{self, DbPool};
use crate::html::{
    SafeHtml,
    Text,
};
pub(crate) use crate::zeta::Z;

// use crate::line_comment::X;
/* crate::block_comment::X /* nested */ crate::still_comment::X */
fn f<'a>(x: &'a str) -> String {
    let s = "crate::string::X";
    let r = r#"crate::raw::X "quoted" "#;
    let q = '"';
    let apostrophe = '\'';
    let v = crate::search::snippet(x, q);
    crate::with_backend!(conn, |c| c);
    let w = crate :: spaced :: Y;
    pub(crate) fn g() {}
    s.into()
}

mod tests {
    use super::*;
    use super::super::super::app::AppState;
}
"#####;
        let found = targets("web/ctx.rs", text);
        let names: Vec<&str> = found.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            names,
            [
                "alpha", "app", "beta", "db", "db", "eps", "html", "search", "spaced", "zeta"
            ],
            "{found:#?}"
        );
        let at = |m: &str| found.iter().find(|(t, _)| t == m).map(|(_, a)| a.as_str());
        assert_eq!(at("search"), Some("src/web/ctx.rs:18"));
        assert_eq!(at("app"), Some("src/web/ctx.rs:27"));
        assert_eq!(at("html"), Some("src/web/ctx.rs:5"));
    }

    #[test]
    fn super_stays_inside_unless_it_climbs_out() {
        let text = "mod tests {\n    use super::safe_next;\n    use super::super::html;\n}\n";
        // In web/auth.rs: `super` of the tests module is web::auth, its `super` is web.
        assert_eq!(targets("web/auth.rs", text), Vec::new());
        // In app.rs: `super::super` from app::tests is the crate root: html.
        assert_eq!(
            targets("app.rs", text),
            vec![("html".to_owned(), "src/app.rs:3".to_owned())]
        );
    }

    #[test]
    fn the_binary_names_the_library_as_galley() {
        let text = "use galley::app::{self, AppState};\nfn main() { crate::helper(); galley::contact::mailer::worker(); }\nfn helper() {}\n";
        assert_eq!(
            targets("main.rs", text),
            vec![
                ("app".to_owned(), "src/main.rs:1".to_owned()),
                ("contact".to_owned(), "src/main.rs:2".to_owned()),
            ]
        );
    }

    #[test]
    fn blanking_keeps_lengths_and_lines() {
        let text = "let a = \"x\\\"y\"; // c\nlet b = b'\\n'; /* d\n e */ let c = br##\"q\"#\"##;\nlet é = 'é';";
        let blanked = blank_comments_and_literals(text);
        assert_eq!(blanked.len(), text.len());
        assert_eq!(blanked.matches('\n').count(), text.matches('\n').count());
        assert!(!blanked.contains('x') && !blanked.contains('q') && !blanked.contains('d'));
        assert!(!blanked.contains("//") && !blanked.contains("/*"));
        assert!(
            blanked.contains("let b") && blanked.contains("let c") && blanked.contains("let é")
        );
    }

    #[test]
    fn exported_macros_are_found() {
        let code = "#[macro_export]\nmacro_rules! with_backend { () => {} }\nmacro_rules! local { () => {} }";
        assert_eq!(exported_macros(code), vec!["with_backend".to_owned()]);
    }
}
