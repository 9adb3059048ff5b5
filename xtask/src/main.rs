//! `cargo xtask <command>`: see [`xtask::USAGE`].

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("refresh") => {}
        Some("help" | "--help" | "-h") | None => {
            println!("{}", xtask::USAGE);
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("error: unknown command `{other}`\n\n{}", xtask::USAGE);
            return ExitCode::from(2);
        }
    }
    if args[1..].iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", xtask::USAGE);
        return ExitCode::SUCCESS;
    }
    let result = xtask::parse_refresh_args(&args[1..]).and_then(|a| xtask::run_refresh(&a));
    match result {
        Ok((report, outcome)) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error of the refresh.
            let _ = stdout.write_all(report.as_bytes());
            ExitCode::from(outcome.exit_code())
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
