//! The simulated fleet: hosts with a consistent operating system, their users,
//! network identity and a bounded ring of recently started processes (so file,
//! network and end events refer to processes that really started, and memory
//! stays constant however many events are written).

use crate::rng::Rng;
use std::collections::VecDeque;

/// How many recent processes each host remembers.
const PROCESS_RING: usize = 48;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    Windows,
    Linux,
    Macos,
}

impl Os {
    /// `host.os.type`.
    pub fn as_type(self) -> &'static str {
        match self {
            Os::Windows => "windows",
            Os::Linux => "linux",
            Os::Macos => "macos",
        }
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub id: String,
    pub domain: String,
    /// Whether this is a service/system identity (SYSTEM, root).
    pub system: bool,
}

/// A process that started on a host: what later events about it repeat.
#[derive(Clone, Debug)]
pub struct Proc {
    pub entity_id: String,
    pub pid: u64,
    pub name: String,
    pub executable: String,
    pub args: Vec<String>,
    pub command_line: String,
    pub user: usize,
    pub signer: Option<&'static str>,
    pub sha256: String,
    pub start_ms: i64,
}

#[derive(Clone, Debug)]
pub struct OsInfo {
    pub name: &'static str,
    pub family: &'static str,
    pub platform: &'static str,
    pub version: &'static str,
    pub kernel: &'static str,
    pub full: &'static str,
}

#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub id: String,
    pub os: Os,
    pub os_info: OsInfo,
    pub ip: String,
    pub mac: String,
    pub agent_id: String,
    pub agent_ephemeral_id: String,
    /// users[0] is the system identity; the rest are people.
    pub users: Vec<User>,
    pub procs: VecDeque<Proc>,
    pub next_pid: u64,
    pub sequence: u64,
    pub rng: Rng,
}

const WINDOWS_OS: &[OsInfo] = &[
    OsInfo {
        name: "Windows 10 Pro",
        family: "windows",
        platform: "windows",
        version: "22H2",
        kernel: "22H2 (10.0.19045.4291)",
        full: "Windows 10 Pro 22H2 (10.0.19045.4291)",
    },
    OsInfo {
        name: "Windows 11 Enterprise",
        family: "windows",
        platform: "windows",
        version: "23H2",
        kernel: "23H2 (10.0.22631.3447)",
        full: "Windows 11 Enterprise 23H2 (10.0.22631.3447)",
    },
    OsInfo {
        name: "Windows Server 2019 Datacenter",
        family: "windows",
        platform: "windows",
        version: "1809",
        kernel: "1809 (10.0.17763.5696)",
        full: "Windows Server 2019 Datacenter 1809 (10.0.17763.5696)",
    },
];

const LINUX_OS: &[OsInfo] = &[
    OsInfo {
        name: "Ubuntu",
        family: "debian",
        platform: "ubuntu",
        version: "22.04.4",
        kernel: "5.15.0-105-generic #115-Ubuntu SMP",
        full: "Ubuntu 22.04.4",
    },
    OsInfo {
        name: "Debian GNU/Linux",
        family: "debian",
        platform: "debian",
        version: "12",
        kernel: "6.1.0-20-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.85-1",
        full: "Debian GNU/Linux 12",
    },
    OsInfo {
        name: "Red Hat Enterprise Linux",
        family: "redhat",
        platform: "rhel",
        version: "9.3",
        kernel: "5.14.0-362.24.1.el9_3.x86_64 #1 SMP PREEMPT_DYNAMIC",
        full: "Red Hat Enterprise Linux 9.3",
    },
];

const MACOS_OS: &[OsInfo] = &[
    OsInfo {
        name: "macOS",
        family: "macos",
        platform: "macos",
        version: "14.4.1",
        kernel: "23.4.0",
        full: "macOS 14.4.1",
    },
    OsInfo {
        name: "macOS",
        family: "macos",
        platform: "macos",
        version: "13.6.6",
        kernel: "22.6.0",
        full: "macOS 13.6.6",
    },
];

const PEOPLE: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yolanda",
];

const DOMAIN_SID: &str = "S-1-5-21-1004336348-1177238915-682003330";

/// `count` hosts; the first three are Windows, Linux and macOS so every OS is
/// present, the rest are split about 50/35/15.
pub fn build_fleet(rng: &mut Rng, count: usize) -> Vec<Host> {
    (0..count.max(3))
        .map(|i| {
            let os = match i {
                0 => Os::Windows,
                1 => Os::Linux,
                2 => Os::Macos,
                _ => [Os::Windows, Os::Linux, Os::Macos][rng.weighted(&[50, 35, 15])],
            };
            build_host(rng, i, os)
        })
        .collect()
}

fn build_host(rng: &mut Rng, index: usize, os: Os) -> Host {
    let mut host_rng = rng.fork(index as u64);
    let (prefix, os_info) = match os {
        Os::Windows => ("WIN", host_rng.pick(WINDOWS_OS).clone()),
        Os::Linux => ("srv", host_rng.pick(LINUX_OS).clone()),
        Os::Macos => ("mac", host_rng.pick(MACOS_OS).clone()),
    };
    let name = match os {
        Os::Windows => format!("{prefix}-{:04X}{}", index, host_rng.hex(3).to_uppercase()),
        _ => format!("{prefix}-{index:03}-{}", host_rng.hex(4)),
    };
    let users = build_users(&mut host_rng, os, index);
    let ip = format!(
        "10.{}.{}.{}",
        10 + index / 250,
        host_rng.range(0, 255),
        index % 250 + 2
    );
    let mac = (0..6)
        .map(|_| host_rng.hex(2).to_uppercase())
        .collect::<Vec<_>>()
        .join("-");
    Host {
        id: host_rng.uuid(),
        agent_id: host_rng.uuid(),
        agent_ephemeral_id: host_rng.uuid(),
        name,
        os,
        os_info,
        ip,
        mac,
        users,
        procs: VecDeque::with_capacity(PROCESS_RING),
        next_pid: host_rng.range(800, 4000),
        sequence: host_rng.range(10_000, 900_000),
        rng: host_rng,
    }
}

fn build_users(rng: &mut Rng, os: Os, index: usize) -> Vec<User> {
    let system = match os {
        Os::Windows => User {
            name: "SYSTEM".into(),
            id: "S-1-5-18".into(),
            domain: "NT AUTHORITY".into(),
            system: true,
        },
        Os::Linux | Os::Macos => User {
            name: "root".into(),
            id: "0".into(),
            domain: String::new(),
            system: true,
        },
    };
    let people = 1 + rng.below(3) as usize;
    let mut users = vec![system];
    for k in 0..people {
        let name = PEOPLE[(index * 3 + k) % PEOPLE.len()].to_string();
        let (id, domain) = match os {
            Os::Windows => (
                format!("{DOMAIN_SID}-{}", 1100 + index * 3 + k),
                "CORP".into(),
            ),
            Os::Linux => ((1000 + k).to_string(), String::new()),
            Os::Macos => ((501 + k).to_string(), String::new()),
        };
        users.push(User {
            name,
            id,
            domain,
            system: false,
        });
    }
    users
}

impl Host {
    /// Records a started process, forgetting the oldest beyond the ring size.
    pub fn remember(&mut self, proc_: Proc) {
        if self.procs.len() == PROCESS_RING {
            self.procs.pop_front();
        }
        self.procs.push_back(proc_);
    }

    /// A recently started process, if any.
    pub fn recent_process(&mut self) -> Option<Proc> {
        if self.procs.is_empty() {
            return None;
        }
        let i = self.rng.below(self.procs.len() as u64) as usize;
        self.procs.get(i).cloned()
    }

    /// The most recent process with this name.
    pub fn find_process(&self, name: &str) -> Option<&Proc> {
        self.procs.iter().rev().find(|p| p.name == name)
    }

    pub fn alloc_pid(&mut self) -> u64 {
        self.next_pid += 1 + self.rng.below(40);
        if self.next_pid > 4_000_000 {
            self.next_pid = 300;
        }
        self.next_pid
    }

    /// A person (never the system identity).
    pub fn person(&mut self) -> usize {
        1 + self.rng.below(self.users.len() as u64 - 1) as usize
    }

    /// An Elastic Defend style process entity id.
    pub fn entity_id(&mut self) -> String {
        self.rng.base64ish(39) + "="
    }

    pub fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    /// The home directory of user `u`.
    pub fn home(&self, u: usize) -> String {
        let name = &self.users[u].name;
        match self.os {
            Os::Windows => format!("C:\\Users\\{name}"),
            Os::Linux if self.users[u].system => "/root".into(),
            Os::Linux => format!("/home/{name}"),
            Os::Macos if self.users[u].system => "/var/root".into(),
            Os::Macos => format!("/Users/{name}"),
        }
    }
}
