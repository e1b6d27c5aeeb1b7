//! A small deterministic generator of Elastic Defend–shaped ECS events (~1 KB
//! each): process, file, network, registry, DNS and authentication events for
//! Windows, Linux and macOS hosts, nested as Elastic Agent writes them, with
//! Windows paths (escaped backslashes), arrays, numbers and hashes.
//!
//! Only for the parse bench; the workspace's workload generator (crate
//! `workload`) is the full one.
#![allow(dead_code)]

use serde_json::{json, Map, Value};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(len);
        s
    }
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

/// Sets a dotted path in a JSON object, creating the objects on the way.
fn set(doc: &mut Map<String, Value>, path: &str, value: Value) {
    let mut node = doc;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_string(), value);
            return;
        }
        let entry = node
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(child) = entry else { return };
        node = child;
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Os {
    Windows,
    Linux,
    Macos,
}

/// `count` events, the same for the same `seed`, one JSON document per string.
pub fn events(count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    let hosts: Vec<(Os, String, String)> = (0..16)
        .map(|i| {
            let os = match i % 6 {
                0..=2 => Os::Windows,
                3 | 4 => Os::Linux,
                _ => Os::Macos,
            };
            (os, format!("host-{i:02}"), rng.uuid())
        })
        .collect();
    (0..count)
        .map(|i| {
            let (os, name, id) = &hosts[rng.below(hosts.len() as u64) as usize];
            let doc = event(&mut rng, i, *os, name, id);
            Value::Object(doc).to_string()
        })
        .collect()
}

fn event(rng: &mut Rng, i: usize, os: Os, host: &str, host_id: &str) -> Map<String, Value> {
    let mut d = Map::new();
    let kind = match rng.below(20) {
        0..=7 => "process",
        8..=11 => "file",
        12..=14 => "network",
        15 | 16 if os == Os::Windows => "registry",
        15 | 16 => "file",
        17 => "dns",
        _ => "authentication",
    };
    let ts = format!(
        "2024-05-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        1 + i / 86_400 % 28,
        i / 3600 % 24,
        i / 60 % 60,
        i % 60,
        rng.below(1000)
    );
    set(&mut d, "@timestamp", json!(ts));
    set(&mut d, "agent.id", json!(host_id));
    set(&mut d, "agent.type", json!("endpoint"));
    set(&mut d, "agent.version", json!("8.13.2"));
    let dataset = match kind {
        "authentication" if os == Os::Windows => "system.security".to_string(),
        "authentication" => "system.auth".to_string(),
        "dns" => "endpoint.events.network".to_string(),
        k => format!("endpoint.events.{k}"),
    };
    set(&mut d, "data_stream.dataset", json!(dataset));
    set(&mut d, "data_stream.namespace", json!("default"));
    set(&mut d, "data_stream.type", json!("logs"));
    set(&mut d, "ecs.version", json!("8.11.0"));
    set(&mut d, "event.agent_id_status", json!("verified"));
    set(&mut d, "event.category", json!([kind]));
    set(&mut d, "event.created", json!(ts));
    set(&mut d, "event.dataset", json!(dataset));
    set(&mut d, "event.id", json!(rng.hex(24)));
    set(&mut d, "event.kind", json!("event"));
    set(&mut d, "event.module", json!("endpoint"));
    set(&mut d, "event.sequence", json!(rng.below(1_000_000)));
    put_host(&mut d, rng, os, host, host_id);
    match kind {
        "process" => process_event(&mut d, rng, os),
        "file" => file_event(&mut d, rng, os),
        "network" => network_event(&mut d, rng, os),
        "registry" => registry_event(&mut d, rng),
        "dns" => dns_event(&mut d, rng, os),
        _ => auth_event(&mut d, rng, os),
    }
    d
}

fn put_host(d: &mut Map<String, Value>, rng: &mut Rng, os: Os, host: &str, id: &str) {
    set(d, "host.architecture", json!("x86_64"));
    set(d, "host.hostname", json!(host));
    set(d, "host.id", json!(id));
    set(
        d,
        "host.ip",
        json!([
            format!("10.0.{}.{}", rng.below(8), 2 + rng.below(250)),
            "fe80::4d1:ef01:c0ed:299a"
        ]),
    );
    set(d, "host.name", json!(host));
    let (family, name, version, kernel) = match os {
        Os::Windows => (
            "windows",
            "Windows",
            "21H2 (10.0.20348.2402)",
            "21H2 (10.0.20348.2402)",
        ),
        Os::Linux => (
            "ubuntu",
            "Linux",
            "22.04.4",
            "5.15.0-105-generic #115-Ubuntu SMP",
        ),
        Os::Macos => ("macos", "macOS", "14.4.1", "23.4.0"),
    };
    set(d, "host.os.family", json!(family));
    set(d, "host.os.name", json!(name));
    set(d, "host.os.version", json!(version));
    set(d, "host.os.kernel", json!(kernel));
    set(
        d,
        "host.os.type",
        json!(match os {
            Os::Windows => "windows",
            Os::Linux => "linux",
            Os::Macos => "macos",
        }),
    );
}

fn exe(rng: &mut Rng, os: Os) -> (String, String) {
    let name = match os {
        Os::Windows => rng.pick(&[
            "cmd.exe",
            "powershell.exe",
            "svchost.exe",
            "rundll32.exe",
            "explorer.exe",
            "msedge.exe",
            "WmiPrvSE.exe",
        ]),
        Os::Linux => rng.pick(&["bash", "sshd", "curl", "python3", "systemd", "cron", "sudo"]),
        Os::Macos => rng.pick(&["zsh", "launchd", "osascript", "curl", "Safari", "mdworker"]),
    };
    let path = match os {
        Os::Windows => format!("C:\\Windows\\System32\\{name}"),
        Os::Linux => format!("/usr/bin/{name}"),
        Os::Macos => format!("/usr/bin/{name}"),
    };
    (name.to_string(), path)
}

fn put_process(d: &mut Map<String, Value>, rng: &mut Rng, os: Os, prefix: &str, full: bool) {
    let (name, path) = exe(rng, os);
    set(d, &format!("{prefix}.entity_id"), json!(rng.hex(40)));
    set(d, &format!("{prefix}.executable"), json!(path));
    set(d, &format!("{prefix}.name"), json!(name));
    set(d, &format!("{prefix}.pid"), json!(1 + rng.below(60_000)));
    if full {
        let args = match os {
            Os::Windows => vec![
                path.clone(),
                "/c".into(),
                format!("C:\\Users\\u{}\\run.bat", rng.below(50)),
            ],
            _ => vec![path.clone(), "-c".into(), format!("echo {}", rng.hex(8))],
        };
        set(d, &format!("{prefix}.args_count"), json!(args.len()));
        set(d, &format!("{prefix}.command_line"), json!(args.join(" ")));
        set(d, &format!("{prefix}.args"), json!(args));
    }
}

fn process_event(d: &mut Map<String, Value>, rng: &mut Rng, os: Os) {
    set(
        d,
        "event.action",
        json!(rng.pick(&["start", "exec", "end", "fork"])),
    );
    set(d, "event.type", json!(["start"]));
    put_process(d, rng, os, "process", true);
    put_process(d, rng, os, "process.parent", true);
    set(d, "process.hash.md5", json!(rng.hex(32)));
    set(d, "process.hash.sha1", json!(rng.hex(40)));
    set(d, "process.hash.sha256", json!(rng.hex(64)));
    set(d, "process.Ext.ancestry", json!([rng.hex(40), rng.hex(40)]));
    if os == Os::Windows {
        set(d, "process.code_signature.exists", json!(true));
        set(d, "process.code_signature.status", json!("trusted"));
        set(
            d,
            "process.code_signature.subject_name",
            json!("Microsoft Windows"),
        );
        set(d, "process.code_signature.trusted", json!(true));
        set(d, "process.pe.original_file_name", json!("Cmd.Exe"));
        set(
            d,
            "process.working_directory",
            json!("C:\\Windows\\system32\\"),
        );
    } else {
        set(d, "process.working_directory", json!("/home/user"));
        set(d, "process.interactive", json!(rng.below(2) == 0));
    }
    set(d, "user.id", json!(rng.below(2000).to_string()));
    set(d, "user.name", json!(format!("user{}", rng.below(40))));
}

fn file_event(d: &mut Map<String, Value>, rng: &mut Rng, os: Os) {
    set(
        d,
        "event.action",
        json!(rng.pick(&["creation", "modification", "deletion", "rename"])),
    );
    set(d, "event.type", json!(["creation"]));
    let ext = rng.pick(&["txt", "dll", "exe", "ps1", "sh", "plist", "tmp", "yml"]);
    let name = format!("file{}.{ext}", rng.below(1000));
    let path = match os {
        Os::Windows => format!(
            "C:\\Users\\u{}\\AppData\\Local\\Temp\\{name}",
            rng.below(50)
        ),
        _ => format!("/tmp/{}/{name}", rng.hex(6)),
    };
    set(d, "file.extension", json!(ext));
    set(d, "file.name", json!(name));
    set(d, "file.path", json!(path));
    set(d, "file.size", json!(rng.below(10_000_000)));
    set(
        d,
        "file.Ext.entropy",
        json!((rng.below(800_000) as f64) / 100_000.0),
    );
    set(d, "file.Ext.header_bytes", json!(rng.hex(32)));
    put_process(d, rng, os, "process", false);
    set(d, "user.name", json!(format!("user{}", rng.below(40))));
}

fn network_event(d: &mut Map<String, Value>, rng: &mut Rng, os: Os) {
    set(
        d,
        "event.action",
        json!(rng.pick(&[
            "connection_attempted",
            "connection_accepted",
            "disconnect_received"
        ])),
    );
    set(d, "event.type", json!(["start", "connection"]));
    let dst = format!(
        "{}.{}.{}.{}",
        1 + rng.below(223),
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    );
    set(d, "destination.address", json!(dst));
    set(d, "destination.ip", json!(dst));
    set(
        d,
        "destination.port",
        json!(rng
            .pick(&["443", "80", "22", "445", "3389", "53"])
            .parse::<u16>()
            .unwrap_or(443)),
    );
    set(d, "source.address", json!("10.0.1.17"));
    set(d, "source.ip", json!("10.0.1.17"));
    set(d, "source.port", json!(49152 + rng.below(16000)));
    set(
        d,
        "network.direction",
        json!(rng.pick(&["egress", "ingress"])),
    );
    set(d, "network.transport", json!(rng.pick(&["tcp", "udp"])));
    set(d, "network.type", json!("ipv4"));
    put_process(d, rng, os, "process", false);
    set(d, "user.name", json!(format!("user{}", rng.below(40))));
}

fn registry_event(d: &mut Map<String, Value>, rng: &mut Rng) {
    set(d, "event.action", json!("modification"));
    set(d, "event.type", json!(["change"]));
    let value = rng.pick(&["Run", "Start", "ImagePath", "Debugger", "Shell"]);
    let key = format!(
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\{}",
        rng.hex(6)
    );
    set(d, "registry.hive", json!("HKLM"));
    set(d, "registry.key", json!(key));
    set(d, "registry.path", json!(format!("HKLM\\{key}\\{value}")));
    set(d, "registry.value", json!(value));
    set(
        d,
        "registry.data.strings",
        json!([format!("C:\\ProgramData\\{}.exe", rng.hex(8))]),
    );
    set(d, "registry.data.type", json!("REG_SZ"));
    put_process(d, rng, Os::Windows, "process", false);
    set(d, "user.name", json!("SYSTEM"));
}

fn dns_event(d: &mut Map<String, Value>, rng: &mut Rng, os: Os) {
    set(d, "event.action", json!("lookup_result"));
    set(d, "event.type", json!(["protocol", "info"]));
    let domain = format!(
        "{}.{}",
        rng.hex(8),
        rng.pick(&["example.com", "cdn.net", "corp.local"])
    );
    set(d, "dns.question.name", json!(domain));
    set(d, "dns.question.type", json!("A"));
    set(
        d,
        "dns.resolved_ip",
        json!([format!("93.184.{}.{}", rng.below(256), rng.below(256))]),
    );
    set(d, "network.protocol", json!("dns"));
    put_process(d, rng, os, "process", false);
}

fn auth_event(d: &mut Map<String, Value>, rng: &mut Rng, os: Os) {
    set(
        d,
        "event.action",
        json!(rng.pick(&["logged-in", "logon-failed", "ssh_login"])),
    );
    set(d, "event.outcome", json!(rng.pick(&["success", "failure"])));
    set(d, "event.type", json!(["start"]));
    set(
        d,
        "source.ip",
        json!(format!("192.168.{}.{}", rng.below(256), 1 + rng.below(254))),
    );
    set(d, "user.name", json!(format!("user{}", rng.below(40))));
    set(d, "user.domain", json!("CORP"));
    if os == Os::Windows {
        set(d, "winlog.event_id", json!("4624"));
        set(d, "winlog.logon.type", json!("Network"));
        set(d, "winlog.event_data.LogonProcessName", json!("NtLmSsp "));
        set(
            d,
            "winlog.event_data.AuthenticationPackageName",
            json!("NTLM"),
        );
    } else {
        set(d, "process.name", json!("sshd"));
        set(d, "process.pid", json!(rng.below(60_000)));
        set(d, "system.auth.ssh.method", json!("publickey"));
    }
}
