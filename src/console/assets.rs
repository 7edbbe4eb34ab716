//! The console's static files, embedded in the binary (`include_str!`): the
//! page, its script and style sheet, and the vendored dagre with its
//! licence. Nothing is fetched from elsewhere (no CDN): the console works
//! offline.

/// The version of the vendored `@dagrejs/dagre` (`assets/vendor/README.md`).
pub(crate) const DAGRE_VERSION: &str = "3.1.3";

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asset {
    /// Its name under `/console/assets/`.
    pub(crate) name: &'static str,
    /// Its `Content-Type`.
    pub(crate) content_type: &'static str,
    /// Its text.
    pub(crate) body: &'static str,
}

/// The page every console path serves (the script reads the path).
pub(crate) const PAGE: &str = include_str!("assets/index.html");

/// Every file under `/console/assets/`.
pub(crate) const ASSETS: [Asset; 4] = [
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/console.js"),
    },
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("assets/console.css"),
    },
    Asset {
        name: "dagre.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/vendor/dagre.min.js"),
    },
    Asset {
        name: "LICENSE-dagre.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_str!("assets/vendor/LICENSE-dagre"),
    },
];

/// The asset named `name`.
pub(crate) fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_dagre_is_the_recorded_version() {
        let dagre = find("dagre.min.js").expect("dagre");
        assert!(dagre.body.contains(&format!("\"{DAGRE_VERSION}\"")));
        assert!(find("LICENSE-dagre.txt").is_some_and(
            |l| l.body.contains("MIT") || l.body.contains("Permission is hereby granted")
        ));
        let readme = include_str!("assets/vendor/README.md");
        assert!(readme.contains(DAGRE_VERSION));
    }
}
