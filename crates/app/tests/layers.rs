//! The crate reads bottom-up: its top-level modules import each other
//! without a circle, and `ports` names only the domain. Run
//! `cargo test -p hotline-app --test layers -- --nocapture` to see the
//! layers, lowest first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The crate's top-level module a file belongs to (`calls/records.rs` → `calls`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("inside src");
    let first = relative.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// Top-level modules each module refers to through `crate::…`, comments left out.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let from = module_of(&src, &file);
        let text = std::fs::read_to_string(&file).expect("readable source");
        let deps = graph.entry(from.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or_default();
            let mut rest = code;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() && name != from {
                    deps.insert(name);
                }
            }
        }
    }
    graph
}

/// The modules in layers, lowest first; `Err` with a circle if there is one.
fn layers(graph: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<Vec<String>>, Vec<String>> {
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    while placed.len() < graph.len() {
        let layer: Vec<String> = graph
            .iter()
            .filter(|(m, deps)| !placed.contains(*m) && deps.iter().all(|d| placed.contains(d) || !graph.contains_key(d)))
            .map(|(m, _)| m.clone())
            .collect();
        if layer.is_empty() {
            return Err(circle(graph, &placed));
        }
        placed.extend(layer.iter().cloned());
        out.push(layer);
    }
    Ok(out)
}

/// A circle among the modules not placed, walked from any of them.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>, placed: &BTreeSet<String>) -> Vec<String> {
    let mut path: Vec<String> = vec![graph.keys().find(|m| !placed.contains(*m)).expect("an unplaced module").clone()];
    loop {
        let last = path.last().expect("non-empty").clone();
        let next = graph[&last].iter().find(|d| graph.contains_key(*d) && !placed.contains(*d)).expect("an unplaced dependency").clone();
        if let Some(at) = path.iter().position(|m| *m == next) {
            let mut cycle = path[at..].to_vec();
            cycle.push(next);
            return cycle;
        }
        path.push(next);
    }
}

#[test]
fn the_modules_import_each_other_without_a_circle() {
    let graph = graph();
    match layers(&graph) {
        Ok(layers) => {
            for (i, layer) in layers.iter().enumerate() {
                println!("layer {i}: {}", layer.join(", "));
            }
            assert!(layers.len() > 3, "the crate has layers: {layers:?}");
        }
        Err(cycle) => panic!("modules import each other in a circle: {}", cycle.join(" → ")),
    }
}

#[test]
fn the_ports_name_only_the_domain() {
    let graph = graph();
    assert_eq!(graph["ports"], BTreeSet::new(), "ports.rs imports other modules of the crate");
}

#[test]
fn a_circle_is_found_and_named() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.insert("a".into(), ["b".to_owned()].into());
    graph.insert("b".into(), ["c".to_owned()].into());
    graph.insert("c".into(), ["a".to_owned()].into());
    graph.insert("d".into(), BTreeSet::new());
    assert_eq!(layers(&graph).unwrap_err(), ["a", "b", "c", "a"]);
}
