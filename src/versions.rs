//! The table of Kubernetes versions kubelift installs (assets/versions.yaml).

use serde::Deserialize;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../assets/versions.yaml");

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VersionInfo {
    pub minor: String,
    pub release: String,
    pub image_repository: String,
    pub etcd: String,
    pub coredns: String,
    pub pause: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    versions: Vec<VersionInfo>,
}

/// Every supported minor, oldest first.
pub fn all() -> &'static [VersionInfo] {
    static PARSED: OnceLock<Vec<VersionInfo>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let table: Table = serde_yaml::from_str(TABLE).expect("assets/versions.yaml is checked by a unit test");
        table.versions
    })
}

/// The default `kubernetesVersion`: the newest release in the table.
pub fn newest() -> &'static VersionInfo {
    all().last().expect("the version table is not empty")
}

/// A parsed `vMAJOR.MINOR.PATCH[-suffix]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Semver {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Semver {
    pub fn parse(text: &str) -> Option<Semver> {
        let core = text.strip_prefix('v').unwrap_or(text);
        let core = core.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
        let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(Semver { major, minor, patch })
    }

    pub fn minor_key(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

/// The table entry for a `kubernetesVersion`, if kubelift supports its minor.
pub fn lookup(kubernetes_version: &str) -> Option<&'static VersionInfo> {
    let v = Semver::parse(kubernetes_version)?;
    all().iter().find(|info| info.minor == v.minor_key())
}

/// The supported range as text, for error messages.
pub fn supported_range() -> String {
    let all = all();
    format!("v{} to v{}", all[0].minor, newest().minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_is_ordered() {
        let all = all();
        assert!(all.len() >= 14);
        let minors: Vec<_> = all.iter().map(|v| Semver::parse(&v.release).unwrap()).collect();
        assert!(minors.windows(2).all(|w| w[0] < w[1]));
        for v in all {
            assert_eq!(Semver::parse(&v.release).unwrap().minor_key(), v.minor);
        }
    }

    #[test]
    fn semver_parsing() {
        assert_eq!(Semver::parse("v1.24.0"), Some(Semver { major: 1, minor: 24, patch: 0 }));
        assert_eq!(Semver::parse("1.30.2-rc.1").unwrap().patch, 2);
        assert_eq!(Semver::parse("v1.24"), None);
        assert_eq!(Semver::parse("stable-1"), None);
        assert!(lookup("v1.24.0").is_some());
        assert!(lookup("v1.10.0").is_none());
    }
}
