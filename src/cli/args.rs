//! The command line, as clap derive types. Flag names follow kubeadm's, so a
//! kubeadm command line works with `kubelift` in its place.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "Exit codes: 0 done, 1 a phase failed, 2 invalid usage or config, 3 preflight failed, \
4 a decision is needed that --non-interactive cannot make, 64 not available yet (docs/cli.md).";

#[derive(Debug, Parser)]
#[command(name = "kubelift", version, about = "Stand up a kubeadm-compatible Kubernetes cluster: a guided terminal wizard, or headless from flags and kubeadm config files", after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Output {
    /// One line per phase for people
    #[default]
    Text,
    /// One JSON object per event (NDJSON), schema kubelift.events/v1
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Write every host path under DIR instead of / (dry runs, tests, image building)
    #[arg(long, global = true, value_name = "DIR", default_value = "/", env = "KUBELIFT_ROOT")]
    pub root: PathBuf,
    /// Print the exact plan and write nothing outside a temporary folder
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Output format
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// More detail: -v shows each phase's log lines, -vv debug logs on stderr
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Also write logs to FILE
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Never open the terminal UI; fail instead of asking (implied without a terminal)
    #[arg(long, global = true)]
    pub non_interactive: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up this machine as the first control-plane node
    Init(InitArgs),
    /// Join this machine to a cluster as a worker or control-plane node
    Join(JoinArgs),
    /// Undo what init or join changed on this machine
    Reset(ResetArgs),
    /// Manage bootstrap tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check and renew certificates
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Make kubeconfig files for users
    #[command(subcommand)]
    Kubeconfig(KubeconfigCommand),
    /// Inspect, judge and approve certificate signing requests
    Csr(CsrArgs),
    /// Run the preflight checks alone, and fix what is safe to fix
    Preflight(PreflightArgs),
    /// Print defaults and validate kubeadm config files
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run one phase (or a parent such as `certs`) of init alone
    Phase(PhaseArgs),
    /// Print kubelift's version and the Kubernetes versions it installs
    Version,
    /// Print a shell completion script
    Completion {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The settings of `init` (and of `phase`, which runs init's phases).
#[derive(Debug, Clone, Args, Default)]
pub struct InitArgs {
    /// A kubeadm config file (kubeadm.k8s.io/v1beta3 or v1beta4); flags override it
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The IP address the API server advertises (default: the address of the default-route interface)
    #[arg(long, value_name = "IP")]
    pub apiserver_advertise_address: Option<String>,
    /// The port the API server binds to
    #[arg(long, value_name = "PORT")]
    pub apiserver_bind_port: Option<u16>,
    /// Extra Subject Alternative Names for the API server certificate (IPs or DNS names)
    #[arg(long, value_name = "SANS", value_delimiter = ',')]
    pub apiserver_cert_extra_sans: Vec<String>,
    /// Where certificates are stored
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<String>,
    /// Key to encrypt the shared certificates in the kubeadm-certs Secret (64 hex characters)
    #[arg(long, value_name = "KEY")]
    pub certificate_key: Option<String>,
    /// A stable address for the control plane (DNS name or IP, optional port); needed for HA later
    #[arg(long, value_name = "ENDPOINT")]
    pub control_plane_endpoint: Option<String>,
    /// The container runtime's CRI socket
    #[arg(long, value_name = "SOCKET")]
    pub cri_socket: Option<String>,
    /// Preflight checks whose errors become warnings (e.g. Swap,NumCPU, or all)
    #[arg(long, value_name = "CHECKS", value_delimiter = ',')]
    pub ignore_preflight_errors: Vec<String>,
    /// Registry to pull control-plane images from
    #[arg(long, value_name = "REGISTRY")]
    pub image_repository: Option<String>,
    /// The Kubernetes version to install (default: the newest supported)
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,
    /// The node's name (default: the hostname)
    #[arg(long, value_name = "NAME")]
    pub node_name: Option<String>,
    /// The range pod IPs come from; the pod network add-on must use the same
    #[arg(long, value_name = "CIDR")]
    pub pod_network_cidr: Option<String>,
    /// The range Service IPs come from
    #[arg(long, value_name = "CIDR")]
    pub service_cidr: Option<String>,
    /// The cluster DNS domain
    #[arg(long, value_name = "DOMAIN")]
    pub service_dns_domain: Option<String>,
    /// Phases to leave out (e.g. addon/kube-proxy, or a parent such as addon)
    #[arg(long, value_name = "PHASES", value_delimiter = ',')]
    pub skip_phases: Vec<String>,
    /// The bootstrap token to create ([a-z0-9]{6}.[a-z0-9]{16})
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// How long the bootstrap token lives (0 = forever)
    #[arg(long, value_name = "DURATION")]
    pub token_ttl: Option<String>,
    /// Upload the shared control-plane certificates to the kubeadm-certs Secret
    #[arg(long)]
    pub upload_certs: bool,
    /// A pod network add-on's manifest (downloaded from its project; see docs/init.md) to apply after the add-ons
    #[arg(long, value_name = "FILE")]
    pub pod_network_manifest: Option<PathBuf>,
    /// Key type for every key kubelift makes: RSA-2048 (default), RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384
    #[arg(long, value_name = "ALGORITHM")]
    pub encryption_algorithm: Option<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct JoinArgs {
    /// The API server to discover the cluster through (host:port)
    #[arg(value_name = "ENDPOINT")]
    pub endpoint: Option<String>,
    /// A kubeadm JoinConfiguration file; flags override it
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The bootstrap token for discovery and TLS bootstrap
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// The token for discovery only (default: --token)
    #[arg(long, value_name = "TOKEN")]
    pub discovery_token: Option<String>,
    /// The token for TLS bootstrap only (default: --token)
    #[arg(long, value_name = "TOKEN")]
    pub tls_bootstrap_token: Option<String>,
    /// Pin the cluster CA: sha256:<hex of its public key> (repeatable)
    #[arg(long, value_name = "HASH")]
    pub discovery_token_ca_cert_hash: Vec<String>,
    /// Trust the cluster CA without a pin (unsafe: a man in the middle can impersonate the control plane)
    #[arg(long)]
    pub discovery_token_unsafe_skip_ca_verification: bool,
    /// Discover the cluster from a kubeconfig file instead of a token
    #[arg(long, value_name = "FILE")]
    pub discovery_file: Option<String>,
    /// Join as a control-plane node
    #[arg(long)]
    pub control_plane: bool,
    /// Key to decrypt the kubeadm-certs Secret (with --control-plane)
    #[arg(long, value_name = "KEY")]
    pub certificate_key: Option<String>,
    /// This control-plane node's API server address (with --control-plane)
    #[arg(long, value_name = "IP")]
    pub apiserver_advertise_address: Option<String>,
    /// This control-plane node's API server port (with --control-plane)
    #[arg(long, value_name = "PORT")]
    pub apiserver_bind_port: Option<u16>,
    /// The node's name (default: the hostname)
    #[arg(long, value_name = "NAME")]
    pub node_name: Option<String>,
    /// The container runtime's CRI socket
    #[arg(long, value_name = "SOCKET")]
    pub cri_socket: Option<String>,
    /// Preflight checks whose errors become warnings (e.g. Swap, or all)
    #[arg(long, value_name = "CHECKS", value_delimiter = ',')]
    pub ignore_preflight_errors: Vec<String>,
    /// Phases to leave out
    #[arg(long, value_name = "PHASES", value_delimiter = ',')]
    pub skip_phases: Vec<String>,
    /// Who makes the node's client certificate: kubelift (before the kubelet starts) or the kubelet (kubeadm's way, with bootstrap-kubelet.conf)
    #[arg(long, value_enum, default_value_t = TlsBootstrap::Kubelift)]
    pub tls_bootstrap: TlsBootstrap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TlsBootstrap {
    /// kubelift posts the CSR and writes kubelet.conf itself
    #[default]
    Kubelift,
    /// write bootstrap-kubelet.conf and let the kubelet do it, as kubeadm does
    Kubelet,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ResetArgs {
    /// Act without asking (required without a terminal); also lets reset remove the cluster's last etcd member's data
    #[arg(long, short = 'f')]
    pub force: bool,
    /// Where certificates are stored (used when there is no journal)
    #[arg(long, value_name = "DIR", default_value = "/etc/kubernetes/pki")]
    pub cert_dir: String,
    /// The container runtime's CRI socket (default: from kubeadm-flags.env, or the only one found)
    #[arg(long, value_name = "SOCKET")]
    pub cri_socket: Option<String>,
    /// Phases to leave out (preflight, remove-etcd-member, cleanup-node)
    #[arg(long, value_name = "PHASES", value_delimiter = ',')]
    pub skip_phases: Vec<String>,
    /// Keep ~/.kube/config as it is (by default its entries for this cluster are removed, after a backup)
    #[arg(long)]
    pub keep_kubeconfig: bool,
}

/// Which cluster `token` commands talk to.
#[derive(Debug, Clone, Args, Default)]
pub struct TokenTarget {
    /// The kubeconfig to use (default: /etc/kubernetes/admin.conf under --root)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a bootstrap token on the cluster
    Create {
        /// The token to create (default: a fresh random one)
        #[arg(value_name = "TOKEN")]
        token: Option<String>,
        /// How long the token lives (0 = forever)
        #[arg(long, default_value = "24h0m0s")]
        ttl: String,
        /// A human-readable description
        #[arg(long, default_value = "")]
        description: String,
        /// Extra groups the token authenticates as (default: system:bootstrappers:kubeadm:default-node-token)
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
        /// What the token may be used for: signing, authentication (default: both)
        #[arg(long, value_delimiter = ',')]
        usages: Vec<String>,
        /// Print the full join command, not only the token
        #[arg(long)]
        print_join_command: bool,
        /// With --print-join-command: the key of the kubeadm-certs Secret, for a control-plane join command
        #[arg(long, value_name = "KEY", requires = "print_join_command")]
        certificate_key: Option<String>,
        #[command(flatten)]
        target: TokenTarget,
    },
    /// List bootstrap tokens with their remaining time
    List {
        /// Show whole tokens (by default only their public id: the secret half lets anyone join a node)
        #[arg(long)]
        show_secrets: bool,
        /// Delete the expired tokens after listing them
        #[arg(long)]
        clean_expired: bool,
        #[command(flatten)]
        target: TokenTarget,
    },
    /// Delete bootstrap tokens by id or whole token
    Delete {
        /// Token ids (abcdef) or whole tokens (abcdef.0123456789abcdef)
        #[arg(required_unless_present = "expired")]
        tokens: Vec<String>,
        /// Delete every expired token
        #[arg(long)]
        expired: bool,
        #[command(flatten)]
        target: TokenTarget,
    },
    /// Print a fresh random token without touching the cluster
    Generate,
}

#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Show when every certificate and kubeconfig expires (exit 1 when one is expired, missing or unreadable)
    CheckExpiration(CertsArgs),
    /// Reissue certificates from the existing CA, with their subject, SANs and usages
    Renew(RenewArgs),
    /// Print a fresh certificate key for --upload-certs (32 random bytes, hex)
    CertificateKey,
}

/// Where the certificates are and how the cluster is configured.
#[derive(Debug, Clone, Args, Default)]
pub struct CertsArgs {
    /// The cluster's kubeadm config file (for certificatesDir, certificateValidityPeriod, encryptionAlgorithm, etcd, the endpoint); without it kubeadm's defaults and the files on disk decide
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the certificates are (overrides the config's certificatesDir)
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RenewArgs {
    /// A certificate name (apiserver, etcd-server, admin.conf, ...) or `all`
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Also make a new private key (kubeadm always does); by default the existing key is kept
    #[arg(long)]
    pub new_key: bool,
    #[command(flatten)]
    pub certs: CertsArgs,
}

#[derive(Debug, Subcommand)]
pub enum KubeconfigCommand {
    /// Print a kubeconfig for a user, with a new key and a client certificate signed by the cluster CA
    User(KubeconfigUserArgs),
}

#[derive(Debug, Clone, Args)]
pub struct KubeconfigUserArgs {
    /// The user name: the certificate's common name
    #[arg(long, value_name = "NAME")]
    pub client_name: String,
    /// A group the user belongs to: the certificate's organization (at most one)
    #[arg(long, value_name = "GROUP")]
    pub org: Vec<String>,
    /// How long the certificate is valid, e.g. 720h (default: certificateValidityPeriod, 8760h)
    #[arg(long, visible_alias = "validity", value_name = "DURATION")]
    pub validity_period: Option<String>,
    #[command(flatten)]
    pub certs: CertsArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CsrArgs {
    #[command(subcommand)]
    pub action: Option<CsrAction>,
    /// The kubeconfig to act with (default: /etc/kubernetes/admin.conf under --root, then $KUBECONFIG)
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Check settings from a YAML file: maxDuration, allowedIPRanges, allowedDNSSuffixes (docs/csr.md); flags add to it
    #[arg(long, global = true, value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
    /// The longest certificate lifetime a request may ask for (spec.expirationSeconds)
    #[arg(long, global = true, value_name = "DURATION")]
    pub max_duration: Option<String>,
    /// Every IP SAN of a serving certificate must also lie in one of these ranges (repeatable, or comma-separated)
    #[arg(long = "allowed-ip-range", global = true, value_name = "CIDR", value_delimiter = ',')]
    pub allowed_ip_ranges: Vec<String>,
    /// Accept DNS SANs <node>.<suffix> a Node does not list (repeatable, or comma-separated)
    #[arg(long = "allowed-dns-suffix", global = true, value_name = "SUFFIX", value_delimiter = ',')]
    pub allowed_dns_suffixes: Vec<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum CsrAction {
    /// List certificate signing requests with their policy verdicts
    List {
        /// Only pending requests
        #[arg(long)]
        pending: bool,
        /// Only requests for this signer (e.g. kubernetes.io/kubelet-serving)
        #[arg(long)]
        signer: Option<String>,
    },
    /// Approve requests by name, or every one that passes the policy
    Approve {
        /// CSR names to approve
        #[arg(conflicts_with = "all_passing", required_unless_present = "all_passing")]
        names: Vec<String>,
        /// Approve every pending request that passes every policy check
        #[arg(long)]
        all_passing: bool,
        /// Only requests for this signer (e.g. kubernetes.io/kubelet-serving)
        #[arg(long)]
        signer: Option<String>,
        /// Approve this named request although a check fails (repeatable); it must also be given by name
        #[arg(long, value_name = "NAME")]
        force: Vec<String>,
        /// Requests written at once
        #[arg(long, value_name = "N", default_value_t = 32)]
        concurrency: usize,
    },
    /// Deny requests by name
    Deny {
        /// CSR names to deny
        #[arg(required = true)]
        names: Vec<String>,
        /// Why, recorded in the request's Denied condition
        #[arg(long)]
        reason: String,
    },
    /// Keep running and judge every new request
    Watch {
        /// always-reject, queue (leave for a person) or approve-if-valid
        #[arg(long, default_value = "queue")]
        policy: String,
        /// Only act on requests for this signer (default: every signer)
        #[arg(long)]
        signer: Option<String>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct PreflightArgs {
    /// Which workflow's checks to run: init or join (a JoinConfiguration with controlPlane runs the control-plane join set)
    #[arg(long = "for", value_name = "WORKFLOW", default_value = "init", value_parser = ["init", "join"])]
    pub workflow: String,
    /// Apply the named safe fixes (KernelModules, Sysctl, Swap, ContainerdConfig, or all); each shows its changes first
    #[arg(long, value_name = "FIXES", num_args = 0..=1, default_missing_value = "all", value_delimiter = ',')]
    pub fix: Vec<String>,
    /// A kubeadm config file (Init/ClusterConfiguration for init, JoinConfiguration for join)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The container runtime's CRI socket
    #[arg(long, value_name = "SOCKET")]
    pub cri_socket: Option<String>,
    /// Checks whose errors become warnings (e.g. Swap,NumCPU, or all)
    #[arg(long, value_name = "CHECKS", value_delimiter = ',')]
    pub ignore_preflight_errors: Vec<String>,
    /// The node's name (default: the hostname)
    #[arg(long, value_name = "NAME")]
    pub node_name: Option<String>,
    /// The API server's advertise address (init)
    #[arg(long, value_name = "IP")]
    pub apiserver_advertise_address: Option<String>,
    /// The Kubernetes version to check against (init)
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,
    /// The Pod range (init)
    #[arg(long, value_name = "CIDR")]
    pub pod_network_cidr: Option<String>,
    /// The Service range (init)
    #[arg(long, value_name = "CIDR")]
    pub service_cidr: Option<String>,
    /// Allow checks to use the network: DNS lookup of the hostname, TCP probes of the image registry and an external etcd. Off by default: preflight then sends nothing over the network and reports those parts as not checked
    #[arg(long)]
    pub network_probes: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print kubeadm's default configuration
    Print {
        /// Which defaults
        #[arg(value_enum)]
        which: Defaults,
        /// The kubeadm API version to print
        #[arg(long, value_enum, default_value_t = ApiVersionArg::V1beta4)]
        api_version: ApiVersionArg,
    },
    /// Check a kubeadm config file and list every error with its field path
    Validate {
        /// The file to check (- for standard input)
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Defaults {
    InitDefaults,
    JoinDefaults,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ApiVersionArg {
    V1beta3,
    V1beta4,
}

#[derive(Debug, Clone, Args)]
pub struct PhaseArgs {
    /// The phase to run, e.g. certs/apiserver, or a parent such as certs
    #[arg(value_name = "PHASE", required_unless_present = "list")]
    pub id: Option<String>,
    /// List init's phases in order
    #[arg(long)]
    pub list: bool,
    #[command(flatten)]
    pub init: InitArgs,
}
