//! Reading and editing the runtimes' configuration files: containerd's
//! /etc/containerd/config.toml (versions 1, 2 and 3) and CRI-O's crio.conf.
//!
//! Edits go through toml_edit so comments and everything kubelift does not
//! touch stay as the user wrote them.

use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::host::Host;

pub const CONTAINERD_CONFIG: &str = "/etc/containerd/config.toml";
pub const CRIO_CONFIG: &str = "/etc/crio/crio.conf";
pub const CRIO_CONFIG_DIR: &str = "/etc/crio/crio.conf.d";

/// Plugin ids whose presence in `disabled_plugins` switches the CRI off.
const CRI_PLUGIN_IDS: [&str; 4] = ["cri", "io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"];

/// Which runtime a socket belongs to, by its conventional path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Containerd,
    CriO,
    Docker,
    Unknown,
}

impl Runtime {
    pub fn of_socket(path: &str) -> Runtime {
        if path.contains("containerd") {
            Runtime::Containerd
        } else if path.contains("crio") {
            Runtime::CriO
        } else if path.contains("dockershim") || path.contains("cri-dockerd") || path.contains("docker.sock") {
            Runtime::Docker
        } else {
            Runtime::Unknown
        }
    }
}

/// containerd's config.toml; `exists` is false when the file is absent
/// (containerd then runs on built-in defaults: CRI on, cgroupfs).
#[derive(Debug, Clone)]
pub struct ContainerdConfig {
    doc: DocumentMut,
    pub exists: bool,
}

impl ContainerdConfig {
    pub fn load(host: &dyn Host) -> Result<ContainerdConfig, String> {
        match host.read_file(CONTAINERD_CONFIG) {
            Ok(bytes) => ContainerdConfig::parse(&String::from_utf8_lossy(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ContainerdConfig { doc: DocumentMut::new(), exists: false }),
            Err(e) => Err(format!("cannot read {CONTAINERD_CONFIG}: {e}")),
        }
    }

    pub fn parse(text: &str) -> Result<ContainerdConfig, String> {
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| format!("{CONTAINERD_CONFIG} is not valid TOML: {}", e.message()))?;
        Ok(ContainerdConfig { doc, exists: true })
    }

    /// The config format version: 1 when the file has no `version` key.
    pub fn version(&self) -> i64 {
        self.doc.get("version").and_then(|v| v.as_integer()).unwrap_or(1)
    }

    fn get(&self, path: &[&str]) -> Option<&Item> {
        let mut item = self.doc.as_item();
        for key in path {
            item = item.get(key)?;
        }
        Some(item)
    }

    /// Entries of `disabled_plugins` that switch the CRI off.
    pub fn cri_disabled(&self) -> Vec<String> {
        let Some(list) = self.doc.get("disabled_plugins").and_then(|v| v.as_array()) else { return vec![] };
        list.iter().filter_map(|v| v.as_str()).filter(|id| CRI_PLUGIN_IDS.contains(id)).map(String::from).collect()
    }

    fn runc_options_path(&self) -> Vec<&'static str> {
        let base: &[&str] = match self.version() {
            3 => &["plugins", "io.containerd.cri.v1.runtime"],
            2 => &["plugins", "io.containerd.grpc.v1.cri"],
            _ => &["plugins", "cri"],
        };
        [base, &["containerd", "runtimes", "runc", "options"]].concat()
    }

    fn sandbox_path(&self) -> Vec<&'static str> {
        match self.version() {
            3 => vec!["plugins", "io.containerd.cri.v1.images", "pinned_images", "sandbox"],
            2 => vec!["plugins", "io.containerd.grpc.v1.cri", "sandbox_image"],
            _ => vec!["plugins", "cri", "sandbox_image"],
        }
    }

    /// Where SystemdCgroup lives in this config version, for messages.
    pub fn systemd_cgroup_key(&self) -> String {
        let path = self.runc_options_path();
        format!("[{}] SystemdCgroup", dotted(&path))
    }

    pub fn sandbox_key(&self) -> String {
        let path = self.sandbox_path();
        let (key, table) = path.split_last().expect("non-empty path");
        format!("[{}] {key}", dotted(table))
    }

    /// `SystemdCgroup` of the runc runtime; `None` when not set (containerd's default is false).
    pub fn systemd_cgroup(&self) -> Option<bool> {
        let mut path = self.runc_options_path();
        path.push("SystemdCgroup");
        self.get(&path).and_then(|v| v.as_bool())
    }

    pub fn sandbox_image(&self) -> Option<String> {
        self.get(&self.sandbox_path()).and_then(|v| v.as_str()).map(String::from)
    }

    /// Version 1 files with plugin sections use other plugin names; kubelift
    /// does not rewrite them (the fix says to regenerate the file instead).
    fn editable(&mut self) -> Result<(), String> {
        match self.version() {
            2 | 3 => Ok(()),
            1 if self.doc.get("plugins").is_none() => {
                // The file the containerd.io package ships: comments and
                // disabled_plugins only. Declaring version 2 changes nothing else.
                self.doc.insert("version", toml_edit::value(2));
                Ok(())
            }
            v => Err(format!(
                "{CONTAINERD_CONFIG} uses config version {v} with plugin sections, which kubelift does not rewrite; regenerate it with `containerd config default > {CONTAINERD_CONFIG}` and run the fix again"
            )),
        }
    }

    /// Removes the CRI plugin from `disabled_plugins`.
    pub fn enable_cri(&mut self) -> Result<(), String> {
        self.editable()?;
        if let Some(list) = self.doc.get_mut("disabled_plugins").and_then(|v| v.as_array_mut()) {
            list.retain(|v| !v.as_str().is_some_and(|id| CRI_PLUGIN_IDS.contains(&id)));
        }
        Ok(())
    }

    pub fn set_systemd_cgroup(&mut self, on: bool) -> Result<(), String> {
        self.editable()?;
        let mut runc = self.runc_options_path();
        runc.pop();
        let runc_table = ensure_table(self.doc.as_table_mut(), &runc)?;
        if runc_table.get("runtime_type").is_none() {
            runc_table.insert("runtime_type", toml_edit::value("io.containerd.runc.v2"));
        }
        let options_path = self.runc_options_path();
        let options = ensure_table(self.doc.as_table_mut(), &options_path)?;
        options.insert("SystemdCgroup", toml_edit::value(on));
        Ok(())
    }

    pub fn set_sandbox_image(&mut self, image: &str) -> Result<(), String> {
        self.editable()?;
        let path = self.sandbox_path();
        let (key, table) = path.split_last().expect("non-empty path");
        ensure_table(self.doc.as_table_mut(), table)?.insert(key, toml_edit::value(image));
        Ok(())
    }

    pub fn render(&self) -> String {
        let text = self.doc.to_string();
        if text.is_empty() || text.ends_with('\n') {
            text
        } else {
            text + "\n"
        }
    }
}

fn dotted(path: &[&str]) -> String {
    path.iter().map(|k| if k.contains('.') { format!("{k:?}") } else { k.to_string() }).collect::<Vec<_>>().join(".")
}

/// Walks `path` from `root`, creating missing tables (header-less parents,
/// as `containerd config default` writes them); inline tables stay inline.
fn ensure_table<'a>(root: &'a mut Table, path: &[&str]) -> Result<&'a mut dyn TableLike, String> {
    let mut current: &mut dyn TableLike = root;
    let mut inline = false;
    for (i, key) in path.iter().enumerate() {
        if current.get(key).is_none() {
            let fresh = if inline {
                Item::Value(Value::InlineTable(InlineTable::new()))
            } else {
                let mut t = Table::new();
                t.set_implicit(i + 1 < path.len());
                Item::Table(t)
            };
            current.insert(key, fresh);
        }
        let item = current.get_mut(key).expect("just ensured");
        inline = matches!(item, Item::Value(_));
        current = item
            .as_table_like_mut()
            .ok_or_else(|| format!("cannot edit {CONTAINERD_CONFIG}: {} is a value, not a table", dotted(&path[..=i])))?;
    }
    Ok(current)
}

/// containerd's built-in sandbox image when the config sets none, by version.
pub fn containerd_default_sandbox(version: &str) -> Option<&'static str> {
    let v = version.trim_start_matches('v');
    let mut parts = v.split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    match (major, minor) {
        (1, 6) => Some("registry.k8s.io/pause:3.6"),
        (1, 7) => Some("registry.k8s.io/pause:3.8"),
        (2, _) => Some("registry.k8s.io/pause:3.10"),
        _ => None,
    }
}

/// CRI-O settings from crio.conf and crio.conf.d/*.conf (later files win).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrioConfig {
    pub cgroup_manager: Option<String>,
    pub pause_image: Option<String>,
}

pub fn crio_config(host: &dyn Host) -> Result<CrioConfig, String> {
    let mut files = vec![CRIO_CONFIG.to_string()];
    files.extend(host.dir_entries(CRIO_CONFIG_DIR).into_iter().filter(|n| n.ends_with(".conf")).map(|n| format!("{CRIO_CONFIG_DIR}/{n}")));
    let mut out = CrioConfig::default();
    for path in files {
        let Ok(bytes) = host.read_file(&path) else { continue };
        let doc: DocumentMut = String::from_utf8_lossy(&bytes).parse().map_err(|e: toml_edit::TomlError| format!("{path} is not valid TOML: {}", e.message()))?;
        let get = |table: &str, key: &str| doc.get("crio").and_then(|c| c.get(table)).and_then(|t| t.get(key)).and_then(|v| v.as_str()).map(String::from);
        if let Some(v) = get("runtime", "cgroup_manager") {
            out.cgroup_manager = Some(v);
        }
        if let Some(v) = get("image", "pause_image") {
            out.pause_image = Some(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER_SHIPPED: &str = "#   Copyright 2018-2022 Docker Inc.\n\ndisabled_plugins = [\"cri\"]\n\n#root = \"/var/lib/containerd\"\n";

    #[test]
    fn reads_the_docker_shipped_file() {
        let c = ContainerdConfig::parse(DOCKER_SHIPPED).unwrap();
        assert_eq!(c.version(), 1);
        assert_eq!(c.cri_disabled(), ["cri"]);
        assert_eq!(c.systemd_cgroup(), None);
    }

    #[test]
    fn fixes_the_docker_shipped_file_keeping_comments() {
        let mut c = ContainerdConfig::parse(DOCKER_SHIPPED).unwrap();
        c.enable_cri().unwrap();
        c.set_systemd_cgroup(true).unwrap();
        c.set_sandbox_image("registry.k8s.io/pause:3.10").unwrap();
        let text = c.render();
        assert!(text.contains("Copyright 2018-2022 Docker Inc."), "{text}");
        assert!(text.contains("#root = \"/var/lib/containerd\""));
        let again = ContainerdConfig::parse(&text).unwrap();
        assert_eq!(again.version(), 2);
        assert!(again.cri_disabled().is_empty());
        assert_eq!(again.systemd_cgroup(), Some(true));
        assert_eq!(again.sandbox_image().as_deref(), Some("registry.k8s.io/pause:3.10"));
        assert!(text.contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]"), "{text}");
    }

    #[test]
    fn edits_version_3_in_its_own_tables() {
        let mut c = ContainerdConfig::parse("version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\nSystemdCgroup = false\n").unwrap();
        assert_eq!(c.systemd_cgroup(), Some(false));
        c.set_systemd_cgroup(true).unwrap();
        c.set_sandbox_image("registry.k8s.io/pause:3.10.1").unwrap();
        let again = ContainerdConfig::parse(&c.render()).unwrap();
        assert_eq!(again.systemd_cgroup(), Some(true));
        assert_eq!(again.sandbox_image().as_deref(), Some("registry.k8s.io/pause:3.10.1"));
    }

    #[test]
    fn refuses_what_it_cannot_edit_safely() {
        let mut v1 = ContainerdConfig::parse("[plugins.cri]\nsandbox_image = \"k8s.gcr.io/pause:3.2\"\n").unwrap();
        assert_eq!(v1.sandbox_image().as_deref(), Some("k8s.gcr.io/pause:3.2"));
        assert!(v1.set_systemd_cgroup(true).unwrap_err().contains("containerd config default"));
        let mut odd = ContainerdConfig::parse("version = 2\nplugins = 3\n").unwrap();
        assert!(odd.set_systemd_cgroup(true).unwrap_err().contains("is a value, not a table"));
        assert!(ContainerdConfig::parse("version = = 2").unwrap_err().contains("not valid TOML"));
    }

    #[test]
    fn inline_tables_stay_inline() {
        let mut c = ContainerdConfig::parse("version = 2\nplugins = { \"io.containerd.grpc.v1.cri\" = { sandbox_image = \"x\" } }\n").unwrap();
        c.set_systemd_cgroup(true).unwrap();
        assert_eq!(ContainerdConfig::parse(&c.render()).unwrap().systemd_cgroup(), Some(true));
    }

    #[test]
    fn default_sandbox_images() {
        assert_eq!(containerd_default_sandbox("v1.7.22"), Some("registry.k8s.io/pause:3.8"));
        assert_eq!(containerd_default_sandbox("2.1.0"), Some("registry.k8s.io/pause:3.10"));
        assert_eq!(containerd_default_sandbox("1.5.0"), None);
        assert_eq!(containerd_default_sandbox("garbage"), None);
    }
}
