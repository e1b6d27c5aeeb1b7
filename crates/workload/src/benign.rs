//! Ordinary activity, one document per call, per data set: endpoint process,
//! file, network, DNS, registry, library and security events, system auth and
//! Windows security logons, and a little Sysmon and auditd.

use crate::catalog::{self, Binary};
use crate::doc::Doc;
use crate::events::{
    fake_hash, header, new_process, parent_named, put_process_brief, put_process_full, put_user,
    Kind, Spawn, Stamp,
};
use crate::fleet::{Host, Os, Proc};

/// Fills `{home}`, `{user}`, `{n}` and `{hex}` in an argument line.
fn fill(host: &mut Host, user: usize, template: &str) -> String {
    let mut s = template.replace("{home}", &host.home(user));
    s = s.replace("{user}", &host.users[user].name);
    while s.contains("{n}") {
        s = s.replacen("{n}", &host.rng.range(2, 9999).to_string(), 1);
    }
    while s.contains("{hex}") {
        s = s.replacen("{hex}", &host.rng.hex(8), 1);
    }
    s
}

fn spawn_from_catalog(host: &mut Host, b: &Binary) -> Spawn {
    let user = if b.system { 0 } else { host.person() };
    let exe = fill(host, user, b.exe);
    let template = *host.rng.pick(b.args);
    let tail = fill(host, user, template);
    let argv0 = if host.os == Os::Windows {
        exe.clone()
    } else {
        b.name.to_string()
    };
    let mut args = vec![argv0];
    args.extend(
        tail.split(' ')
            .filter(|a| !a.is_empty())
            .map(str::to_string),
    );
    Spawn {
        name: b.name.to_string(),
        executable: exe,
        args,
        user,
        signer: b.signer,
    }
}

/// A process start document for `spawn`, with `parent`; remembers the process.
pub fn process_start_doc(
    host: &mut Host,
    stamp: Stamp,
    dataset: &str,
    spawn: Spawn,
    parent: &Proc,
    original: Option<&str>,
) -> (Doc, Proc) {
    let p = new_process(host, spawn, stamp.ts_ms);
    let action = if host.os == Os::Windows {
        "start"
    } else {
        "exec"
    };
    let kind = Kind {
        dataset,
        category: &["process"],
        types: &["start"],
        action,
    };
    let mut d = header(host, stamp, &kind);
    put_process_full(&mut d, host, &p, parent, original);
    put_user(&mut d, host, p.user);
    host.remember(p.clone());
    (d, p)
}

pub fn process_start(host: &mut Host, stamp: Stamp) -> Doc {
    let weights = catalog::weights(host.os);
    let b = &catalog::binaries(host.os)[host.rng.weighted(&weights)];
    let spawn = spawn_from_catalog(host, b);
    let parent = parent_named(host, b.parent, stamp.ts_ms);
    process_start_doc(
        host,
        stamp,
        "endpoint.events.process",
        spawn,
        &parent,
        b.original,
    )
    .0
}

pub fn process_end(host: &mut Host, stamp: Stamp) -> Doc {
    let Some(p) = host.recent_process() else {
        return process_start(host, stamp);
    };
    let kind = Kind {
        dataset: "endpoint.events.process",
        category: &["process"],
        types: &["end"],
        action: if host.os == Os::Windows {
            "end"
        } else {
            "exit"
        },
    };
    let parent_name = match host.os {
        Os::Windows => "explorer.exe",
        Os::Linux => "bash",
        Os::Macos => "zsh",
    };
    let parent = parent_named(host, parent_name, stamp.ts_ms);
    let mut d = header(host, stamp, &kind);
    put_process_full(&mut d, host, &p, &parent, None);
    d.set("process.exit_code", 0)
        .set("process.end", crate::time::format_millis(stamp.ts_ms));
    put_user(&mut d, host, p.user);
    d
}

fn actor(host: &mut Host, stamp: Stamp) -> Proc {
    match host.recent_process() {
        Some(p) => p,
        None => {
            let b = &catalog::binaries(host.os)[0];
            let spawn = spawn_from_catalog(host, b);
            new_process(host, spawn, stamp.ts_ms - 60_000)
        }
    }
}

const WIN_FILES: &[&str] = &[
    "{home}\\AppData\\Local\\Temp\\{hex}.tmp",
    "{home}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data\\f_{hex}",
    "{home}\\Documents\\Quarterly report {n}.docx",
    "{home}\\Downloads\\setup-{n}.msi",
    "C:\\Windows\\Prefetch\\SVCHOST.EXE-{hex}.pf",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service\\DetectionHistory\\{hex}",
    "C:\\Windows\\Temp\\MpCmdRun.log",
    "{home}\\AppData\\Roaming\\Microsoft\\Teams\\logs.txt",
];
const LINUX_FILES: &[&str] = &[
    "/tmp/tmp{hex}",
    "/var/log/nginx/access.log",
    "/var/lib/apt/lists/partial/deb.debian.org_debian_dists_bookworm_InRelease",
    "{home}/.cache/pip/http/{hex}",
    "/var/cache/man/index.db",
    "/opt/app/data/queue-{n}.json",
    "{home}/.bash_history",
    "/run/user/1000/systemd/units/invocation:{hex}",
];
const MAC_FILES: &[&str] = &[
    "/private/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/{hex}.tmp",
    "{home}/Library/Caches/com.apple.Safari/Cache.db-wal",
    "{home}/Library/Application Support/Google/Chrome/Default/History-journal",
    "{home}/Downloads/Installer-{n}.dmg",
    "{home}/Library/Preferences/com.apple.finder.plist",
    "/Library/Logs/DiagnosticReports/Analytics-{hex}.core_analytics",
];

fn split_path(os: Os, path: &str) -> (String, Option<String>) {
    let sep = if os == Os::Windows { '\\' } else { '/' };
    let name = path.rsplit(sep).next().unwrap_or(path).to_string();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_string())
        .filter(|e| !e.is_empty() && e.len() <= 8);
    (name, ext)
}

/// A file creation, change or deletion by a recent process.
pub fn file_event(host: &mut Host, stamp: Stamp) -> Doc {
    let p = actor(host, stamp);
    // A little benign `ssh-keygen -R` traffic: the known_hosts.old near-miss of
    // the "SSH Key Generated via ssh-keygen" rule.
    if host.os == Os::Linux && host.rng.chance_ppm(2_000) {
        return known_hosts_old(host, stamp);
    }
    let templates = match host.os {
        Os::Windows => WIN_FILES,
        Os::Linux => LINUX_FILES,
        Os::Macos => MAC_FILES,
    };
    let template = *host.rng.pick(templates);
    let path = fill(host, p.user, template);
    let (action, ty) = *host.rng.pick(&[
        ("creation", "creation"),
        ("creation", "creation"),
        ("modification", "change"),
        ("overwrite", "change"),
        ("deletion", "deletion"),
        ("rename", "change"),
    ]);
    file_doc(host, stamp, &p, &path, action, ty)
}

/// A file event document for `path`.
pub fn file_doc(
    host: &mut Host,
    stamp: Stamp,
    p: &Proc,
    path: &str,
    action: &str,
    ty: &str,
) -> Doc {
    let kind = Kind {
        dataset: "endpoint.events.file",
        category: &["file"],
        types: &[ty],
        action,
    };
    let mut d = header(host, stamp, &kind);
    let (name, ext) = split_path(host.os, path);
    d.set("file.path", path).set("file.name", name);
    if let Some(e) = ext {
        d.set("file.extension", e);
    }
    if action != "deletion" && host.rng.percent(40) {
        d.set("file.size", host.rng.range(40, 9_000_000));
    }
    put_process_brief(&mut d, host, p);
    put_user(&mut d, host, p.user);
    d
}

fn known_hosts_old(host: &mut Host, stamp: Stamp) -> Doc {
    let user = host.person();
    let spawn = Spawn {
        name: "ssh-keygen".into(),
        executable: "/usr/bin/ssh-keygen".into(),
        args: vec!["ssh-keygen".into(), "-R".into(), "10.20.0.5".into()],
        user,
        signer: None,
    };
    let p = new_process(host, spawn, stamp.ts_ms - 20);
    let path = format!("{}/.ssh/known_hosts.old", host.home(user));
    file_doc(host, stamp, &p, &path, "creation", "creation")
}

const PUBLIC_DESTS: &[(&str, u64)] = &[
    ("142.250.180.14", 443),
    ("140.82.121.4", 443),
    ("151.101.1.69", 443),
    ("52.96.165.18", 443),
    ("13.107.42.14", 443),
    ("104.16.132.229", 443),
    ("34.117.59.81", 80),
    ("199.232.82.132", 443),
];

/// Processes that benign network events never come from, so that sequence
/// rules (a shell or LOLBin start followed by its connection) fire only on the
/// injected scenarios.
const QUIET: &[&str] = &[
    "cmd.exe",
    "powershell.exe",
    "rundll32.exe",
    "whoami.exe",
    "reg.exe",
    "osascript",
];

fn network_actor(host: &mut Host, stamp: Stamp) -> Proc {
    for _ in 0..4 {
        let p = actor(host, stamp);
        if !QUIET.contains(&p.name.as_str()) {
            return p;
        }
    }
    let b = &catalog::binaries(host.os)[0];
    let spawn = spawn_from_catalog(host, b);
    new_process(host, spawn, stamp.ts_ms - 60_000)
}

/// An outbound or inbound connection by a recent process.
pub fn network_event(host: &mut Host, stamp: Stamp) -> Doc {
    let p = network_actor(host, stamp);
    let internal = host.rng.percent(40);
    let (dst_ip, dst_port) = if internal {
        let port = *host
            .rng
            .pick(&[53u64, 88, 389, 445, 3306, 5432, 8080, 9200]);
        (
            format!("10.20.{}.{}", host.rng.below(8), host.rng.range(2, 250)),
            port,
        )
    } else {
        let (ip, port) = *host.rng.pick(PUBLIC_DESTS);
        (ip.to_string(), port)
    };
    let (action, ty) = *host.rng.pick(&[
        ("connection_attempted", "start"),
        ("connection_accepted", "start"),
        ("disconnect_received", "end"),
    ]);
    let src_port = host.rng.range(49_152, 65_535);
    network_doc(host, stamp, &p, action, ty, (&dst_ip, dst_port), src_port)
}

/// A connection document.
pub fn network_doc(
    host: &mut Host,
    stamp: Stamp,
    p: &Proc,
    action: &str,
    ty: &str,
    dst: (&str, u64),
    src_port: u64,
) -> Doc {
    let kind = Kind {
        dataset: "endpoint.events.network",
        category: &["network"],
        types: &[ty, "connection"],
        action,
    };
    let mut d = header(host, stamp, &kind);
    let incoming = action == "connection_accepted";
    d.set("network.transport", "tcp")
        .set("network.type", "ipv4")
        .set(
            "network.direction",
            if incoming { "ingress" } else { "egress" },
        )
        .set("source.ip", host.ip.clone())
        .set("source.port", src_port)
        .set("destination.ip", dst.0)
        .set("destination.port", dst.1);
    if ty == "end" {
        d.set("source.bytes", host.rng.range(200, 90_000))
            .set("destination.bytes", host.rng.range(200, 2_000_000));
    }
    put_process_brief(&mut d, host, p);
    put_user(&mut d, host, p.user);
    d
}

const DOMAINS: &[&str] = &[
    "www.google.com",
    "outlook.office365.com",
    "login.microsoftonline.com",
    "github.com",
    "api.github.com",
    "pypi.org",
    "deb.debian.org",
    "updates.corp.example",
    "intranet.corp.example",
    "slack.com",
    "edge.microsoft.com",
    "ocsp.digicert.com",
    "registry.npmjs.org",
    "time.apple.com",
];

/// A DNS lookup by a recent process (Windows and macOS; Linux endpoint does not
/// report lookups, so Linux hosts make a connection instead).
pub fn dns_event(host: &mut Host, stamp: Stamp) -> Doc {
    if host.os == Os::Linux {
        return network_event(host, stamp);
    }
    let p = network_actor(host, stamp);
    let name = *host.rng.pick(DOMAINS);
    let result = host.rng.percent(50);
    dns_doc(host, stamp, &p, name, result)
}

/// A DNS lookup document (`lookup_requested` or `lookup_result`).
pub fn dns_doc(host: &mut Host, stamp: Stamp, p: &Proc, name: &str, result: bool) -> Doc {
    let (action, ty) = if result {
        ("lookup_result", "info")
    } else {
        ("lookup_requested", "protocol")
    };
    let kind = Kind {
        dataset: "endpoint.events.network",
        category: &["network"],
        types: &[ty],
        action,
    };
    let mut d = header(host, stamp, &kind);
    d.set("dns.question.name", name)
        .set("dns.question.type", "A")
        .set("network.protocol", "dns")
        .set("network.transport", "udp")
        .set("destination.ip", "10.20.0.53")
        .set("destination.port", 53);
    if result {
        let ip = format!(
            "{}.{}.{}.{}",
            host.rng.range(13, 200),
            host.rng.below(256),
            host.rng.below(256),
            host.rng.range(1, 254)
        );
        d.set_strs("dns.resolved_ip", &[ip]);
    }
    put_process_brief(&mut d, host, p);
    put_user(&mut d, host, p.user);
    d
}

const REG_KEYS: &[(&str, &str, &str)] = &[
    (
        "HKLM",
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
        "SecurityHealth",
    ),
    (
        "HKLM",
        "SYSTEM\\ControlSet001\\Services\\bam\\State\\UserSettings\\{sid}",
        "\\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe",
    ),
    (
        "HKEY_USERS",
        "{sid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs",
        "MRUListEx",
    ),
    (
        "HKLM",
        "SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates",
        "SignaturesLastUpdated",
    ),
    (
        "HKEY_USERS",
        "{sid}\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming",
        "LastSync",
    ),
    (
        "HKLM",
        "SYSTEM\\ControlSet001\\Services\\W32Time\\Config",
        "LastKnownGoodTime",
    ),
];

/// A registry value change by a recent process (Windows only).
pub fn registry_event(host: &mut Host, stamp: Stamp) -> Doc {
    let p = actor(host, stamp);
    let (hive, key, value) = *host.rng.pick(REG_KEYS);
    let sid = host.users[p.user].id.clone();
    let key = key.replace("{sid}", &sid);
    // The Run key is written by SYSTEM (excluded by the Run key rule).
    let (data, user) = if value == "SecurityHealth" {
        (
            "C:\\Windows\\system32\\SecurityHealthSystray.exe".to_string(),
            0,
        )
    } else {
        (host.rng.range(1, 999_999).to_string(), p.user)
    };
    registry_doc(host, stamp, &p, user, (hive, &key, value), &data)
}

/// A registry modification document for `hive\key\value` = `data`.
pub fn registry_doc(
    host: &mut Host,
    stamp: Stamp,
    p: &Proc,
    user: usize,
    at: (&str, &str, &str),
    data: &str,
) -> Doc {
    let (hive, key, value) = at;
    let kind = Kind {
        dataset: "endpoint.events.registry",
        category: &["registry"],
        types: &["change"],
        action: "modification",
    };
    let mut d = header(host, stamp, &kind);
    d.set("registry.hive", hive)
        .set("registry.key", key)
        .set("registry.path", format!("{hive}\\{key}\\{value}"))
        .set("registry.value", value)
        .set_strs("registry.data.strings", &[data])
        .set("registry.data.type", "REG_SZ");
    put_process_brief(&mut d, host, p);
    put_user(&mut d, host, user);
    d
}

const WIN_DLLS: &[&str] = &[
    "C:\\Windows\\System32\\ntdll.dll",
    "C:\\Windows\\System32\\kernel32.dll",
    "C:\\Windows\\System32\\wininet.dll",
    "C:\\Windows\\System32\\crypt32.dll",
    "C:\\Windows\\System32\\ws2_32.dll",
    "C:\\Windows\\System32\\amsi.dll",
    "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll",
];
const MAC_DYLIBS: &[&str] = &[
    "/usr/lib/libSystem.B.dylib",
    "/System/Library/Frameworks/Security.framework/Versions/A/Security",
    "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
    "/usr/lib/libobjc.A.dylib",
];

/// A library load by a recent process (Windows DLLs, macOS dylibs).
pub fn library_event(host: &mut Host, stamp: Stamp) -> Doc {
    let p = actor(host, stamp);
    let path = if host.os == Os::Windows {
        *host.rng.pick(WIN_DLLS)
    } else {
        *host.rng.pick(MAC_DYLIBS)
    };
    let kind = Kind {
        dataset: "endpoint.events.library",
        category: &["library"],
        types: &["start"],
        action: "load",
    };
    let mut d = header(host, stamp, &kind);
    let (name, _) = split_path(host.os, path);
    d.set("dll.path", path)
        .set("dll.name", name)
        .set("dll.hash.sha256", fake_hash(path, 64))
        .set("dll.code_signature.exists", true)
        .set("dll.code_signature.trusted", true)
        .set(
            "dll.code_signature.subject_name",
            if host.os == Os::Windows {
                "Microsoft Windows"
            } else {
                "Software Signing"
            },
        );
    put_process_brief(&mut d, host, &p);
    put_user(&mut d, host, p.user);
    d
}

/// An endpoint security (logon) event.
pub fn security_event(host: &mut Host, stamp: Stamp) -> Doc {
    let kind = Kind {
        dataset: "endpoint.events.security",
        category: &["authentication", "session"],
        types: &["start"],
        action: "log_on",
    };
    let user = host.person();
    let p = actor(host, stamp);
    let mut d = header(host, stamp, &kind);
    d.set("event.outcome", "success").set(
        "source.ip",
        format!("10.20.{}.{}", host.rng.below(8), host.rng.range(2, 250)),
    );
    if host.os == Os::Windows {
        d.set(
            "process.Ext.session_info.logon_type",
            *host
                .rng
                .pick(&["Interactive", "Network", "RemoteInteractive"]),
        );
    }
    put_process_brief(&mut d, host, &p);
    put_user(&mut d, host, user);
    d
}

/// An sshd login line from the system integration (Linux, macOS).
pub fn system_auth(host: &mut Host, stamp: Stamp) -> Doc {
    let ok = host.rng.percent(80);
    let user = if host.rng.percent(10) {
        0
    } else {
        host.person()
    };
    let user = host.users[user].name.clone();
    let ip = format!(
        "10.{}.{}.{}",
        host.rng.range(10, 30),
        host.rng.below(256),
        host.rng.range(2, 250)
    );
    let port = host.rng.range(30_000, 65_000);
    auth_doc(host, stamp, &user, &ip, port, ok)
}

/// One `system.auth` ssh login document.
pub fn auth_doc(host: &mut Host, stamp: Stamp, user: &str, ip: &str, port: u64, ok: bool) -> Doc {
    let kind = Kind {
        dataset: "system.auth",
        category: &["authentication", "session"],
        types: if ok { &["start"] } else { &["info"] },
        action: "ssh_login",
    };
    let pid = host.alloc_pid();
    let mut d = header(host, stamp, &kind);
    let name = user.to_string();
    let method = if ok { "publickey" } else { "password" };
    let verb = if ok { "Accepted" } else { "Failed" };
    d.set("event.outcome", if ok { "success" } else { "failure" })
        .set("source.ip", ip)
        .set("source.port", port)
        .set("user.name", name.clone())
        .set("process.name", "sshd")
        .set("process.pid", pid)
        .set("system.auth.ssh.method", method)
        .set("system.auth.ssh.event", verb)
        .set("related.ip", vec![ip.to_string()])
        .set("related.user", vec![name.clone()])
        .set(
            "log.file.path",
            if host.os == Os::Macos {
                "/var/log/system.log"
            } else {
                "/var/log/auth.log"
            },
        )
        .set(
            "message",
            format!("{verb} {method} for {name} from {ip} port {port} ssh2"),
        );
    d
}

/// A Windows Security log logon (4624) or failed logon (4625).
pub fn windows_logon(host: &mut Host, stamp: Stamp) -> Doc {
    let ok = host.rng.percent(85);
    let user = host.person();
    let (code, action, ty) = if ok {
        ("4624", "logged-in", "start")
    } else {
        ("4625", "logon-failed", "start")
    };
    let kind = Kind {
        dataset: "system.security",
        category: &["authentication"],
        types: &[ty],
        action,
    };
    let ip = format!("10.20.{}.{}", host.rng.below(8), host.rng.range(2, 250));
    let logon_type = *host
        .rng
        .pick(&["Network", "Interactive", "RemoteInteractive"]);
    let mut d = header(host, stamp, &kind);
    let u = host.users[user].clone();
    d.set("event.code", code)
        .set("event.outcome", if ok { "success" } else { "failure" })
        .set("event.provider", "Microsoft-Windows-Security-Auditing")
        .set("winlog.event_id", code)
        .set("winlog.channel", "Security")
        .set(
            "winlog.provider_name",
            "Microsoft-Windows-Security-Auditing",
        )
        .set(
            "winlog.computer_name",
            format!("{}.corp.example", host.name),
        )
        .set(
            "winlog.record_id",
            host.rng.range(1_000_000, 90_000_000).to_string(),
        )
        .set("winlog.logon.type", logon_type)
        .set("winlog.event_data.TargetUserName", u.name.clone())
        .set("winlog.event_data.TargetDomainName", u.domain.clone())
        .set("winlog.event_data.LogonProcessName", "NtLmSsp")
        .set("winlog.event_data.AuthenticationPackageName", "NTLM")
        .set("source.ip", ip.clone())
        .set("source.port", host.rng.range(49_152, 65_535))
        .set("user.name", u.name)
        .set("user.domain", u.domain)
        .set("user.id", u.id)
        .set("related.ip", vec![ip]);
    if !ok {
        d.set("winlog.event_data.Status", "0xc000006d")
            .set("winlog.event_data.SubStatus", "0xc000006a");
    }
    d
}

/// A Sysmon process creation (event 1).
pub fn sysmon_event(host: &mut Host, stamp: Stamp) -> Doc {
    let weights = catalog::weights(host.os);
    let b = &catalog::binaries(host.os)[host.rng.weighted(&weights)];
    let spawn = spawn_from_catalog(host, b);
    let parent = parent_named(host, b.parent, stamp.ts_ms);
    let (mut d, p) = process_start_doc(
        host,
        stamp,
        "windows.sysmon_operational",
        spawn,
        &parent,
        b.original,
    );
    d.set("event.code", "1")
        .set("event.action", "Process Create (rule: ProcessCreate)")
        .set("event.provider", "Microsoft-Windows-Sysmon")
        .set("winlog.channel", "Microsoft-Windows-Sysmon/Operational")
        .set("winlog.event_id", "1")
        .set(
            "winlog.event_data.IntegrityLevel",
            if host.users[p.user].system {
                "System"
            } else {
                "Medium"
            },
        )
        .set(
            "winlog.event_data.LogonId",
            format!("0x{}", host.rng.hex(6)),
        );
    d
}

/// An auditd execve record (Linux).
pub fn auditd_event(host: &mut Host, stamp: Stamp) -> Doc {
    let weights = catalog::weights(host.os);
    let b = &catalog::binaries(host.os)[host.rng.weighted(&weights)];
    let spawn = spawn_from_catalog(host, b);
    let parent = parent_named(host, b.parent, stamp.ts_ms);
    let (mut d, _) = process_start_doc(host, stamp, "auditd_manager.auditd", spawn, &parent, None);
    d.set("event.action", "executed")
        .set("event.outcome", "success")
        .set("auditd.data.syscall", "execve")
        .set("auditd.data.a0", host.rng.hex(12))
        .set("auditd.summary.actor.primary", "unset")
        .set("auditd.sequence", host.rng.range(100_000, 9_000_000));
    d
}
