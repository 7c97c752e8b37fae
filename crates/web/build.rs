//! Builds the single-page application in `web/` with npm and embeds the
//! result: the README's one command then yields one binary that serves the
//! interface. `HOTLINE_WEB_DIST` points at an already built `dist/` instead
//! (for packagers who build the front end separately).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web").canonicalize().expect("the web/ directory sits at the repository root");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo::rerun-if-env-changed=HOTLINE_WEB_DIST");
    // Only paths that exist: cargo reruns the script every time for a
    // missing one (a `public/` directory, say, until someone adds it).
    // Relative to this crate, not absolute: cargo names build outputs
    // alike for two checkouts sharing a target directory (CI's clean clone
    // beside a working copy), and an absolute path would keep watching the
    // checkout that built last and embed its interface in the other.
    for watched in ["src", "public", "index.html", "package.json", "package-lock.json", "vite.config.js"] {
        if web.join(watched).exists() {
            println!("cargo::rerun-if-changed=../../web/{watched}");
        }
    }

    let dist = match std::env::var_os("HOTLINE_WEB_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dist = out.join("dist");
            install(&web);
            npm(&web, &["run", "build", "--", "--outDir", dist.to_str().expect("OUT_DIR is UTF-8"), "--emptyOutDir"]);
            dist
        }
    };
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    assert!(files.iter().any(|(name, _)| name == "index.html"), "{} has no index.html", dist.display());
    files.sort();
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in &files {
        writeln!(code, "    ({name:?}, include_bytes!({:?})),", path.display().to_string()).expect("writing to a String");
    }
    code.push_str("];\n");
    std::fs::write(out.join("files.rs"), code).expect("OUT_DIR is writable");
}

/// `npm ci` when node_modules is missing or older than the lock file.
fn install(web: &Path) {
    let lock = web.join("package-lock.json");
    let installed = web.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = matches!((modified(&installed), modified(&lock)), (Some(i), Some(l)) if i >= l);
    if !fresh {
        npm(web, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
}

fn npm(web: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(web).status().unwrap_or_else(|e| {
        panic!("cannot run npm ({e}): the web interface is built with Node.js 20.19 or later and npm; install them (https://nodejs.org) and build again")
    });
    assert!(status.success(), "`npm {}` in {} failed ({status}); its output is above", args.join(" "), web.display());
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let name = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
            files.push((name, path));
        }
    }
}
