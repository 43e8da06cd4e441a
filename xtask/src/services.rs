//! PostgreSQL, Redis and MariaDB for the tests: checked on 127.0.0.1, started when installed but down.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::shell;

struct Service {
    name: &'static str,
    port: u16,
    installed: fn() -> bool,
    start: fn() -> Command,
    start_line: &'static str,
}

const SERVICES: [Service; 3] = [
    Service {
        name: "PostgreSQL",
        port: 5432,
        installed: || Path::new("/etc/postgresql").is_dir() && which("pg_ctlcluster"),
        start: || {
            let mut command = Command::new("sh");
            command.args([
                "-c",
                "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            ]);
            command
        },
        start_line: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    },
    Service {
        name: "Redis",
        port: 6379,
        installed: || which("redis-server"),
        start: || {
            let mut command = Command::new("redis-server");
            command.args([
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "-::1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ]);
            command
        },
        start_line: "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no",
    },
    Service {
        name: "MariaDB",
        port: 3306,
        installed: || Path::new("/etc/init.d/mariadb").is_file(),
        start: || {
            let mut command = Command::new("/etc/init.d/mariadb");
            command.arg("start");
            command
        },
        start_line: "/etc/init.d/mariadb start",
    },
];

/// Makes sure every service accepts connections, starting the ones that are installed but down.
pub(crate) fn ensure() -> Result<(), String> {
    let mut missing = Vec::new();
    for service in &SERVICES {
        if listening(service.port) {
            println!("{:<10} up on 127.0.0.1:{}", service.name, service.port);
            continue;
        }
        if !(service.installed)() {
            missing.push(format!(
                "{} is not installed (needed on 127.0.0.1:{})",
                service.name, service.port
            ));
            continue;
        }
        println!(
            "{:<10} down: starting it with `{}`",
            service.name, service.start_line
        );
        if let Err(error) = shell::run(&mut (service.start)()) {
            missing.push(format!("{} could not be started: {error}", service.name));
            continue;
        }
        if wait_listening(service.port, Duration::from_secs(20)) {
            println!("{:<10} up on 127.0.0.1:{}", service.name, service.port);
        } else {
            missing.push(format!(
                "{} was started but does not accept connections on 127.0.0.1:{}",
                service.name, service.port
            ));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the tests need PostgreSQL, Redis and MariaDB:\n  - {}",
            missing.join("\n  - ")
        ))
    }
}

fn listening(port: u16) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok()
}

fn wait_listening(port: u16, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if listening(port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
