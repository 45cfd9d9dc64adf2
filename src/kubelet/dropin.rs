//! The kubelet's systemd drop-in `10-kubeadm.conf`. kubeadm itself never writes
//! it: the kubeadm deb/rpm packages ship it (kubeadm-facts §4.3). kubelift
//! writes the same file when no package installed one, so that a kubelet
//! installed by hand starts with kubeadm's flags, config and kubeconfigs.

use crate::manifests::HostFiles;

/// Where packages put the drop-in (any of them present means "leave it alone").
pub const PACKAGE_DROPINS: &[&str] = &[
    "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
    "/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
    "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
];
/// Where kubelift writes it: the administrator's unit directory.
pub const DROPIN_DIR: &str = "/etc/systemd/system/kubelet.service.d";
pub const DROPIN_DIR_MODE: u32 = 0o755;
pub const DROPIN_MODE: u32 = 0o644;

/// Candidate kubelet binaries, package location first.
const KUBELET_BINARIES: &[&str] = &["/usr/bin/kubelet", "/usr/local/bin/kubelet"];

pub struct DropIn {
    pub dir: &'static str,
    pub path: &'static str,
}

/// The drop-in to write, or None when a package already installed one.
pub fn needed(host: &dyn HostFiles) -> Option<DropIn> {
    if PACKAGE_DROPINS.iter().any(|p| host.exists(p)) {
        return None;
    }
    Some(DropIn { dir: DROPIN_DIR, path: "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf" })
}

/// The packages' text; the deb reads /etc/default/kubelet, the rpm /etc/sysconfig/kubelet.
pub fn render(host: &dyn HostFiles) -> String {
    let env_file = if !host.exists("/etc/default") && host.exists("/etc/sysconfig") { "/etc/sysconfig/kubelet" } else { "/etc/default/kubelet" };
    let kubelet = KUBELET_BINARIES.iter().find(|b| host.exists(b)).unwrap_or(&KUBELET_BINARIES[0]);
    format!(
        "# Note: This dropin only works with kubeadm and kubelet v1.11+\n\
         [Service]\n\
         Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"\n\
         Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\n\
         # This is a file that \"kubeadm init\" and \"kubeadm join\" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically\n\
         EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\n\
         # This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use\n\
         # the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.\n\
         EnvironmentFile=-{env_file}\n\
         ExecStart=\n\
         ExecStart={kubelet} $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n"
    )
}
