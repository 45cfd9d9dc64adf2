//! The CSR list a screen and `kubelift csr list` share: every request with
//! its verdict, a filter (pending or all, signer, text), a sort, a cursor and
//! a multi-selection. The filtered, sorted order is an index vector computed
//! again only after a change; [`CsrList::rows`] builds display rows for the
//! visible slice alone, so a list of thousands costs a frame only what it shows.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;

use super::live::Update;
use super::policy::{judge, Level, NodeFacts, Nodes, Policy, Verdict};
use super::{Request, State};

/// One request and its verdict under the current Nodes and policy.
#[derive(Debug, Clone)]
pub struct Entry {
    pub request: Request,
    pub verdict: Verdict,
    /// Lower-case text the filter searches: name, requester, CN, SANs.
    search: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Pending,
    All,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub scope: Scope,
    /// Only this signer (exact name).
    pub signer: Option<String>,
    /// Case-insensitive substring of name, requester, CN or a SAN.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Newest first by default, as a person looks for what just arrived.
    #[default]
    Age,
    Name,
    Signer,
    Requestor,
    /// Failing first (descending), so problems come to the top.
    Verdict,
    Condition,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

/// What a screen draws for one visible request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    /// Like kubectl's AGE column: 45s, 12m, 5h, 3d.
    pub age: String,
    pub signer: String,
    pub requestor: String,
    pub common_name: String,
    pub organizations: String,
    /// `DNS:cp1`, `IP:10.0.0.2`, …
    pub sans: Vec<String>,
    /// `ECDSA-P-256`, `RSA-2048`, or `-` when the request does not decode.
    pub key: String,
    /// The requested lifetime, or `-` for the signer's default.
    pub duration: String,
    pub condition: State,
    pub verdict: Level,
    /// The first problem, for a one-line status.
    pub problem: Option<String>,
    pub selected: bool,
    pub under_cursor: bool,
}

/// Counts for a status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub total: usize,
    pub pending: usize,
    pub pending_passing: usize,
    pub visible: usize,
    pub selected: usize,
}

#[derive(Debug, Clone, Default)]
pub struct CsrList {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    nodes: Nodes,
    policy: Policy,
    filter: Filter,
    sort: Sort,
    selected: HashSet<String>,
    /// Indices into `entries`, filtered and sorted; `None` after a change.
    view: Option<Vec<usize>>,
    cursor: usize,
    /// During a watch restart: the names listed so far, to drop the others at the end.
    csr_resync: Option<HashSet<String>>,
    node_resync: Option<HashSet<String>>,
}

impl CsrList {
    pub fn new(policy: Policy) -> CsrList {
        CsrList { policy, ..CsrList::default() }
    }

    /// Replaces everything with one listing of CSRs and Nodes.
    pub fn load(&mut self, csrs: Vec<CertificateSigningRequest>, nodes: Nodes) {
        self.nodes = nodes;
        let previous: HashMap<String, Arc<_>> = self.entries.drain(..).map(|e| (e.request.uid.clone(), e.request.decoded)).collect();
        self.by_name.clear();
        for csr in csrs {
            let request = match csr.metadata.uid.as_ref().and_then(|u| previous.get(u)) {
                Some(decoded) => Request::with_decoded(csr, decoded.clone()),
                None => Request::new(csr),
            };
            self.insert(request);
        }
        self.selected.retain(|n| self.by_name.contains_key(n));
        self.view = None;
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
        self.rejudge(|_| true);
    }

    pub fn nodes(&self) -> &Nodes {
        &self.nodes
    }

    /// Applies one watch update; returns the names of requests whose entry
    /// (object or verdict) changed.
    pub fn apply(&mut self, update: Update) -> Vec<String> {
        match update {
            Update::CsrRestarted => {
                self.csr_resync = Some(HashSet::new());
                vec![]
            }
            Update::CsrApplied(csr) => {
                let name = self.upsert(csr);
                if let Some(seen) = &mut self.csr_resync {
                    seen.insert(name.clone());
                }
                vec![name]
            }
            Update::CsrDeleted(name) => {
                self.remove(&name);
                vec![]
            }
            Update::CsrSynced => {
                let seen = self.csr_resync.take().unwrap_or_default();
                let gone: Vec<String> = self.by_name.keys().filter(|n| !seen.contains(*n)).cloned().collect();
                gone.iter().for_each(|n| self.remove(n));
                vec![]
            }
            Update::NodeRestarted => {
                self.node_resync = Some(HashSet::new());
                vec![]
            }
            Update::NodeApplied(node) => {
                if let Some(seen) = &mut self.node_resync {
                    seen.insert(node.name.clone());
                }
                self.set_node(node)
            }
            Update::NodeDeleted(name) => self.remove_node(&name),
            Update::NodesSynced => {
                let seen = self.node_resync.take().unwrap_or_default();
                let gone: Vec<String> = self.nodes.0.keys().filter(|n| !seen.contains(*n)).cloned().collect();
                gone.iter().flat_map(|n| self.remove_node(n)).collect()
            }
            Update::WatchError(_) => vec![],
        }
    }

    /// [`CsrList::apply`] of `Update::CsrApplied` for a request decoded
    /// elsewhere (off a UI loop); returns its name.
    pub fn apply_decoded(&mut self, request: Request) -> Vec<String> {
        let name = request.name.clone();
        match self.by_name.get(&name).copied() {
            Some(i) => self.entries[i] = self.entry(request),
            None => self.insert(request),
        }
        self.view = None;
        if let Some(seen) = &mut self.csr_resync {
            seen.insert(name.clone());
        }
        vec![name]
    }

    /// Adds or replaces one request; returns its name.
    pub fn upsert(&mut self, csr: CertificateSigningRequest) -> String {
        let name = csr.metadata.name.clone().unwrap_or_default();
        match self.by_name.get(&name).copied() {
            Some(i) if self.entries[i].request.uid == csr.metadata.uid.clone().unwrap_or_default() => {
                let request = Request::with_decoded(csr, self.entries[i].request.decoded.clone());
                self.entries[i] = self.entry(request);
            }
            Some(i) => self.entries[i] = self.entry(Request::new(csr)),
            None => self.insert(Request::new(csr)),
        }
        self.view = None;
        name
    }

    pub fn remove(&mut self, name: &str) {
        let Some(i) = self.by_name.remove(name) else { return };
        self.entries.swap_remove(i);
        if let Some(moved) = self.entries.get(i) {
            self.by_name.insert(moved.request.name.clone(), i);
        }
        self.selected.remove(name);
        self.view = None;
    }

    /// A Node appeared or changed: only requests that speak for it are judged again.
    pub fn set_node(&mut self, node: NodeFacts) -> Vec<String> {
        if self.nodes.get(&node.name) == Some(&node) {
            return vec![];
        }
        let name = node.name.clone();
        self.nodes.insert(node);
        self.rejudge(|e| concerns(e, &name))
    }

    pub fn remove_node(&mut self, name: &str) -> Vec<String> {
        if self.nodes.get(name).is_none() {
            return vec![];
        }
        self.nodes.remove(name);
        self.rejudge(|e| concerns(e, name))
    }

    fn rejudge(&mut self, which: impl Fn(&Entry) -> bool) -> Vec<String> {
        let mut changed = Vec::new();
        for e in self.entries.iter_mut().filter(|e| which(e)) {
            let verdict = judge(&e.request, &self.nodes, &self.policy);
            if verdict != e.verdict {
                e.verdict = verdict;
                changed.push(e.request.name.clone());
            }
        }
        if !changed.is_empty() {
            self.view = None;
        }
        changed
    }

    fn insert(&mut self, request: Request) {
        self.by_name.insert(request.name.clone(), self.entries.len());
        let entry = self.entry(request);
        self.entries.push(entry);
        self.view = None;
    }

    fn entry(&self, request: Request) -> Entry {
        let verdict = judge(&request, &self.nodes, &self.policy);
        let search = search_text(&request);
        Entry { request, verdict, search }
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.by_name.get(name).map(|i| &self.entries[*i])
    }

    /// Every entry, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    pub fn set_filter(&mut self, filter: Filter) {
        if filter != self.filter {
            self.filter = filter;
            self.view = None;
        }
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    pub fn set_sort(&mut self, sort: Sort) {
        if sort != self.sort {
            self.sort = sort;
            self.view = None;
        }
    }

    /// The filtered, sorted order (computed here when stale).
    fn view(&mut self) -> &[usize] {
        if self.view.is_none() {
            let view = self.compute_order();
            self.cursor = self.cursor.min(view.len().saturating_sub(1));
            self.view = Some(view);
        }
        self.view.as_deref().unwrap_or_default()
    }

    fn compute_order(&self) -> Vec<usize> {
        let needle = self.filter.text.to_lowercase();
        let mut view: Vec<usize> = (0..self.entries.len()).filter(|i| self.matches(&self.entries[*i], &needle)).collect();
        let (key, descending) = (self.sort.key, self.sort.descending);
        view.sort_by(|a, b| {
            let o = compare(&self.entries[*a], &self.entries[*b], key);
            if descending { o.reverse() } else { o }
        });
        view
    }

    /// Computes the order now if a change made it stale, so that the `&self`
    /// readers below (a frame drawn from state) find it ready. A screen calls
    /// this once before each frame, not after each of a burst of updates.
    pub fn refresh(&mut self) {
        self.view();
    }

    /// The order for a `&self` reader: the cached one, or (only if nobody
    /// called [`CsrList::refresh`]) computed without caching: slower, never wrong.
    fn order(&self) -> Cow<'_, [usize]> {
        match &self.view {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(self.compute_order()),
        }
    }

    /// [`CsrList::rows`] for a reader that cannot change the list.
    pub fn window(&self, offset: usize, count: usize, now: DateTime<Utc>) -> Vec<Row> {
        let order = self.order();
        order.iter().enumerate().skip(offset).take(count).map(|(k, i)| self.row(&self.entries[*i], k == self.cursor, now)).collect()
    }

    /// The request under the cursor, for a reader that cannot change the list.
    pub fn at_cursor(&self) -> Option<&Entry> {
        let i = *self.order().get(self.cursor)?;
        Some(&self.entries[i])
    }

    /// [`CsrList::counts`] for a reader that cannot change the list.
    pub fn tally(&self) -> Counts {
        let pending = self.entries.iter().filter(|e| e.request.is_pending());
        let (p, pp) = pending.fold((0, 0), |(p, pp), e| (p + 1, pp + usize::from(e.verdict.passed())));
        Counts { total: self.entries.len(), pending: p, pending_passing: pp, visible: self.order().len(), selected: self.selected.len() }
    }

    pub fn is_selected(&self, name: &str) -> bool {
        self.selected.contains(name)
    }

    /// Moves the cursor to the first row (a new filter or sort starts at the top).
    pub fn cursor_to_top(&mut self) {
        self.cursor = 0;
    }

    /// Where a request stands in the visible order, if it is shown.
    pub fn position(&self, name: &str) -> Option<usize> {
        let i = *self.by_name.get(name)?;
        self.order().iter().position(|k| *k == i)
    }

    /// Puts the cursor on row `row`, clamped to the visible list.
    pub fn set_cursor(&mut self, row: usize) {
        self.cursor = row.min(self.visible_len().saturating_sub(1));
    }

    /// `needle`: the filter text, lower-cased once per view.
    fn matches(&self, e: &Entry, needle: &str) -> bool {
        let f = &self.filter;
        (f.scope == Scope::All || e.request.is_pending())
            && f.signer.as_ref().is_none_or(|s| *s == e.request.signer)
            && (needle.is_empty() || e.search.contains(needle))
    }

    pub fn visible_len(&mut self) -> usize {
        self.view().len()
    }

    /// Display rows for `count` visible requests from `offset`.
    pub fn rows(&mut self, offset: usize, count: usize, now: DateTime<Utc>) -> Vec<Row> {
        let cursor = self.cursor;
        let slice: Vec<usize> = self.view().iter().skip(offset).take(count).copied().collect();
        slice.iter().enumerate().map(|(k, i)| self.row(&self.entries[*i], offset + k == cursor, now)).collect()
    }

    /// The entries visible now, in order (for the CLI, which prints them all).
    pub fn visible(&mut self) -> Vec<&Entry> {
        self.view();
        self.view.as_deref().unwrap_or_default().iter().map(|i| &self.entries[*i]).collect()
    }

    fn row(&self, e: &Entry, under_cursor: bool, now: DateTime<Utc>) -> Row {
        let r = &e.request;
        let decoded = r.decoded.as_ref().as_ref().ok();
        Row {
            name: r.name.clone(),
            age: r.created.map(|c| age(now - c)).unwrap_or_else(|| "-".into()),
            signer: r.signer.clone(),
            requestor: r.username.clone(),
            common_name: decoded.and_then(|d| d.common_name()).unwrap_or("-").to_string(),
            organizations: decoded.map(|d| d.organizations.join(",")).unwrap_or_default(),
            sans: decoded.map(|d| d.sans.describe()).unwrap_or_default(),
            key: decoded.map(|d| d.key.to_string()).unwrap_or_else(|| "-".into()),
            duration: r.expiration_seconds.map(|s| crate::config::duration::format(std::time::Duration::from_secs(s.max(0) as u64))).unwrap_or_else(|| "-".into()),
            condition: r.state,
            verdict: e.verdict.level,
            problem: e.verdict.problems().first().map(|c| format!("{}: {}", c.id, c.detail)),
            selected: self.selected.contains(&r.name),
            under_cursor,
        }
    }

    // ---- cursor and selection ----

    /// The request under the cursor.
    pub fn current(&mut self) -> Option<&Entry> {
        let cursor = self.cursor;
        let i = *self.view().get(cursor)?;
        Some(&self.entries[i])
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Moves the cursor by `delta` rows, clamped to the visible list.
    pub fn move_cursor(&mut self, delta: isize) {
        let len = self.visible_len();
        self.cursor = self.cursor.saturating_add_signed(delta).min(len.saturating_sub(1));
    }

    pub fn toggle_selected(&mut self, name: &str) {
        if !self.selected.remove(name) && self.by_name.contains_key(name) {
            self.selected.insert(name.to_string());
        }
    }

    /// Selects every visible pending request that passes every check (the
    /// only bulk selection kubelift offers).
    pub fn select_visible_passing(&mut self) -> usize {
        self.view();
        let names: Vec<String> = self.view.as_deref().unwrap_or_default().iter().map(|i| &self.entries[*i]).filter(|e| e.request.is_pending() && e.verdict.passed()).map(|e| e.request.name.clone()).collect();
        let n = names.len();
        self.selected.extend(names);
        n
    }

    pub fn clear_selection(&mut self) {
        self.selected.clear();
    }

    /// The selected entries, by name.
    pub fn selected(&self) -> Vec<&Entry> {
        let mut out: Vec<&Entry> = self.selected.iter().filter_map(|n| self.get(n)).collect();
        out.sort_by(|a, b| a.request.name.cmp(&b.request.name));
        out
    }

    pub fn counts(&mut self) -> Counts {
        self.refresh();
        self.tally()
    }
}

/// Whether a request speaks for `node`: as its requester, or in its CN.
fn concerns(e: &Entry, node: &str) -> bool {
    let cn_node = e.request.decoded.as_ref().as_ref().ok().and_then(|d| d.common_name()).and_then(|cn| cn.strip_prefix("system:node:"));
    e.request.requesting_node() == Some(node) || cn_node == Some(node)
}

fn search_text(r: &Request) -> String {
    let mut s = format!("{} {}", r.name, r.username);
    if let Ok(d) = r.decoded.as_ref() {
        for cn in &d.common_names {
            s.push(' ');
            s.push_str(cn);
        }
        for n in d.sans.describe() {
            s.push(' ');
            s.push_str(&n);
        }
    }
    s.to_lowercase()
}

fn compare(a: &Entry, b: &Entry, key: SortKey) -> Ordering {
    let (ra, rb) = (&a.request, &b.request);
    let primary = match key {
        // Newest first when ascending: "age" grows as creation goes back.
        SortKey::Age => rb.created.cmp(&ra.created),
        SortKey::Name => Ordering::Equal,
        SortKey::Signer => ra.signer.cmp(&rb.signer),
        SortKey::Requestor => ra.username.cmp(&rb.username),
        SortKey::Verdict => a.verdict.level.cmp(&b.verdict.level),
        SortKey::Condition => ra.state.cmp(&rb.state),
    };
    primary.then_with(|| ra.name.cmp(&rb.name))
}

/// kubectl's short human durations.
pub fn age(d: chrono::TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}
