//! `certs check-expiration`: kubeadm's two tables, plus a warning mark for
//! certificates that expire within [`WARN_WITHIN`], and a JSON document.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::inventory::{cas, items};
use super::{is_external, read, read_item, CaInfo, CertsSettings, Item, Problem};
use crate::engine::WriteGate;
use crate::pki::Certificate;

/// From when on a certificate is flagged: renewing a month ahead leaves time
/// for the control-plane restarts a renewal needs.
pub const WARN_WITHIN: Duration = Duration::from_secs(30 * 24 * 3600);

/// JSON schema name of `check-expiration -o json`.
pub const SCHEMA: &str = "kubelift.certs.expiration/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Valid for longer than [`WARN_WITHIN`].
    Ok,
    /// Valid, but expires within [`WARN_WITHIN`].
    ExpiresSoon,
    Expired,
    NotYetValid,
    Missing,
    /// Present but unreadable; `error` says why.
    Invalid,
}

/// One row of either table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpirationEntry {
    pub name: String,
    /// The host file read (for kubeconfigs, the kubeconfig file).
    pub file: String,
    pub status: EntryStatus,
    /// NotAfter, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Seconds from the check until NotAfter (negative once expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual_seconds: Option<i64>,
    /// kubeadm's short form (`364d`, `9y`, `<invalid>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual: Option<String>,
    /// The signing CA's name; absent in the CA table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_authority: Option<String>,
    /// The CA key is not on this node, so kubelift cannot renew it.
    pub externally_managed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// kubeadm's date text, for the table.
    #[serde(skip)]
    expires_text: Option<String>,
}

impl ExpirationEntry {
    /// Expired, missing, unreadable or not yet valid: the cluster is (or will at its next restart be) broken.
    pub fn is_problem(&self) -> bool {
        !matches!(self.status, EntryStatus::Ok | EntryStatus::ExpiresSoon)
    }
}

/// Both tables of `check-expiration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpirationReport {
    pub schema: &'static str,
    /// When the check ran, RFC 3339 UTC.
    pub checked_at: String,
    pub warn_within_days: u64,
    pub certificates: Vec<ExpirationEntry>,
    pub certificate_authorities: Vec<ExpirationEntry>,
}

/// Reads every certificate of this node and where it stands at `now`.
/// Files that are missing or unreadable become rows, not errors, so that one
/// damaged file does not hide the state of the others.
pub fn check_expiration(gate: &WriteGate, s: &CertsSettings, now: SystemTime) -> ExpirationReport {
    let certificates = items(gate, s).iter().map(|item| leaf_entry(gate, s, item, now)).collect();
    let certificate_authorities = cas(gate, s).iter().map(|ca| ca_entry(gate, s, ca, now)).collect();
    ExpirationReport { schema: SCHEMA, checked_at: rfc3339(now), warn_within_days: WARN_WITHIN.as_secs() / 86400, certificates, certificate_authorities }
}

fn leaf_entry(gate: &WriteGate, s: &CertsSettings, item: &Item, now: SystemTime) -> ExpirationEntry {
    let cert = read_item(gate, s, item);
    let mut entry = entry(item.name, item.file(s), cert, now);
    entry.certificate_authority = Some(item.ca.name.to_string());
    entry.externally_managed = is_external(gate, s, &item.ca);
    entry
}

fn ca_entry(gate: &WriteGate, s: &CertsSettings, ca: &CaInfo, now: SystemTime) -> ExpirationEntry {
    let file = s.cert_path(ca.base);
    let cert = read(gate, &file).and_then(|pem| {
        pem.map(|p| Certificate::parse_pem(&p).map_err(|e| Problem::new(format!("{file}: {e}"), "restore it from a backup"))).transpose()
    });
    let mut entry = entry(ca.name, file, cert, now);
    entry.externally_managed = is_external(gate, s, ca);
    entry
}

fn entry(name: &str, file: String, cert: Result<Option<Certificate>, Problem>, now: SystemTime) -> ExpirationEntry {
    let mut e = ExpirationEntry { name: name.into(), file, status: EntryStatus::Missing, expires: None, residual_seconds: None, residual: None, certificate_authority: None, externally_managed: false, error: None, expires_text: None };
    match cert {
        Ok(None) => {}
        Err(problem) => {
            e.status = EntryStatus::Invalid;
            e.error = Some(problem.message);
        }
        Ok(Some(cert)) => {
            let facts = cert.facts();
            let residual = signed_secs(facts.not_after) - signed_secs(now);
            e.status = if facts.not_before > now {
                EntryStatus::NotYetValid
            } else if residual < 0 {
                EntryStatus::Expired
            } else if residual <= WARN_WITHIN.as_secs() as i64 {
                EntryStatus::ExpiresSoon
            } else {
                EntryStatus::Ok
            };
            e.expires = Some(rfc3339(facts.not_after));
            e.expires_text = Some(kubeadm_date(facts.not_after));
            e.residual_seconds = Some(residual);
            e.residual = Some(short_human_duration(residual));
        }
    }
    e
}

fn signed_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

fn utc(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

fn rfc3339(t: SystemTime) -> String {
    utc(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Go's `Jan 02, 2006 15:04 MST` for a UTC time, as kubeadm prints NotAfter.
fn kubeadm_date(t: SystemTime) -> String {
    utc(t).format("%b %d, %Y %H:%M UTC").to_string()
}

/// kubeadm's `duration.ShortHumanDuration` (apimachinery): one unit, rounded
/// down; two seconds of clock skew are tolerated before `<invalid>`.
pub fn short_human_duration(seconds: i64) -> String {
    let hours = seconds / 3600;
    match seconds {
        s if s < -1 => "<invalid>".into(),
        s if s < 0 => "0s".into(),
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        _ if hours < 24 => format!("{hours}h"),
        _ if hours < 24 * 365 => format!("{}d", hours / 24),
        _ => format!("{}y", hours / 24 / 365),
    }
}

impl ExpirationReport {
    /// Every row that is not plainly fine.
    pub fn attention(&self) -> impl Iterator<Item = &ExpirationEntry> {
        self.certificates.iter().chain(&self.certificate_authorities).filter(|e| e.status != EntryStatus::Ok)
    }

    /// Any row that makes `check-expiration` exit non-zero.
    pub fn has_problems(&self) -> bool {
        self.attention().any(ExpirationEntry::is_problem)
    }

    /// kubeadm's tables, byte for byte for the rows kubeadm prints, with a
    /// mark after the last column for rows that need attention (so tools
    /// that split kubeadm's columns by position still read the same fields).
    pub fn render_text(&self) -> String {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut certs = vec![row(&["CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY"], "EXTERNALLY MANAGED")];
        for e in &self.certificates {
            certs.push(match &e.expires_text {
                Some(date) => row(&[&e.name, date, e.residual.as_deref().unwrap_or_default(), e.certificate_authority.as_deref().unwrap_or_default()], &format!("{:<8}{}", yes_no(e.externally_managed), mark(e))),
                None => row(&[&format!("{} {}", missing_label(e), e.name), "", "", ""], mark(e).trim_start()),
            });
        }
        let mut cas = vec![row(&["CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME"], "EXTERNALLY MANAGED")];
        for e in &self.certificate_authorities {
            cas.push(match &e.expires_text {
                Some(date) => row(&[&e.name, date, e.residual.as_deref().unwrap_or_default()], &format!("{:<8}{}", yes_no(e.externally_managed), mark(e))),
                None => row(&[&format!("{} {}", missing_label(e), e.name), "", ""], mark(e).trim_start()),
            });
        }
        format!("{}\n{}", tabwrite(&certs), tabwrite(&cas))
    }
}

fn missing_label(e: &ExpirationEntry) -> &'static str {
    if e.status == EntryStatus::Invalid {
        "!INVALID!"
    } else {
        "!MISSING!"
    }
}

fn mark(e: &ExpirationEntry) -> &'static str {
    match e.status {
        EntryStatus::Ok | EntryStatus::Missing | EntryStatus::Invalid => "",
        EntryStatus::ExpiresSoon => "   <- expires within 30 days",
        EntryStatus::Expired => "   <- EXPIRED",
        EntryStatus::NotYetValid => "   <- not yet valid",
    }
}

/// Aligned cells and the unaligned last one.
struct Row {
    cells: Vec<String>,
    last: String,
}

fn row(cells: &[&str], last: &str) -> Row {
    Row { cells: cells.iter().map(|c| c.to_string()).collect(), last: last.to_string() }
}

/// Go's `tabwriter.NewWriter(out, 10, 4, 3, ' ', 0)` as kubeadm uses it:
/// every tab-terminated column is as wide as its widest cell plus 3, at least 10.
fn tabwrite(rows: &[Row]) -> String {
    let columns = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns).map(|c| rows.iter().filter_map(|r| r.cells.get(c)).map(|cell| cell.chars().count() + 3).max().unwrap_or(0).max(10)).collect();
    let mut out = String::new();
    for r in rows {
        for (cell, width) in r.cells.iter().zip(&widths) {
            out.push_str(&format!("{cell:<width$}"));
        }
        out.push_str(&r.last);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_human_duration_is_apimachinerys() {
        for (secs, text) in [(-5, "<invalid>"), (-1, "0s"), (0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h"), (86399, "23h"), (86400, "1d"), (364 * 86400 + 86399, "364d"), (365 * 86400, "1y"), (3650 * 86400 - 1, "9y")] {
            assert_eq!(short_human_duration(secs), text, "{secs}");
        }
    }

    #[test]
    fn dates_are_kubeadms() {
        let t = UNIX_EPOCH + Duration::from_secs(1_826_885_268); // 2027-11-22 12:07:48 UTC
        assert_eq!(kubeadm_date(t), "Nov 22, 2027 12:07 UTC");
        assert_eq!(rfc3339(t), "2027-11-22T12:07:48Z");
    }

    fn ok(name: &str, residual: i64, ca: Option<&str>) -> ExpirationEntry {
        ExpirationEntry { name: name.into(), file: format!("/x/{name}"), status: EntryStatus::Ok, expires: Some("2027-11-22T12:07:48Z".into()), residual_seconds: Some(residual), residual: Some(short_human_duration(residual)), certificate_authority: ca.map(String::from), externally_managed: false, error: None, expires_text: Some("Nov 22, 2027 12:07 UTC".into()) }
    }

    #[test]
    fn text_matches_kubeadms_layout() {
        let mut missing = ok("etcd-peer", 0, Some("etcd-ca"));
        missing.status = EntryStatus::Missing;
        missing.expires_text = None;
        let mut soon = ok("apiserver", 20 * 86400, Some("ca"));
        soon.status = EntryStatus::ExpiresSoon;
        let report = ExpirationReport {
            schema: SCHEMA,
            checked_at: String::new(),
            warn_within_days: 30,
            certificates: vec![ok("admin.conf", 364 * 86400 + 100, Some("ca")), soon, ok("apiserver-kubelet-client", 364 * 86400 + 100, Some("ca")), missing],
            certificate_authorities: vec![ok("ca", 3649 * 86400, None)],
        };
        let expected = "\
CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED
admin.conf                 Nov 22, 2027 12:07 UTC   364d            ca                      no      
apiserver                  Nov 22, 2027 12:07 UTC   20d             ca                      no         <- expires within 30 days
apiserver-kubelet-client   Nov 22, 2027 12:07 UTC   364d            ca                      no      
!MISSING! etcd-peer                                                                         

CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED
ca                      Nov 22, 2027 12:07 UTC   9y              no      
";
        assert_eq!(report.render_text(), expected);
    }
}
