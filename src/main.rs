use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = logveil::cli::Cli::parse();
    match logveil::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("logveil: {e:#}");
            ExitCode::from(1)
        }
    }
}
