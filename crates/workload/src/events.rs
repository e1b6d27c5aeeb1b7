//! Building blocks shared by benign activity and attack scenarios: the common
//! header every Elastic Agent document carries (`@timestamp`, `event.*`,
//! `data_stream.*`, `host.*`, `agent.*`, `ecs.version`) and the `process.*` /
//! `user.*` field groups, plus spawning a process on a host.

use crate::catalog;
use crate::doc::Doc;
use crate::fleet::{Host, Os, Proc};
use crate::time::format_millis;

pub const ECS_VERSION: &str = "8.11.0";
pub const ENDPOINT_VERSION: &str = "8.13.2";

/// When an event happened and when it was ingested.
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    pub ts_ms: i64,
    pub ingested_ms: i64,
}

impl Stamp {
    pub fn shifted(self, by_ms: i64) -> Stamp {
        Stamp {
            ts_ms: self.ts_ms + by_ms,
            ingested_ms: self.ingested_ms + by_ms,
        }
    }
}

/// `event.*` values of one document.
pub struct Kind<'a> {
    pub dataset: &'a str,
    pub category: &'a [&'a str],
    pub types: &'a [&'a str],
    pub action: &'a str,
}

/// Integration (module and agent type) that writes a data set.
fn module_of(dataset: &str) -> (&'static str, &'static str) {
    match dataset.split('.').next().unwrap_or_default() {
        "endpoint" => ("endpoint", "endpoint"),
        "system" => ("system", "filebeat"),
        "windows" => ("sysmon", "filebeat"),
        _ => ("auditd", "auditbeat"),
    }
}

/// The fields every document carries.
pub fn header(host: &mut Host, stamp: Stamp, kind: &Kind) -> Doc {
    let (module, agent_type) = module_of(kind.dataset);
    let mut d = Doc::new();
    d.set("@timestamp", format_millis(stamp.ts_ms))
        .set("data_stream.type", "logs")
        .set("data_stream.dataset", kind.dataset)
        .set("data_stream.namespace", "default")
        .set("ecs.version", ECS_VERSION)
        .set("event.kind", "event")
        .set("event.module", module)
        .set("event.dataset", kind.dataset)
        .set_strs("event.category", kind.category)
        .set_strs("event.type", kind.types)
        .set("event.action", kind.action)
        .set("event.ingested", format_millis(stamp.ingested_ms));
    if module == "endpoint" {
        let seq = host.next_sequence();
        d.set("event.sequence", seq)
            .set("agent.version", ENDPOINT_VERSION);
    } else {
        d.set("agent.version", "8.13.2")
            .set("agent.name", host.name.clone())
            .set("agent.ephemeral_id", host.agent_ephemeral_id.clone());
    }
    d.set("agent.id", host.agent_id.clone())
        .set("agent.type", agent_type);
    put_host(&mut d, host);
    d
}

fn put_host(d: &mut Doc, host: &Host) {
    let i = &host.os_info;
    d.set("host.name", host.name.clone())
        .set("host.id", host.id.clone())
        .set(
            "host.architecture",
            if host.os == Os::Macos {
                "arm64"
            } else {
                "x86_64"
            },
        )
        .set_strs("host.ip", &[host.ip.as_str()])
        .set("host.os.type", host.os.as_type())
        .set("host.os.name", i.name)
        .set("host.os.family", i.family)
        .set("host.os.version", i.version);
}

/// `user.*` for the host's user `u`.
pub fn put_user(d: &mut Doc, host: &Host, u: usize) {
    let user = &host.users[u];
    d.set("user.name", user.name.clone())
        .set("user.id", user.id.clone());
    if !user.domain.is_empty() {
        d.set("user.domain", user.domain.clone());
    }
}

/// A stable fake digest of `len` hex digits derived from `seed`.
pub fn fake_hash(seed: &str, len: usize) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(len);
    out
}

/// The short `process.*` group (file, network, registry, library events).
pub fn put_process_brief(d: &mut Doc, host: &Host, p: &Proc) {
    d.set("process.pid", p.pid)
        .set("process.entity_id", p.entity_id.clone())
        .set("process.name", p.name.clone())
        .set("process.executable", p.executable.clone());
    if host.os == Os::Macos {
        put_signature(d, "process", p.signer);
    }
}

fn put_signature(d: &mut Doc, prefix: &str, signer: Option<&str>) {
    match signer {
        Some(s) => {
            d.set(&format!("{prefix}.code_signature.exists"), true)
                .set(&format!("{prefix}.code_signature.trusted"), true)
                .set(&format!("{prefix}.code_signature.subject_name"), s)
                .set(&format!("{prefix}.code_signature.status"), "trusted");
        }
        None => {
            d.set(&format!("{prefix}.code_signature.exists"), false);
        }
    }
}

/// The full `process.*` and `process.parent.*` groups of a process start/end.
pub fn put_process_full(d: &mut Doc, host: &Host, p: &Proc, parent: &Proc, original: Option<&str>) {
    d.set("process.pid", p.pid)
        .set("process.entity_id", p.entity_id.clone())
        .set("process.name", p.name.clone())
        .set("process.executable", p.executable.clone())
        .set_strs("process.args", &p.args)
        .set("process.args_count", p.args.len())
        .set("process.command_line", p.command_line.clone())
        .set("process.hash.sha256", p.sha256.clone())
        .set("process.parent.pid", parent.pid)
        .set("process.parent.entity_id", parent.entity_id.clone())
        .set("process.parent.name", parent.name.clone())
        .set("process.parent.executable", parent.executable.clone())
        .set_strs("process.parent.args", &parent.args)
        .set("process.parent.command_line", parent.command_line.clone());
    put_signature(d, "process", p.signer);
    match host.os {
        Os::Windows => {
            if let Some(o) = original {
                d.set("process.pe.original_file_name", o);
            }
            let integrity = if host.users[p.user].system {
                "system"
            } else {
                "medium"
            };
            d.set("process.Ext.token.integrity_level_name", integrity);
        }
        Os::Linux | Os::Macos => {
            let wd = if host.users[p.user].system {
                "/".to_string()
            } else {
                host.home(p.user)
            };
            d.set("process.working_directory", wd);
        }
    }
}

/// What to start.
pub struct Spawn {
    pub name: String,
    pub executable: String,
    pub args: Vec<String>,
    pub user: usize,
    pub signer: Option<&'static str>,
}

/// `command_line` as the OS shows it for these arguments.
pub fn command_line(os: Os, args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if os == Os::Windows && a.contains(' ') {
                format!("\"{a}\"")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A new process on `host` from `spawn`, started at `ts_ms`.
pub fn new_process(host: &mut Host, spawn: Spawn, ts_ms: i64) -> Proc {
    let command_line = command_line(host.os, &spawn.args);
    Proc {
        entity_id: host.entity_id(),
        pid: host.alloc_pid(),
        sha256: fake_hash(&spawn.executable, 64),
        name: spawn.name,
        executable: spawn.executable,
        args: spawn.args,
        command_line,
        user: spawn.user,
        signer: spawn.signer,
        start_ms: ts_ms,
    }
}

/// The most recent process called `name` on the host, or a plausible stand-in
/// that started a while ago (its start event is outside the window).
pub fn parent_named(host: &mut Host, name: &str, ts_ms: i64) -> Proc {
    if let Some(p) = host.find_process(name) {
        return p.clone();
    }
    let exe = catalog::executable_of(host.os, name);
    let argv0 = if host.os == Os::Windows {
        exe.clone()
    } else {
        name.to_string()
    };
    let user = if matches!(
        name,
        "services.exe" | "systemd" | "launchd" | "cron" | "kernel_task"
    ) {
        0
    } else {
        host.person()
    };
    let spawn = Spawn {
        name: name.to_string(),
        executable: exe,
        args: vec![argv0],
        user,
        signer: None,
    };
    new_process(host, spawn, ts_ms - 3_600_000)
}
