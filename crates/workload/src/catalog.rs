//! What runs on each operating system: common binaries with their paths, usual
//! argument lines, usual parent, identity and signer, and how often each starts.
//! Argument lines may hold `{home}` (the user's home), `{user}`, `{n}` (a number)
//! and `{hex}` (8 hex digits), filled in per event.

use crate::fleet::Os;

#[derive(Debug)]
pub struct Binary {
    pub name: &'static str,
    pub exe: &'static str,
    /// Variants of the arguments after argv[0], split on spaces.
    pub args: &'static [&'static str],
    pub parent: &'static str,
    /// Runs as SYSTEM / root.
    pub system: bool,
    pub signer: Option<&'static str>,
    /// `process.pe.original_file_name` (Windows).
    pub original: Option<&'static str>,
    pub weight: u32,
}

const MS: Option<&str> = Some("Microsoft Windows");
const MSC: Option<&str> = Some("Microsoft Corporation");
const APPLE: Option<&str> = Some("Software Signing");

macro_rules! bin {
    ($name:expr, $exe:expr, [$($a:expr),*], $parent:expr, $sys:expr, $signer:expr, $orig:expr, $w:expr) => {
        Binary { name: $name, exe: $exe, args: &[$($a),*], parent: $parent, system: $sys,
                 signer: $signer, original: $orig, weight: $w }
    };
}

pub const WINDOWS: &[Binary] = &[
    bin!("svchost.exe", "C:\\Windows\\System32\\svchost.exe",
        ["-k netsvcs -p -s Schedule", "-k LocalServiceNetworkRestricted -p -s Dhcp", "-k DcomLaunch -p", "-k wsappx -p -s AppXSvc", "-k NetworkService -p -s Dnscache"],
        "services.exe", true, MS, Some("svchost.exe"), 20),
    bin!("explorer.exe", "C:\\Windows\\explorer.exe", [""], "userinit.exe", false, MS, Some("EXPLORER.EXE"), 2),
    bin!("chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        ["--type=renderer --renderer-client-id={n} /prefetch:1",
         "--type=utility --utility-sub-type=network.mojom.NetworkService /prefetch:8",
         "--type=gpu-process --mojo-platform-channel-handle={n} /prefetch:2"],
        "explorer.exe", false, Some("Google LLC"), Some("chrome.exe"), 10),
    bin!("msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        ["--type=renderer --lang=en-US --renderer-client-id={n} /prefetch:1", "--single-argument https://intranet.corp.example/"],
        "explorer.exe", false, MSC, Some("msedge.exe"), 6),
    bin!("powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        ["-NoLogo -NoProfile -Command Get-Service", "-NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\Corp\\inventory.ps1", "-Command Get-ChildItem {home}\\Documents"],
        "explorer.exe", false, MS, Some("PowerShell.EXE"), 3),
    bin!("cmd.exe", "C:\\Windows\\System32\\cmd.exe",
        ["/c dir {home}\\Documents", "/c C:\\ProgramData\\Corp\\logon.bat", "/c ipconfig /all", "/k"],
        "explorer.exe", false, MS, Some("Cmd.Exe"), 4),
    bin!("conhost.exe", "C:\\Windows\\System32\\conhost.exe", ["0xffffffff -ForceV1"], "cmd.exe", false, MS, Some("CONHOST.EXE"), 4),
    bin!("taskhostw.exe", "C:\\Windows\\System32\\taskhostw.exe", ["", "{222A245B-E637-4AE9-A93F-A59CA119A75E}"], "svchost.exe", false, MS, Some("taskhostw.exe"), 3),
    bin!("RuntimeBroker.exe", "C:\\Windows\\System32\\RuntimeBroker.exe", ["-Embedding"], "svchost.exe", false, MS, Some("RuntimeBroker.exe"), 4),
    bin!("WmiPrvSE.exe", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe", ["-secured -Embedding", "-Embedding"], "svchost.exe", true, MS, Some("Wmiprvse.exe"), 3),
    bin!("SearchProtocolHost.exe", "C:\\Windows\\System32\\SearchProtocolHost.exe",
        ["Global\\UsGthrFltPipeMssGthrPipe{n}_ Global\\UsGthrCtrlFltPipeMssGthrPipe{n} 1 -2147483646 \"Software\\Microsoft\\Windows Search\""],
        "SearchIndexer.exe", true, MS, Some("SearchProtocolHost.exe"), 3),
    bin!("MsMpEng.exe", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24030.9-0\\MsMpEng.exe", [""], "services.exe", true, MSC, Some("MsMpEng.exe"), 1),
    bin!("OneDrive.exe", "C:\\Users\\{user}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe", ["/background", "/updateInstalled /background"], "explorer.exe", false, MSC, Some("OneDrive.exe"), 2),
    bin!("Teams.exe", "C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe", ["--type=renderer --autoplay-policy=no-user-gesture-required /prefetch:1"], "explorer.exe", false, MSC, Some("Teams.exe"), 3),
    bin!("notepad.exe", "C:\\Windows\\System32\\notepad.exe", ["{home}\\Documents\\notes.txt", ""], "explorer.exe", false, MS, Some("NOTEPAD.EXE"), 1),
    bin!("rundll32.exe", "C:\\Windows\\System32\\rundll32.exe", ["C:\\Windows\\System32\\shell32.dll,Control_RunDLL", "C:\\Windows\\system32\\PcaSvc.dll,PcaPatchSdbTask"], "svchost.exe", false, MS, Some("RUNDLL32.EXE"), 2),
    bin!("reg.exe", "C:\\Windows\\System32\\reg.exe", ["query HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall /s"], "cmd.exe", false, MS, Some("reg.exe"), 1),
    bin!("whoami.exe", "C:\\Windows\\System32\\whoami.exe", ["/user", "/groups"], "cmd.exe", false, MS, Some("whoami.exe"), 1),
    bin!("tasklist.exe", "C:\\Windows\\System32\\tasklist.exe", ["/v", "/svc"], "cmd.exe", false, MS, Some("tasklist.exe"), 1),
    bin!("git.exe", "C:\\Program Files\\Git\\cmd\\git.exe", ["status --porcelain", "fetch origin", "log -n 20 --oneline"], "Code.exe", false, Some("Johannes Schindelin"), Some("git.exe"), 2),
    bin!("Code.exe", "C:\\Users\\{user}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe", ["--type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US"], "explorer.exe", false, MSC, Some("electron.exe"), 2),
    bin!("backgroundTaskHost.exe", "C:\\Windows\\System32\\backgroundTaskHost.exe", ["-ServerName:BackgroundTaskHost.WebAccountProvider"], "svchost.exe", false, MS, Some("backgroundTaskHost.exe"), 2),
    bin!("MpCmdRun.exe", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24030.9-0\\MpCmdRun.exe", ["-wdenable", "SignaturesUpdateService -ScheduleJob -UnmanagedUpdate"], "svchost.exe", true, MSC, Some("MpCmdRun.exe"), 1),
];

pub const LINUX: &[Binary] = &[
    bin!(
        "bash",
        "/usr/bin/bash",
        ["", "-c /opt/app/bin/healthcheck.sh", "--login"],
        "sshd",
        false,
        None,
        None,
        8
    ),
    bin!(
        "sshd",
        "/usr/sbin/sshd",
        ["-D -R", "-D"],
        "systemd",
        true,
        None,
        None,
        3
    ),
    bin!(
        "python3",
        "/usr/bin/python3",
        [
            "/opt/app/worker.py --queue default",
            "-m pip list --outdated",
            "/usr/bin/unattended-upgrade"
        ],
        "bash",
        false,
        None,
        None,
        6
    ),
    bin!(
        "curl",
        "/usr/bin/curl",
        [
            "-s -o /dev/null -w %{http_code} http://localhost:8080/health",
            "-fsSL https://repo.corp.example/key.gpg"
        ],
        "bash",
        false,
        None,
        None,
        4
    ),
    bin!(
        "cron",
        "/usr/sbin/cron",
        ["-f"],
        "systemd",
        true,
        None,
        None,
        2
    ),
    bin!(
        "sh",
        "/usr/bin/sh",
        [
            "-c run-parts --report /etc/cron.hourly",
            "-c /usr/lib/update-notifier/update-motd-updates-available"
        ],
        "cron",
        true,
        None,
        None,
        5
    ),
    bin!(
        "sudo",
        "/usr/bin/sudo",
        ["systemctl restart nginx", "apt-get update"],
        "bash",
        false,
        None,
        None,
        2
    ),
    bin!(
        "systemctl",
        "/usr/bin/systemctl",
        [
            "status nginx",
            "is-active --quiet docker",
            "show -p ActiveState nginx"
        ],
        "bash",
        false,
        None,
        None,
        3
    ),
    bin!(
        "ls",
        "/usr/bin/ls",
        ["-la", "--color=auto /var/log"],
        "bash",
        false,
        None,
        None,
        4
    ),
    bin!(
        "cat",
        "/usr/bin/cat",
        ["/proc/meminfo", "/etc/os-release", "{home}/.bashrc"],
        "bash",
        false,
        None,
        None,
        4
    ),
    bin!(
        "grep",
        "/usr/bin/grep",
        ["-E error|warn /var/log/syslog", "--color=auto -r TODO ."],
        "bash",
        false,
        None,
        None,
        4
    ),
    bin!(
        "ps",
        "/usr/bin/ps",
        ["aux", "-ef"],
        "bash",
        false,
        None,
        None,
        2
    ),
    bin!(
        "git",
        "/usr/bin/git",
        ["pull --ff-only", "status", "rev-parse HEAD"],
        "bash",
        false,
        None,
        None,
        2
    ),
    bin!(
        "docker",
        "/usr/bin/docker",
        ["ps --format {{.Names}}", "stats --no-stream"],
        "bash",
        false,
        None,
        None,
        2
    ),
    bin!(
        "containerd-shim-runc-v2",
        "/usr/bin/containerd-shim-runc-v2",
        ["-namespace moby -id {hex}{hex} -address /run/containerd/containerd.sock"],
        "systemd",
        true,
        None,
        None,
        2
    ),
    bin!(
        "nginx",
        "/usr/sbin/nginx",
        ["-g daemon on; master_process on;"],
        "systemd",
        true,
        None,
        None,
        1
    ),
    bin!(
        "node",
        "/usr/bin/node",
        [
            "/srv/web/server.js",
            "/usr/lib/node_modules/npm/bin/npm-cli.js ci"
        ],
        "bash",
        false,
        None,
        None,
        2
    ),
    bin!(
        "java",
        "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
        ["-Xmx2g -jar /opt/app/service.jar"],
        "systemd",
        false,
        None,
        None,
        1
    ),
    bin!(
        "apt-get",
        "/usr/bin/apt-get",
        ["update", "-qq install -y jq"],
        "sudo",
        true,
        None,
        None,
        1
    ),
    bin!(
        "journalctl",
        "/usr/bin/journalctl",
        ["-u nginx --since today", "-f"],
        "bash",
        false,
        None,
        None,
        1
    ),
    bin!(
        "sed",
        "/usr/bin/sed",
        ["-n s/^ID=//p /etc/os-release"],
        "sh",
        false,
        None,
        None,
        2
    ),
    bin!(
        "awk",
        "/usr/bin/awk",
        ["{print $1}"],
        "sh",
        false,
        None,
        None,
        2
    ),
    bin!(
        "ssh",
        "/usr/bin/ssh",
        ["deploy@10.20.0.5 uptime", "-T git@git.corp.example"],
        "bash",
        false,
        None,
        None,
        1
    ),
    bin!(
        "ssh-keygen",
        "/usr/bin/ssh-keygen",
        ["-R 10.20.0.5", "-lf {home}/.ssh/known_hosts"],
        "bash",
        false,
        None,
        None,
        1
    ),
    bin!(
        "logrotate",
        "/usr/sbin/logrotate",
        ["/etc/logrotate.conf"],
        "sh",
        true,
        None,
        None,
        1
    ),
];

pub const MACOS: &[Binary] = &[
    bin!("launchd", "/sbin/launchd", [""], "kernel_task", true, APPLE, None, 1),
    bin!("xpcproxy", "/usr/libexec/xpcproxy", ["com.apple.mdworker.shared.{hex}", "com.apple.trustd.agent"], "launchd", true, APPLE, None, 10),
    bin!("mdworker_shared", "/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared",
        ["-s mdworker -c MDSImporterWorker -m com.apple.mdworker.shared"], "launchd", false, APPLE, None, 8),
    bin!("Google Chrome Helper", "/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/124.0.6367.91/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper",
        ["--type=utility --utility-sub-type=network.mojom.NetworkService", "--type=renderer --renderer-client-id={n}"],
        "Google Chrome", false, Some("Developer ID Application: Google LLC (EQHXZ8M8AV)"), None, 5),
    bin!("zsh", "/bin/zsh", ["-l", "-c source {home}/.zshrc"], "login", false, APPLE, None, 3),
    bin!("bash", "/bin/bash", ["-c /usr/libexec/path_helper -s"], "zsh", false, APPLE, None, 2),
    bin!("python3", "/usr/bin/python3", ["-m venv .venv", "manage.py runserver"], "zsh", false, APPLE, None, 2),
    bin!("curl", "/usr/bin/curl", ["-sL https://formulae.brew.sh/api/formula.jws.json", "-fsS https://intranet.corp.example/ping"], "zsh", false, APPLE, None, 2),
    bin!("git", "/usr/bin/git", ["status", "fetch --all"], "zsh", false, APPLE, None, 2),
    bin!("trustd", "/usr/libexec/trustd", ["--agent"], "launchd", false, APPLE, None, 3),
    bin!("cfprefsd", "/usr/sbin/cfprefsd", ["agent"], "launchd", false, APPLE, None, 2),
    bin!("defaults", "/usr/bin/defaults", ["read com.apple.dock persistent-apps", "write com.apple.finder AppleShowAllFiles -bool true"], "zsh", false, APPLE, None, 1),
    bin!("plutil", "/usr/bin/plutil", ["-lint {home}/Library/Preferences/com.apple.Terminal.plist"], "zsh", false, APPLE, None, 1),
    bin!("security", "/usr/bin/security", ["find-certificate -a -p /Library/Keychains/System.keychain", "list-keychains"], "zsh", false, APPLE, None, 1),
    bin!("osascript", "/usr/bin/osascript", ["-e display notification \"Build finished\" with title \"Xcode\""], "zsh", false, APPLE, None, 1),
    bin!("softwareupdated", "/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Versions/A/Resources/softwareupdated", [""], "launchd", true, APPLE, None, 1),
    bin!("mds_stores", "/System/Library/Frameworks/CoreServices.framework/Versions/A/Frameworks/Metadata.framework/Versions/A/Support/mds_stores", [""], "launchd", true, APPLE, None, 2),
    bin!("Slack Helper", "/Applications/Slack.app/Contents/Frameworks/Slack Helper.app/Contents/MacOS/Slack Helper",
        ["--type=renderer --lang=en-US --renderer-client-id={n}"], "Slack", false, Some("Developer ID Application: Slack Technologies, Inc. (BQR82RBBHL)"), None, 3),
];

/// The binaries of an operating system.
pub fn binaries(os: Os) -> &'static [Binary] {
    match os {
        Os::Windows => WINDOWS,
        Os::Linux => LINUX,
        Os::Macos => MACOS,
    }
}

/// Start weights of `binaries(os)`, in order.
pub fn weights(os: Os) -> Vec<u32> {
    binaries(os).iter().map(|b| b.weight).collect()
}

/// Where a process called `name` usually lives (for synthesised parents).
pub fn executable_of(os: Os, name: &str) -> String {
    if let Some(b) = binaries(os).iter().find(|b| b.name == name) {
        return b.exe.to_string();
    }
    let known = match (os, name) {
        (Os::Windows, "services.exe") => "C:\\Windows\\System32\\services.exe",
        (Os::Windows, "userinit.exe") => "C:\\Windows\\System32\\userinit.exe",
        (Os::Windows, "SearchIndexer.exe") => "C:\\Windows\\System32\\SearchIndexer.exe",
        (Os::Windows, "w3wp.exe") => "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        (Os::Linux, "systemd") => "/usr/lib/systemd/systemd",
        (Os::Macos, "kernel_task") => "",
        (Os::Macos, "login") => "/usr/bin/login",
        (Os::Macos, "Google Chrome") => {
            "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
        }
        (Os::Macos, "Slack") => "/Applications/Slack.app/Contents/MacOS/Slack",
        (Os::Windows, _) => return format!("C:\\Windows\\System32\\{name}"),
        _ => return format!("/usr/bin/{name}"),
    };
    known.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binary_is_named_like_its_executable() {
        for os in [Os::Windows, Os::Linux, Os::Macos] {
            for b in binaries(os) {
                let sep = if os == Os::Windows { '\\' } else { '/' };
                let file = b.exe.rsplit(sep).next().unwrap();
                assert_eq!(file, b.name, "{os:?} {}", b.exe);
                assert!(b.weight > 0);
            }
        }
    }
}
