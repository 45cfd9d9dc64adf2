//! docs/ as a tree: the index links to pages that exist, and troubleshooting
//! lists every diagnosis and preflight check kubelift can print.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ids(asset: &str, list: &str) -> Vec<String> {
    let doc: serde_yaml::Value = serde_yaml::from_str(&read(asset)).unwrap();
    doc[list].as_sequence().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn troubleshooting_lists_every_diagnosis() {
    let page = read("docs/troubleshooting.md");
    let mut missing = vec![];
    for id in ids("assets/diagnoses.yaml", "causes").into_iter().chain(ids("assets/preflight-checks.yaml", "checks")) {
        if !page.contains(&format!("| `{id}` |")) {
            missing.push(id);
        }
    }
    assert!(missing.is_empty(), "docs/troubleshooting.md lacks {missing:?}: add a row for each (the tables are in assets/)");
}

#[test]
fn index_links_to_pages_that_exist() {
    let index = read("docs/README.md");
    let mut links = 0;
    for part in index.split("](").skip(1) {
        let target = part.split(')').next().unwrap().split('#').next().unwrap();
        if target.starts_with("http") || target.is_empty() {
            continue;
        }
        links += 1;
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join(target).exists(), "docs/README.md links to {target}, which does not exist");
    }
    assert!(links >= 12, "the index should reach every page ({links} links)");
}
