//! The web interface's static files, embedded at compile time (see
//! `build.rs`). The application itself lives in `web/` at the repository
//! root; this crate only hands its built files to the HTTP server.

mod files {
    include!(concat!(env!("OUT_DIR"), "/files.rs"));
}

/// A built file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// Vite puts a content hash in every name under `assets/`, so those
    /// never change and may be cached for good.
    pub immutable: bool,
}

/// The file at `path` (without a leading `/`), if the build produced it.
pub fn asset(path: &str) -> Option<Asset> {
    let index = files::FILES.binary_search_by(|(name, _)| (*name).cmp(path)).ok()?;
    let (name, bytes) = files::FILES[index];
    Some(Asset { bytes, content_type: content_type(name), immutable: name.starts_with("assets/") })
}

/// The application's entry page, served for every client-side route.
pub fn index() -> Asset {
    asset("index.html").expect("the build script checks that index.html exists")
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_page_and_its_scripts_are_embedded() {
        let index = index();
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        let html = std::str::from_utf8(index.bytes).expect("UTF-8 HTML");
        let script = html.split("src=\"/").nth(1).and_then(|rest| rest.split('"').next()).expect("the page loads a script");
        let entry = asset(script).unwrap_or_else(|| panic!("{script} is referenced by index.html but not embedded"));
        assert!(entry.immutable && entry.content_type.starts_with("text/javascript"));
        assert!(asset("no/such/file.js").is_none());
    }
}
